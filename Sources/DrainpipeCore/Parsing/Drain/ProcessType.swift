/// Reads the process type out of a dyno name (`worker.3` → `worker`, formats.md §1.4).
enum ProcessType {
    /// The bytes before the first `.` of the dyno name in `range`; they must be a non-empty run of letters, digits,
    /// `_` and `-`.
    /// - Throws: `.invalidSource` otherwise.
    static func named(_ bytes: [UInt8], in range: Range<Int>) throws(LineRejectionReason) -> String {
        var end = range.lowerBound
        while end < range.upperBound, bytes[end] != ASCIIBytes.dot {
            guard ASCIIBytes.isProcessTypeByte(bytes[end]) else { throw .invalidSource }
            end += 1
        }
        guard end > range.lowerBound else { throw .invalidSource }
        if ASCIIBytes.packed(bytes, in: range.lowerBound..<end) == packedWeb { return web }
        return String(decoding: bytes[range.lowerBound..<end], as: UTF8.self)
    }

    /// The process type of router lines that reached no dyno, and the most common one.
    static let web = "web"
    /// `web`, packed by `ASCIIBytes.packed`.
    private static let packedWeb: UInt64 = 0x62_65_77
}
