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
        if ASCIIBytes.bytes(bytes, in: line.appName, equal: Literal.heroku) {
            if ASCIIBytes.bytes(bytes, in: line.processID, equal: Literal.router) {
                self = .router
            } else if ASCIIBytes.isDynoName(bytes, in: line.processID) {
                if ASCIIBytes.bytes(bytes, in: line.message, startWith: Literal.errorR) {
                    self = .runtimeError
                } else if PlatformEventReading.isDynoEvent(bytes, message: line.message) {
                    self = .dynoEvent
                } else {
                    self = Self.runtimeSampleKind(bytes, in: line.message)
                }
            } else if ASCIIBytes.bytes(bytes, in: line.processID, equal: Literal.api) {
                self = PlatformEventReading.isAppWideEvent(bytes, message: line.message) ? .appEvent : .other
            } else if ASCIIBytes.bytes(bytes, in: line.processID, equal: Literal.logplex),
                ASCIIBytes.bytes(bytes, in: line.message, startWith: Literal.errorL)
            {
                self = .logplexError
            } else {
                self = .other
            }
        } else if ASCIIBytes.bytes(bytes, in: line.appName, equal: Literal.app) {
            if ASCIIBytes.isDynoName(bytes, in: line.processID) {
                self = Self.hasMetricKey(bytes, in: line.message) ? .customMetrics : .appOutput
            } else if ASCIIBytes.bytes(bytes, in: line.processID, equal: Literal.api) {
                self = PlatformEventReading.isAppWideEvent(bytes, message: line.message) ? .appEvent : .other
            } else if ASCIIBytes.bytes(bytes, in: line.processID, startWith: Literal.addOnPrefix) {
                self = .addOn
            } else if ASCIIBytes.bytes(bytes, in: line.processID, equal: Literal.logShuttle),
                ASCIIBytes.bytes(bytes, in: line.message, startWith: Literal.errorL)
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
        var index = message.lowerBound
        while index < message.upperBound {
            if bytes[index] == ASCIIBytes.hash {
                var wordStart = index
                while wordStart > message.lowerBound, index - wordStart < 8,
                    bytes[wordStart - 1] != ASCIIBytes.space
                {
                    wordStart -= 1
                }
                let prefix = wordStart..<index
                if ASCIIBytes.bytes(bytes, in: prefix, equal: Literal.count)
                    || ASCIIBytes.bytes(bytes, in: prefix, equal: Literal.sample)
                    || ASCIIBytes.bytes(bytes, in: prefix, equal: Literal.measure)
                    || ASCIIBytes.bytes(bytes, in: prefix, equal: Literal.unique)
                {
                    return true
                }
            }
            index += 1
        }
        return false
    }

    /// The byte strings classification compares against.
    enum Literal {
        static let heroku = Array("heroku".utf8)
        static let app = Array("app".utf8)
        static let router = Array("router".utf8)
        static let logplex = Array("logplex".utf8)
        static let api = Array("api".utf8)
        static let errorR = Array("Error R".utf8)
        static let errorL = Array("Error L".utf8)
        static let loadAverage1m = Array("sample#load_avg_1m".utf8)
        static let memoryTotal = Array("sample#memory_total".utf8)
        static let count = Array("count".utf8)
        static let sample = Array("sample".utf8)
        static let measure = Array("measure".utf8)
        static let unique = Array("unique".utf8)
        static let logShuttle = Array("log-shuttle".utf8)
        static let addOnPrefix = Array("heroku-".utf8)
    }
}
