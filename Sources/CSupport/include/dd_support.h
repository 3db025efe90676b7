// C library calls Swift's Glibc module does not export (GNU extensions).
#ifndef DD_SUPPORT_H
#define DD_SUPPORT_H
#include <stddef.h>

/// memmem(3): the first occurrence of `needle` in `haystack`, or NULL. glibc's is vectorised.
void *dd_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);
#endif
