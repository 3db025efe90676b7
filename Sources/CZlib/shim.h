// zlib's init functions are C macros that Swift cannot call: expose them as inline functions.
#ifndef DISTILL_DETECT_CZLIB_SHIM_H
#define DISTILL_DETECT_CZLIB_SHIM_H
#include <zlib.h>

static inline int dd_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

static inline int dd_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
