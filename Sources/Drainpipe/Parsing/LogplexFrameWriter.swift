/// Writes Logplex drain bodies: RFC 5424 lines as Heroku fills them, octet-counted (RFC 6587).
///
/// Used by the load generator, the benchmarks and the tests; the inverse of `OctetFrameReader`.
package struct LogplexFrameWriter: Sendable {
    package private(set) var body: [UInt8] = []
    package private(set) var frameCount = 0

    package init() {}

    /// Appends one frame whose message is `<PRI>1 TIMESTAMP host APP PROCID - MSG` followed by LF.
    package mutating func append(priority: Int = 190, time: EventTime, appName: String, processID: String, message: String) {
        let line = "<\(priority)>1 \(Self.rfc3339(time)) host \(appName) \(processID) - \(message)\n"
        appendRaw(Array(line.utf8))
    }

    /// Appends a frame around arbitrary message bytes (the length prefix counts them exactly).
    package mutating func appendRaw(_ message: [UInt8]) {
        body.append(contentsOf: Array(String(message.count).utf8))
        body.append(0x20)
        body.append(contentsOf: message)
        frameCount += 1
    }

    /// A runtime-metrics load line as the platform writes it for dyno `processID` (`web.2`).
    package mutating func appendLoadSample(time: EventTime, processID: String, oneMinute: Double, fiveMinutes: Double, fifteenMinutes: Double) {
        append(
            priority: 45, time: time, appName: "heroku", processID: processID,
            message: "source=\(processID) dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b sample#load_avg_1m=\(Self.decimal(oneMinute)) sample#load_avg_5m=\(Self.decimal(fiveMinutes)) sample#load_avg_15m=\(Self.decimal(fifteenMinutes))")
    }

    /// Formats a value with two decimals and no exponent, as the platform does.
    package static func decimal(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `2024-03-05T14:02:07.412387+00:00`.
    package static func rfc3339(_ time: EventTime) -> String {
        let micros = time.microsecondsSinceEpoch
        var days = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 {
            rest += 86_400_000_000
            days -= 1
        }
        let date = CivilDate(daysSinceEpoch: days)
        let seconds = rest / 1_000_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(rest % 1_000_000, 6))+00:00"
    }
}
