/// Heroku error codes (formats.md §4), read generically rather than from a list of known codes.
enum HerokuErrorCode {
    /// The code in `range` (`H12`, `R14`) as a string.
    /// - Throws: `.badToken` unless the range is exactly `H` or `R` and two digits.
    static func name(_ bytes: [UInt8], in range: Range<Int>) throws(LineRejectionReason) -> String {
        guard range.count == 3 else { throw .badToken }
        let letter = bytes[range.lowerBound]
        guard letter == UInt8(ascii: "H") || letter == UInt8(ascii: "R"),
            ASCIIBytes.isDigit(bytes[range.lowerBound + 1]), ASCIIBytes.isDigit(bytes[range.lowerBound + 2])
        else { throw .badToken }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    /// The code of a dyno manager line, `Error R14 (Memory quota exceeded)` optionally followed by ` -> detail`.
    /// - Throws: `.badToken` unless the message is `Error `, a code, then a space or the end.
    static func name(ofErrorLine bytes: [UInt8], message: Range<Int>) throws(LineRejectionReason) -> String {
        let codeStart = message.lowerBound + errorPrefix.count
        guard ASCIIBytes.bytes(bytes, in: message, startWith: errorPrefix), codeStart + 3 <= message.upperBound
        else { throw .badToken }
        let codeEnd = codeStart + 3
        guard codeEnd == message.upperBound || bytes[codeEnd] == ASCIIBytes.space else { throw .badToken }
        return try name(bytes, in: codeStart..<codeEnd)
    }

    private static let errorPrefix = Array("Error ".utf8)
}
