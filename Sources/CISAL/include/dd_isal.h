// A streaming gzip-member inflater backed by Intel ISA-L (libisal-dev) when it was present at
// build time; otherwise every call reports that it is unavailable and zlib is used instead.
#ifndef DD_ISAL_H
#define DD_ISAL_H
#include <stdint.h>

/// 1 when this build links ISA-L.
int dd_isal_available(void);

/// A new inflater for one gzip member (NULL when unavailable).
void *dd_isal_new(void);
void dd_isal_free(void *state);

/// Starts the next gzip member.
void dd_isal_reset(void *state);

/// Inflates from *next_in/*avail_in into *next_out/*avail_out, advancing all four.
/// Returns 1 when the member (trailer included) is complete, 0 when more input or output
/// space is needed, and a negative ISA-L error code on invalid data.
int dd_isal_inflate(void *state, const uint8_t **next_in, uint32_t *avail_in, uint8_t **next_out, uint32_t *avail_out);
#endif
