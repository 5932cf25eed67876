#pragma once
#include <zlib.h>

// inflateInit2 is a macro; this wrapper accepts gzip (not raw zlib) streams: windowBits 15 + 16.
static inline int czlib_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

// deflateInit2 is a macro too; this wrapper writes one gzip member (windowBits 15 + 16, default memory level).
static inline int czlib_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
