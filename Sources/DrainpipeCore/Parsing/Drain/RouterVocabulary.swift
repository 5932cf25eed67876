/// The event names of router lines, as constant strings so the common ones cost no allocation.
///
/// Tokens are matched as their bytes packed by `ASCIIBytes.packed`, so no array is compared or retained per line.
enum RouterVocabulary {
    /// `ms`, packed.
    static let millisecondsUnit: UInt64 = 0x73_6D

    /// `method_GET` for the standard HTTP methods, `method_OTHER` for anything else: clients choose the method, so
    /// it must not be able to create new count names.
    static func methodEvent(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        guard let packed = ASCIIBytes.packed(bytes, in: range), let method = Method(rawValue: packed) else {
            return "method_OTHER"
        }
        return method.event
    }

    /// `protocol_https` and the like; the router writes this value, so any short lower-case token is kept.
    /// - Throws: `.badToken` unless the value is 1–16 bytes of lower-case letters, digits and `.`.
    static func protocolEvent(_ bytes: [UInt8], _ range: Range<Int>) throws(LineRejectionReason) -> String {
        if let packed = ASCIIBytes.packed(bytes, in: range), let known = KnownProtocol(rawValue: packed) {
            return known.event
        }
        guard range.count <= 16 else { throw .badToken }
        for byte in bytes[range] {
            guard byte &- UInt8(ascii: "a") < 26 || ASCIIBytes.isDigit(byte) || byte == ASCIIBytes.dot else {
                throw .badToken
            }
        }
        return "protocol_" + String(decoding: bytes[range], as: UTF8.self)
    }

    /// The standard HTTP methods, packed.
    private enum Method: UInt64 {
        case get = 0x54_45_47
        case post = 0x54_53_4F_50
        case put = 0x54_55_50
        case patch = 0x48_43_54_41_50
        case delete = 0x45_54_45_4C_45_44
        case head = 0x44_41_45_48
        case options = 0x53_4E_4F_49_54_50_4F
        case connect = 0x54_43_45_4E_4E_4F_43
        case trace = 0x45_43_41_52_54

        var event: String {
            switch self {
            case .get: "method_GET"
            case .post: "method_POST"
            case .put: "method_PUT"
            case .patch: "method_PATCH"
            case .delete: "method_DELETE"
            case .head: "method_HEAD"
            case .options: "method_OPTIONS"
            case .connect: "method_CONNECT"
            case .trace: "method_TRACE"
            }
        }
    }

    /// The protocols routers write today, packed.
    private enum KnownProtocol: UInt64 {
        case https = 0x73_70_74_74_68
        case http = 0x70_74_74_68
        case http11 = 0x31_2E_31_70_74_74_68
        case http20 = 0x30_2E_32_70_74_74_68

        var event: String {
            switch self {
            case .https: "protocol_https"
            case .http: "protocol_http"
            case .http11: "protocol_http1.1"
            case .http20: "protocol_http2.0"
            }
        }
    }
}
