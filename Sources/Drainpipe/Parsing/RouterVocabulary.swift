/// The event names of router lines, as constant strings so the common ones cost no allocation.
enum RouterVocabulary {
    static let millisecondsUnit = Array("ms".utf8)

    /// `method_GET` for the standard HTTP methods, `method_OTHER` for anything else: clients choose the method, so
    /// it must not be able to create new count names.
    static func methodEvent(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        for (literal, event) in methods where ASCIIBytes.bytes(bytes, in: range, equal: literal) { return event }
        return "method_OTHER"
    }

    /// `protocol_https` and the like; the router writes this value, so any short lower-case token is kept.
    /// - Throws: `.badToken` unless the value is 1–16 bytes of lower-case letters, digits and `.`.
    static func protocolEvent(_ bytes: [UInt8], _ range: Range<Int>) throws(LineRejectionReason) -> String {
        for (literal, event) in protocols where ASCIIBytes.bytes(bytes, in: range, equal: literal) { return event }
        guard range.count <= 16 else { throw .badToken }
        for byte in bytes[range] {
            guard byte &- UInt8(ascii: "a") < 26 || ASCIIBytes.isDigit(byte) || byte == ASCIIBytes.dot else {
                throw .badToken
            }
        }
        return "protocol_" + String(decoding: bytes[range], as: UTF8.self)
    }

    private static let methods: [([UInt8], String)] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ].map { (Array($0.utf8), "method_" + $0) }

    private static let protocols: [([UInt8], String)] = ["https", "http", "http1.1", "http2.0"].map {
        (Array($0.utf8), "protocol_" + $0)
    }
}
