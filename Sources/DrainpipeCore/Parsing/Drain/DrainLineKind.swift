/// What a drain line is, by APP-NAME, PROCID and MSG (the classification table of formats.md §1.4).
///
/// Classification is cheap and never rejects: it only decides which parser, if any, reads the line. Adding a
/// measurement type means giving its kind a parser in `DrainParser`; every other kind is counted and ignored.
package enum DrainLineKind: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `heroku router`: a request line, with `code=Hxx` when the router answered with an error (§2).
    case router
    /// `heroku <dyno>` with `sample#load_avg_1m` (§3).
    case runtimeLoad
    /// `heroku <dyno>` with `sample#memory_total` (§3).
    case runtimeMemory
    /// `heroku <dyno>` starting `Error R` (§4).
    case runtimeError
    /// `heroku logplex` starting `Error L`, such as the L10 drop notice (§4).
    case logplexError
    /// `app log-shuttle` starting `Error L`, such as the L12 local drop notice (§4).
    case logShuttleError
    /// `app <dyno>` with `measure#`, `sample#`, `count#` or `unique#` keys (§5).
    case customMetrics
    /// `app <dyno>` without metric keys: the app's ordinary output.
    case appOutput
    /// `app heroku-<add-on>`: add-on lines such as `heroku-postgres` metrics (Decision 5: ignored).
    case addOn
    /// Anything else: platform notices such as `Process running mem=…`, build lines, unknown writers.
    case other
    /// `app api` or `heroku api` starting with a release verb (`Deploy `, `Release `, `Scale `…): an app-wide
    /// platform event (docs/events.md).
    case appEvent
    /// `heroku <dyno>` starting `State changed`, `Starting process`, `Stopping `, `Process exited`, `Restarting` or
    /// `Cycling`: a dyno's platform event.
    case dynoEvent

    /// A short name for logs and metrics labels.
    package var description: String {
        switch self {
        case .router: "router"
        case .runtimeLoad: "runtime load"
        case .runtimeMemory: "runtime memory"
        case .runtimeError: "runtime error"
        case .logplexError: "Logplex error"
        case .logShuttleError: "log-shuttle error"
        case .customMetrics: "custom metrics"
        case .appOutput: "app output"
        case .addOn: "add-on"
        case .other: "other"
        case .appEvent: "app event"
        case .dynoEvent: "dyno event"
        }
    }

    /// Classifies a parsed line of `bytes`.
    package init(classifying line: SyslogLine, in bytes: [UInt8]) {
        // Short names are compared as packed integers (`ASCIIBytes.packed`): nil for longer ones, which match none.
        let appName = ASCIIBytes.packed(bytes, in: line.appName)
        let processID = ASCIIBytes.packed(bytes, in: line.processID)
        if appName == Packed.heroku {
            if processID == Packed.router {
                self = .router
            } else if ASCIIBytes.isDynoName(bytes, in: line.processID) {
                if Self.message(bytes, of: line, startsWith: Packed.errorR) {
                    self = .runtimeError
                } else if PlatformEventReading.isDynoEvent(bytes, message: line.message) {
                    self = .dynoEvent
                } else {
                    self = Self.runtimeSampleKind(bytes, in: line.message)
                }
            } else if processID == Packed.api {
                self = PlatformEventReading.isAppWideEvent(bytes, message: line.message) ? .appEvent : .other
            } else if processID == Packed.logplex, Self.message(bytes, of: line, startsWith: Packed.errorL) {
                self = .logplexError
            } else {
                self = .other
            }
        } else if appName == Packed.app {
            if ASCIIBytes.isDynoName(bytes, in: line.processID) {
                self = Self.hasMetricKey(bytes, in: line.message) ? .customMetrics : .appOutput
            } else if processID == Packed.api {
                self = PlatformEventReading.isAppWideEvent(bytes, message: line.message) ? .appEvent : .other
            } else if ASCIIBytes.packedPrefix(bytes, of: line.processID, length: Packed.addOnPrefixLength)
                == Packed.addOnPrefix
            {
                self = .addOn
            } else if ASCIIBytes.bytes(bytes, in: line.processID, equal: Literal.logShuttle),
                Self.message(bytes, of: line, startsWith: Packed.errorL)
            {
                self = .logShuttleError
            } else {
                self = .other
            }
        } else {
            self = .other
        }
    }

    // MARK: - Message inspection

    /// Whether the message of `line` starts with `Error R` or `Error L` (`errorR`, `errorL`).
    private static func message(_ bytes: [UInt8], of line: SyslogLine, startsWith error: UInt64) -> Bool {
        ASCIIBytes.packedPrefix(bytes, of: line.message, length: Packed.errorLength) == error
    }

    /// The kind named by the first `sample#load_avg_1m` or `sample#memory_total` key, else `.other`.
    private static func runtimeSampleKind(_ bytes: [UInt8], in message: Range<Int>) -> DrainLineKind {
        let loadAverage1m = Literal.loadAverage1m
        let memoryTotal = Literal.memoryTotal
        for pair in LogfmtScanner(bytes, in: message) {
            if ASCIIBytes.bytes(bytes, in: pair.key, equal: loadAverage1m) { return .runtimeLoad }
            if ASCIIBytes.bytes(bytes, in: pair.key, equal: memoryTotal) { return .runtimeMemory }
        }
        return .other
    }

    /// Whether a space-separated word of `message` starts with `count#`, `sample#`, `measure#` or `unique#`.
    ///
    /// Looks only around `#` bytes, so ordinary app output is scanned once at about a comparison per byte.
    private static func hasMetricKey(_ bytes: [UInt8], in message: Range<Int>) -> Bool {
        let span = bytes.span
        var index = message.lowerBound
        while index < message.upperBound {
            index = ByteWord.firstIndex(in: span, from: index, end: message.upperBound, of: .hash)
            guard index < message.upperBound else { break }
            if bytes[index] == ASCIIBytes.hash {
                var wordStart = index
                while wordStart > message.lowerBound, index - wordStart < 8,
                    bytes[wordStart - 1] != ASCIIBytes.space
                {
                    wordStart -= 1
                }
                if let prefix = ASCIIBytes.packed(bytes, in: wordStart..<index),
                    prefix == Packed.count || prefix == Packed.sample || prefix == Packed.measure
                        || prefix == Packed.unique
                {
                    return true
                }
            }
            index += 1
        }
        return false
    }

    /// The byte strings classification compares against that are longer than eight bytes.
    enum Literal {
        static let loadAverage1m = Array("sample#load_avg_1m".utf8)
        static let memoryTotal = Array("sample#memory_total".utf8)
        static let logShuttle = Array("log-shuttle".utf8)
    }

    /// The shorter ones, packed by `ASCIIBytes.packed` (`"app"` is `0x70_70_61`).
    enum Packed {
        static let heroku: UInt64 = 0x75_6B_6F_72_65_68
        static let app: UInt64 = 0x70_70_61
        static let router: UInt64 = 0x72_65_74_75_6F_72
        static let logplex: UInt64 = 0x78_65_6C_70_67_6F_6C
        static let api: UInt64 = 0x69_70_61
        /// `Error R` and `Error L`, the first `errorLength` bytes of error messages.
        static let errorR: UInt64 = 0x52_20_72_6F_72_72_45
        static let errorL: UInt64 = 0x4C_20_72_6F_72_72_45
        static let errorLength = 7
        static let count: UInt64 = 0x74_6E_75_6F_63
        static let sample: UInt64 = 0x65_6C_70_6D_61_73
        static let measure: UInt64 = 0x65_72_75_73_61_65_6D
        static let unique: UInt64 = 0x65_75_71_69_6E_75
        /// `heroku-`, the first `addOnPrefixLength` bytes of add-on names.
        static let addOnPrefix: UInt64 = 0x2D_75_6B_6F_72_65_68
        static let addOnPrefixLength = 7
    }
}
