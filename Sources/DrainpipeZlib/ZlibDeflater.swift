// DrainpipeZlib/ZlibDeflater.swift — with ZlibInflater.swift, the only files that call zlib.
//
// Invariants: each compression owns one `z_stream` on the stack of `deflateGzip`, initialised and ended
// (`deflateEnd`) in the same call on every path; zlib reads from and writes into Swift arrays only inside their
// `withUnsafe…` scopes, and the result is an owned `[UInt8]`.
internal import CZlib

/// Compresses request bodies (the InfluxDB sink's line protocol) as one gzip member.
package enum ZlibDeflater {
    /// zlib's compression levels: 1 is fastest, 9 smallest; 6 is zlib's default.
    package static let levels = 1...9

    /// Compresses `bytes` into one gzip member at `level` (clamped to 1...9).
    package static func deflateGzip(_ bytes: [UInt8], level: Int = 6) -> [UInt8] {
        var stream = z_stream()
        let clamped = Int32(min(max(level, levels.lowerBound), levels.upperBound))
        guard czlib_deflate_init_gzip(&stream, clamped) == Z_OK else {
            preconditionFailure("deflateInit2 fails only for invalid arguments or without memory")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                // zlib never writes through next_in; the input is only read.
                stream.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0) }
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        // deflateBound is an upper bound for one Z_FINISH call, so a single call always ends the stream.
        precondition(status == Z_STREAM_END, "deflate did not finish within deflateBound (status \(status))")
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
