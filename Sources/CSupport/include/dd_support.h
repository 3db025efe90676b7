// C library calls Swift's Glibc module does not export (GNU extensions), and a cache hint.
#ifndef DD_SUPPORT_H
#define DD_SUPPORT_H
#include <stddef.h>

/// memmem(3): the first occurrence of `needle` in `haystack`, or NULL. glibc's is vectorised.
void *dd_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// Atomically exchanges two paths (renameat2 with RENAME_EXCHANGE, Linux 3.15+). Returns 0,
/// or -1 with errno set (EINVAL or ENOSYS where the file system or kernel cannot).
int dd_rename_exchange(const char *a, const char *b);

/// Asks for `bytes` bytes from `p` to be brought into cache for writing (a hint; never faults).
static inline void dd_prefetch_for_write(const void *p, size_t bytes) {
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch((const char *)p + offset, 1, 3);
}
#endif
