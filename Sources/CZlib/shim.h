#pragma once
#include <zlib.h>

// inflateInit2 is a macro; this wrapper accepts gzip (not raw zlib) streams: windowBits 15 + 16.
static inline int czlib_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
