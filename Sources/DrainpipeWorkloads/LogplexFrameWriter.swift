import DrainpipeCore

/// Writes Logplex drain bodies: RFC 5424 lines as Heroku fills them, octet-counted (RFC 6587).
///
/// Used by the load generator, the benchmarks and the tests; the inverse of `OctetFrameReader`.
package struct LogplexFrameWriter: Sendable {
    package private(set) var body: [UInt8] = []
    package private(set) var frameCount = 0

    package init() {}

    /// Appends one frame whose message is `<PRI>1 TIMESTAMP host APP PROCID - MSG` followed by LF.
    package mutating func append(
        priority: Int = 190, time: EventTime, appName: String, processID: String, message: String
    ) {
        let timestamp = UTCDateTime(time).formatted(.rfc3339Microseconds)
        let line = "<\(priority)>1 \(timestamp) host \(appName) \(processID) - \(message)\n"
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
    package mutating func appendLoadSample(
        time: EventTime, processID: String, oneMinute: Double, fiveMinutes: Double, fifteenMinutes: Double
    ) {
        append(
            priority: 45, time: time, appName: "heroku", processID: processID,
            message:
                """
                source=\(processID) dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b \
                sample#load_avg_1m=\(Self.decimal(oneMinute)) sample#load_avg_5m=\(Self.decimal(fiveMinutes)) \
                sample#load_avg_15m=\(Self.decimal(fifteenMinutes))
                """
        )
    }

    /// A runtime-metrics memory line for dyno `processID`; sizes in MB, paging counters in pages.
    package mutating func appendMemorySample(
        time: EventTime, processID: String, rssMB: Double, cacheMB: Double, swapMB: Double, quotaMB: Double,
        pagesIn: Int, pagesOut: Int
    ) {
        let total = Self.decimal(rssMB + cacheMB + swapMB)
        append(
            priority: 45, time: time, appName: "heroku", processID: processID,
            message:
                """
                source=\(processID) dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b \
                sample#memory_total=\(total)MB sample#memory_rss=\(Self.decimal(rssMB))MB \
                sample#memory_cache=\(Self.decimal(cacheMB))MB \
                sample#memory_swap=\(Self.decimal(swapMB))MB sample#memory_pgpgin=\(pagesIn)pages \
                sample#memory_pgpgout=\(pagesOut)pages sample#memory_quota=\(Self.decimal(quotaMB))MB
                """
        )
    }

    /// One router request as in formats.md §2.
    ///
    /// `nil` values are written empty (`connect=`), as the router does when it did not measure them. With `code`
    /// (`H12`, "Request timeout") the line is an `at=error` line, or `at=warning` for H27/H28.
    package mutating func appendRouterRequest(
        time: EventTime, method: String, path: String, dyno: String, connectMs: Int?, serviceMs: Int?,
        status: Int?, bytes: Int?, protocolName: String = "https", code: (code: String, description: String)? = nil
    ) {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "" }
        let severity: String
        if let code {
            let isWarning = code.code == "H27" || code.code == "H28"
            severity = "at=\(isWarning ? "warning" : "error") code=\(code.code) desc=\"\(code.description)\""
        } else {
            severity = "at=info"
        }
        append(
            priority: 158, time: time, appName: "heroku", processID: "router",
            message:
                """
                \(severity) method=\(method) path="\(path)" host=shop-api.herokuapp.com \
                request_id=6f1c7a0e-2b8d-4c5e-9a41-0d3b7e8f2c11 fwd="198.51.100.23" dyno=\(dyno) \
                connect=\(connectMs.map { "\($0)ms" } ?? "") service=\(serviceMs.map { "\($0)ms" } ?? "") \
                status=\(text(status)) bytes=\(text(bytes)) protocol=\(protocolName)
                """
        )
    }

    /// A dyno manager error line such as `Error R14 (Memory quota exceeded)` for dyno `processID`.
    package mutating func appendRuntimeError(time: EventTime, processID: String, code: String, description: String) {
        append(
            priority: 45, time: time, appName: "heroku", processID: processID, message: "Error \(code) (\(description))"
        )
    }

    /// Formats a value with two decimals and no exponent, as the platform does.
    package static func decimal(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
