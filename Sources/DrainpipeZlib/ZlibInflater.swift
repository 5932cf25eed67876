// DrainpipeZlib/ZlibInflater.swift — the only file that calls zlib.
//
// Invariants: each inflation owns one `z_stream` on the stack of `inflateGzip`, initialised and ended
// (`inflateEnd`) in the same call on every path; zlib reads from and writes into Swift arrays only inside their
// `withUnsafe…` scopes, and the result is an owned `[UInt8]`. The output never grows beyond `limit` bytes.
internal import CZlib

/// Why a `Content-Encoding: gzip` body could not be inflated.
package enum InflateError: Error, Sendable, Equatable {
    /// The inflated body would exceed the limit (a zip bomb, or simply too much data).
    case tooLarge(limit: Int)
    /// The bytes are not a complete gzip stream.
    case malformed
}

/// Inflates gzip request bodies, bounded by the request body limit.
package enum ZlibInflater {
    /// Inflates one or more concatenated gzip members of `compressed`.
    ///
    /// - Throws: `.tooLarge` as soon as the output would pass `limit` bytes, `.malformed` for corrupt or truncated
    ///   input.
    package static func inflateGzip(_ compressed: [UInt8], limit: Int) throws(InflateError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var consumed = 0
        while consumed < compressed.count {
            var stream = z_stream()
            guard czlib_inflate_init_gzip(&stream) == Z_OK else { throw .malformed }
            defer { inflateEnd(&stream) }
            var status = Z_OK
            while status != Z_STREAM_END {
                let before = (input: Int(stream.total_in), output: Int(stream.total_out))
                status = compressed.withUnsafeBufferPointer { input in
                    chunk.withUnsafeMutableBufferPointer { out in
                        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + consumed + before.input)
                        stream.avail_in = UInt32(input.count - consumed - before.input)
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(out.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                }
                let produced = Int(stream.total_out) - before.output
                guard status == Z_OK || status == Z_STREAM_END else { throw .malformed }
                guard output.count + produced <= limit else { throw .tooLarge(limit: limit) }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_OK, produced == 0, Int(stream.total_in) == before.input { throw .malformed }
            }
            consumed += Int(stream.total_in)
        }
        return output
    }
}
