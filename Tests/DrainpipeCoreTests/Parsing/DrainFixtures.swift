/// Drain lines and bodies shared by the parsing tests; the three example frames are the ones in formats.md §1.3.
enum DrainFixtures {
    static let routerLine =
        #"<158>1 2024-03-05T14:02:07.412387+00:00 host heroku router - at=info "#
        + #"method=GET path="/api/v1/orders?page=2" host=shop-api.herokuapp.com "#
        + #"request_id=6f1c7a0e-2b8d-4c5e-9a41-0d3b7e8f2c11 fwd="198.51.100.23" "#
        + #"dyno=web.2 connect=1ms service=48ms status=200 bytes=5121 protocol=https"#
    static let loadLine =
        "<45>1 2024-03-05T14:02:10.551902+00:00 host heroku web.2 - "
        + "source=web.2 dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b "
        + "sample#load_avg_1m=0.42 sample#load_avg_5m=0.31 sample#load_avg_15m=0.27"
    static let memoryLine =
        "<45>1 2024-03-05T14:02:10.552377+00:00 host heroku web.2 - source=web.2 "
        + "dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b sample#memory_total=301.57MB "
        + "sample#memory_rss=287.12MB sample#memory_cache=12.40MB sample#memory_swap=2.05MB "
        + "sample#memory_pgpgin=184022pages sample#memory_pgpgout=110935pages sample#memory_quota=512.00MB"
    static let customMetricsLine =
        "<190>1 2024-03-05T14:02:11.020001+00:00 host app worker.1 - "
        + "count#jobs.processed=3 measure#job.duration=412ms sample#queue.depth=17"

    /// A router line whose message is `message`.
    static func routerLine(_ message: String) -> String {
        "<158>1 2024-03-05T14:02:07.412387+00:00 host heroku router - \(message)"
    }

    /// An app line from dyno `procID` whose message is `message`.
    static func appLine(_ message: String, procID: String = "worker.1") -> String {
        "<190>1 2024-03-05T14:02:11.020001+00:00 host app \(procID) - \(message)"
    }

    /// The router lines of formats.md §2 (request ids shortened there are filled in here).
    static let routerPostLine = routerLine(
        #"at=info method=POST path="/session" host=www.example-shop.com "#
            + #"request_id=0c5e9a41 fwd="203.0.113.9,172.70.40.11" dyno=web.1 connect=0ms "#
            + #"service=212ms status=302 bytes=788 protocol=http1.1 tls=true tls_version=tls1.3"#
    )
    static let routerH12Line = routerLine(
        #"at=error code=H12 desc="Request timeout" method=POST path="/api/v1/checkout" "#
            + #"host=shop-api.herokuapp.com request_id=a0f3d7c2-5e61-4b9e-8c70-3f2a1b9d4e55 "#
            + #"fwd="203.0.113.7" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https"#
    )
    static let routerH10Line = routerLine(
        #"at=error code=H10 desc="App crashed" method=GET path="/" host=shop-api.herokuapp.com "#
            + #"request_id=9d41 fwd="198.51.100.60" dyno= connect= service= status=503 bytes= protocol=https"#
    )
    static let routerH27Line = routerLine(
        #"sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET "#
            + #"path="/feed" host=shop-api.herokuapp.com request_id=5141 fwd="192.0.2.44" "#
            + #"dyno=web.3 connect=1ms service=1840ms status=499 bytes=0 protocol=https"#
    )
    static let runtimeErrorLine = runtimeLine("Error R14 (Memory quota exceeded)", procID: "worker.1")

    /// The three frames exactly as formats.md prints them, lengths included.
    static let exampleBody = Array(
        ("278 " + routerLine + "\n" + "203 " + loadLine + "\n" + "132 " + customMetricsLine + "\n").utf8)

    /// `line` framed with its length; the LF is appended and counted unless `countingLF` is false.
    static func frame(_ line: String, countingLF: Bool = true) -> String {
        let message = countingLF ? line + "\n" : line
        return "\(message.utf8.count) \(message)"
    }

    static func body(_ lines: String...) -> [UInt8] {
        Array(lines.map { frame($0) }.joined().utf8)
    }

    /// A load line for `procID` whose message is `message`.
    static func runtimeLine(
        _ message: String, procID: String = "web.2", timestamp: String = "2024-03-05T14:02:10.551902+00:00"
    ) -> String {
        "<45>1 \(timestamp) host heroku \(procID) - \(message)"
    }

    static func text(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}
