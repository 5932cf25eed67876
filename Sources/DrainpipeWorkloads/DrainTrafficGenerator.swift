import DrainpipeCore

/// Writes a realistic, seeded mix of drain lines: what an app's Logplex drain carries, for the load tool, the parser
/// benchmark and the fuzz test.
///
/// Out of 1 000 lines about: 600 router requests (mostly 2xx, some 3xx/4xx/5xx, a few with empty values), 20 router
/// error lines (H12, H10 with no dyno, H27), 40 runtime load and 40 memory samples, 3 dyno manager errors (R14, R15,
/// R10), 100 l2met app lines, 190 lines of ordinary app output, 4 platform notices that are ignored (Logplex L10,
/// add-on metrics, `Process running mem=…`) and 3 dyno events (state changes, restarts, starts, stops, exits,
/// cycles). `appendDeploy` and `appendScale` write the app-wide events of a release and a formation change.
package struct DrainTrafficGenerator: Sendable {
    /// What one generated line is.
    package enum Sample: Int, Sendable, Hashable, CaseIterable {
        case routerRequest, routerError, runtimeLoad, runtimeMemory, runtimeError, customMetrics, appOutput
        case ignoredNotice
        /// A dyno's platform event (`State changed from starting to up`, `Restarting`…).
        case platformEvent
    }

    private var generator: SplitMix64
    private let processTypes: [String]
    private let writesDynoEvents: Bool

    /// A generator whose dynos are `<type>.1`…`<type>.3` for each of `processTypes` (web is always first).
    ///
    /// Without `dynoEvents`, the lines that would be random dyno events are ignored notices instead, for callers
    /// that write their own events at chosen times (`drainpipe load`).
    package init(seed: UInt64, processTypes: [String] = ["web", "worker", "clock"], dynoEvents: Bool = true) {
        generator = SplitMix64(seed: seed)
        self.processTypes = processTypes
        writesDynoEvents = dynoEvents
    }

    /// `count` drain bodies of `lines` lines each of the mix over web and worker dynos, without dyno events, stamped
    /// at random over the two minutes before `now`: the requests the producer and ingest-path benchmarks replay.
    package static func benchmarkBodies(count: Int, lines: Int, seed: UInt64, now: EventTime) -> [[UInt8]] {
        var times = SplitMix64(seed: seed)
        var traffic = DrainTrafficGenerator(seed: seed, processTypes: ["web", "worker"], dynoEvents: false)
        return (0..<count).map { _ in
            var writer = LogplexFrameWriter()
            for _ in 0..<lines {
                traffic.appendLine(to: &writer, time: now - .milliseconds(Int64(times.next() % 120_000)))
            }
            return writer.body
        }
    }

    /// Appends one line stamped `time` and says what it was.
    @discardableResult
    package mutating func appendLine(to writer: inout LogplexFrameWriter, time: EventTime) -> Sample {
        let draw = Int(generator.next() % 1000)
        let sample: Sample =
            switch draw {
            case ..<600: .routerRequest
            case ..<620: .routerError
            case ..<660: .runtimeLoad
            case ..<700: .runtimeMemory
            case ..<703: .runtimeError
            case ..<803: .customMetrics
            case ..<993: .appOutput
            case ..<997: .ignoredNotice
            default: writesDynoEvents ? .platformEvent : .ignoredNotice
            }
        switch sample {
        case .routerRequest: appendRouterRequest(to: &writer, time: time)
        case .routerError: appendRouterError(to: &writer, time: time)
        case .runtimeLoad:
            let load = Double(number(below: 400)) / 100
            writer.appendLoadSample(
                time: time, processID: dyno(), oneMinute: load, fiveMinutes: load * 0.8, fifteenMinutes: load * 0.6)
        case .runtimeMemory:
            let rss = Double(number(below: 50_000)) / 100 + 100
            writer.appendMemorySample(
                time: time, processID: dyno(), rssMB: rss, cacheMB: Double(number(below: 2_000)) / 100,
                swapMB: Double(number(below: 500)) / 100, quotaMB: 512, pagesIn: 100_000 + number(below: 100_000),
                pagesOut: 50_000 + number(below: 100_000))
        case .runtimeError:
            let (code, description) = pick([
                ("R14", "Memory quota exceeded"), ("R15", "Memory quota vastly exceeded"), ("R10", "Boot timeout"),
            ])
            writer.appendRuntimeError(time: time, processID: dyno(), code: code, description: description)
        case .customMetrics:
            let message = pick([
                """
                count#jobs.processed=\(1 + number(below: 5)) \
                measure#job.duration=\(number(below: 900))ms sample#queue.depth=\(number(below: 40))
                """,
                "measure#db.query=\(number(below: 80)).\(number(below: 10))ms count#cache.hit source=checkout",
                "sample#pool.size=\(number(below: 20)) count#mailer.sent=\(number(below: 3))",
            ])
            writer.append(time: time, appName: "app", processID: dyno(), message: message)
        case .appOutput:
            let message = pick([
                """
                Started GET "/api/v1/orders?page=\(number(below: 9))" for 198.51.100.23 at 2024-03-05 14:02:07 +0000
                """,
                "Completed 200 OK in \(number(below: 300))ms (Views: 12.1ms | ActiveRecord: 4.3ms | Allocations: 5121)",
                "[sidekiq] JID-\(generator.next() % 1_000_000_000) OrderMailer#deliver done: 0.412 sec",
                "  Rendered orders/index.html.erb within layouts/application (Duration: 8.2ms | Allocations: 2210)",
            ])
            writer.append(time: time, appName: "app", processID: dyno(), message: message)
        case .ignoredNotice:
            switch number(below: 3) {
            case 0:
                writer.append(
                    priority: 172, time: time, appName: "heroku", processID: "logplex",
                    message:
                        """
                        Error L10 (output buffer overflow): \(number(below: 500)) \
                        messages dropped since 2024-03-05T14:00:00+00:00.
                        """
                )
            case 1:
                writer.append(
                    time: time, appName: "app", processID: "heroku-postgres",
                    message:
                        """
                        source=DATABASE addon=postgresql-curved-12345 \
                        sample#current_transaction=1873 sample#db_size=18102335bytes \
                        sample#tables=21 sample#active-connections=8 sample#load-avg-1m=0.015
                        """
                )
            default:
                writer.append(
                    priority: 45, time: time, appName: "heroku", processID: dyno(),
                    message: "Process running mem=\(500 + number(below: 90))M(10\(number(below: 10)).0%)")
            }
        case .platformEvent:
            let message = pick([
                "State changed from starting to up", "State changed from up to crashed",
                "State changed from crashed to starting", "Restarting", "Cycling",
                "Stopping all processes with SIGTERM", "Process exited with status \(pick([0, 1, 137, 143]))",
                "Starting process with command `bundle exec sidekiq -C config/sidekiq.yml`",
            ])
            writer.append(priority: 45, time: time, appName: "heroku", processID: dyno(), message: message)
        }
        return sample
    }

    // MARK: - Platform events at chosen times

    /// The lines of a deploy of release `version` with commit `commit`, all stamped `time`: `Deploy`, `Release`,
    /// then for every dyno of `dynos` `Restarting`, `Stopping all processes with SIGTERM`,
    /// `Process exited with status 143`, `State changed from up to starting`, `Starting process with command …` and
    /// `State changed from starting to up`.
    package static func appendDeploy(
        to writer: inout LogplexFrameWriter, time: EventTime, version: Int, commit: String,
        dynos: [String] = ["web.1", "worker.1"]
    ) {
        writer.append(
            priority: 45, time: time, appName: "app", processID: "api", message: "Deploy \(commit) by ops@example.com")
        writer.append(
            priority: 45, time: time, appName: "app", processID: "api",
            message: "Release v\(version) created by ops@example.com")
        for dyno in dynos {
            for message in [
                "Restarting", "Stopping all processes with SIGTERM", "Process exited with status 143",
                "State changed from up to starting", "Starting process with command `bin/start \(dyno)`",
                "State changed from starting to up",
            ] {
                writer.append(priority: 45, time: time, appName: "heroku", processID: dyno, message: message)
            }
        }
    }

    /// `Scale to <formation> by …`, e.g. formation `web=2, worker=1`.
    package static func appendScale(to writer: inout LogplexFrameWriter, time: EventTime, formation: String) {
        writer.append(
            priority: 45, time: time, appName: "app", processID: "api",
            message: "Scale to \(formation) by ops@example.com")
    }

    // MARK: - Router lines

    private mutating func appendRouterRequest(to writer: inout LogplexFrameWriter, time: EventTime) {
        let statusDraw = number(below: 100)
        let status =
            statusDraw < 85
            ? pick([200, 200, 200, 201, 204])
            : statusDraw < 93
                ? pick([301, 302, 304])
                : statusDraw < 98 ? pick([400, 401, 404, 422]) : pick([500, 502])
        let method = number(below: 10) < 7 ? "GET" : pick(["POST", "PUT", "DELETE", "PATCH"])
        writer.appendRouterRequest(
            time: time, method: method, path: pick(["/", "/api/v1/orders?page=2", "/session", "/assets/app-4f1c.js"]),
            dyno: "web.\(1 + number(below: 3))", connectMs: number(below: 3), serviceMs: 2 + number(below: 400),
            status: status, bytes: 200 + number(below: 20_000),
            protocolName: pick(["https", "https", "https", "http1.1", "http2.0"]))
    }

    private mutating func appendRouterError(to writer: inout LogplexFrameWriter, time: EventTime) {
        switch number(below: 3) {
        case 0:
            writer.appendRouterRequest(
                time: time, method: "POST", path: "/api/v1/checkout", dyno: "web.\(1 + number(below: 3))", connectMs: 0,
                serviceMs: 30_000, status: 503, bytes: 0, code: ("H12", "Request timeout"))
        case 1:
            writer.appendRouterRequest(
                time: time, method: "GET", path: "/", dyno: "", connectMs: nil, serviceMs: nil, status: 503,
                bytes: nil, code: ("H10", "App crashed"))
        default:
            writer.appendRouterRequest(
                time: time, method: "GET", path: "/feed", dyno: "web.\(1 + number(below: 3))", connectMs: 1,
                serviceMs: number(below: 2_000), status: 499, bytes: 0, code: ("H27", "Client Request Interrupted"))
        }
    }

    // MARK: - Randomness

    private mutating func dyno() -> String {
        "\(processTypes[number(below: processTypes.count)]).\(1 + number(below: 3))"
    }

    private mutating func number(below bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }

    private mutating func pick<Element>(_ choices: [Element]) -> Element { choices[number(below: choices.count)] }
}
