/// Drain lines and bodies shared by the parsing tests; the three example frames are the ones in formats.md §1.3.
enum DrainFixtures {
    static let routerLine =
        #"<158>1 2024-03-05T14:02:07.412387+00:00 host heroku router - at=info method=GET path="/api/v1/orders?page=2" host=shop-api.herokuapp.com request_id=6f1c7a0e-2b8d-4c5e-9a41-0d3b7e8f2c11 fwd="198.51.100.23" dyno=web.2 connect=1ms service=48ms status=200 bytes=5121 protocol=https"#
    static let loadLine =
        "<45>1 2024-03-05T14:02:10.551902+00:00 host heroku web.2 - source=web.2 dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b sample#load_avg_1m=0.42 sample#load_avg_5m=0.31 sample#load_avg_15m=0.27"
    static let memoryLine =
        "<45>1 2024-03-05T14:02:10.552377+00:00 host heroku web.2 - source=web.2 dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b sample#memory_total=301.57MB sample#memory_rss=287.12MB sample#memory_cache=12.40MB sample#memory_swap=2.05MB sample#memory_pgpgin=184022pages sample#memory_pgpgout=110935pages sample#memory_quota=512.00MB"
    static let customMetricsLine =
        "<190>1 2024-03-05T14:02:11.020001+00:00 host app worker.1 - count#jobs.processed=3 measure#job.duration=412ms sample#queue.depth=17"

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
