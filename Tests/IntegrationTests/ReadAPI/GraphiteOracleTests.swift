import DrainpipeCore
import DrainpipePostgres
import DrainpipeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Drainpipe

/// graphite-web 1.1.8 (Debian's, with whisper) as the oracle of the render API: the same datapoints go into whisper
/// files and into Postgres, the same requests go to both, and the answers must agree: the same target names, nulls
/// at the same timestamps, values equal within 1e-9 relative.
///
/// `deploy/graphite-oracle/graphite_oracle.py` runs graphite-web in-process through Django's test client with a
/// settings module of its own (see its header). Both sides get the same `now`, so relative times agree.
///
/// Every request of the table must agree. The differences Drainpipe has on purpose are outside the table, each for
/// its reason:
/// - graphite-web reads absolute times in its `TIME_ZONE` (America/Chicago by default), Drainpipe in UTC: the
///   oracle's settings set `TIME_ZONE = 'UTC'`.
/// - graphite-web lists every whisper file a pattern matches, even one without data in the range (a series of
///   nulls); Drainpipe's catalog lists the series with data since `from`, so such a series is left out. Every
///   series of the table has data over the whole range.
/// - With several values in a minute, whisper keeps the last one written while Drainpipe's bare Graphite path is
///   their mean (carbon's default aggregation), and Drainpipe's consolidation merges summaries where graphite-web
///   averages points. The table writes one value per series per minute, where both are the same number.
/// - Without `format`, graphite-web draws a PNG; Drainpipe answers JSON. The table always names the format.
@Suite("graphite-web oracle", .timeLimit(.minutes(5)))
struct GraphiteOracleTests {
    /// One request of the table.
    struct OracleRequest: Sendable, CustomStringConvertible {
        var path = "/render"
        var parameters: [(String, String)]

        var description: String { parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "&") }
    }

    static func render(
        _ targets: [String], from: String = "-3h", until: String? = nil, extra: [(String, String)] = []
    ) -> OracleRequest {
        var parameters = targets.map { ("target", $0) } + [("from", from), ("format", "json")]
        if let until { parameters.append(("until", until)) }
        return OracleRequest(parameters: parameters + extra)
    }

    static func render(
        _ target: String, from: String = "-3h", until: String? = nil, extra: [(String, String)] = []
    ) -> OracleRequest {
        render([target], from: from, until: until, extra: extra)
    }

    /// The table: every function of the issue, nesting, wildcards, maxDataPoints, summarize, relative and absolute
    /// times, CSV.
    static func requests(now: EventTime) -> [OracleRequest] {
        let absoluteFrom = UTCDateTime(now - .seconds(7_200)).formatted(.rfc3339Seconds)
        let hhmm = String(absoluteFrom.dropFirst(11).prefix(5))
        let yyyymmdd = absoluteFrom.prefix(10).replacingOccurrences(of: "-", with: "")
        return [
            render("oracle.prod.web.h1.cpu"),
            render("oracle.prod.web.h1.cpu", from: "-20min"),
            render("oracle.prod.web.*.cpu"),
            render("oracle.prod.*.h1.cpu"),
            render("oracle.prod.web.h[12].cpu"),
            render("oracle.prod.web.h?.cpu"),
            render("oracle.prod.{web,db}.h1.cpu"),
            render("oracle.prod.web.h1.{cpu,requests}"),
            render(["oracle.prod.web.h1.cpu", "oracle.prod.web.h2.cpu"]),
            render("sumSeries(oracle.prod.web.*.cpu)"),
            render("averageSeries(oracle.prod.web.*.cpu)"),
            render("minSeries(oracle.prod.web.*.cpu)"),
            render("maxSeries(oracle.prod.*.*.cpu)"),
            render("diffSeries(oracle.prod.web.h1.cpu,oracle.prod.web.h2.cpu)"),
            render("divideSeries(oracle.prod.web.h1.cpu,oracle.prod.web.h2.cpu)"),
            render("asPercent(oracle.prod.web.*.cpu)"),
            render("asPercent(oracle.prod.web.h1.cpu,oracle.prod.web.h2.cpu)"),
            render("asPercent(oracle.prod.web.*.cpu,100)"),
            render("scale(oracle.prod.web.h1.cpu,2.5)"),
            render("offset(oracle.prod.web.h1.cpu,-10)"),
            render("derivative(oracle.prod.web.h1.requests)"),
            render("nonNegativeDerivative(oracle.prod.web.*.requests)"),
            render("nonNegativeDerivative(oracle.prod.web.h1.wrapping,1000)"),
            render("perSecond(oracle.prod.web.h1.requests)"),
            render("integral(oracle.prod.web.h1.errors)"),
            render("movingAverage(oracle.prod.web.h1.cpu,5)"),
            render("movingAverage(oracle.prod.web.h1.cpu,'5min')"),
            render("movingAverage(oracle.prod.web.h1.errors,10)", from: "-1h"),
            render("summarize(oracle.prod.web.h1.cpu,'10min')"),
            render("summarize(oracle.prod.web.h1.cpu,'10min','avg')"),
            render("summarize(oracle.prod.web.h1.cpu,'15min','max')"),
            render("summarize(oracle.prod.web.h1.cpu,'1h','min')"),
            render("summarize(oracle.prod.web.h1.errors,'10min','last')"),
            render("summarize(oracle.prod.web.h1.cpu,'10min','sum',true)"),
            render("summarize(oracle.prod.web.*.cpu,'30min','avg',true)"),
            render("consolidateBy(oracle.prod.web.h1.cpu,'max')", extra: [("maxDataPoints", "20")]),
            render("consolidateBy(oracle.prod.web.h1.cpu,'sum')", extra: [("maxDataPoints", "17")]),
            render("oracle.prod.web.h1.cpu", extra: [("maxDataPoints", "30")]),
            render("oracle.prod.web.*.cpu", extra: [("maxDataPoints", "7")]),
            render("oracle.prod.web.h1.errors", extra: [("maxDataPoints", "1")]),
            render("alias(oracle.prod.web.h1.cpu,'web one')"),
            render("aliasByNode(oracle.prod.web.*.cpu,3)"),
            render("aliasByNode(oracle.prod.*.*.cpu,2,3)"),
            render("aliasSub(oracle.prod.web.*.cpu,'(^.*$)','\\1 A')"),
            render("aliasSub(oracle.prod.web.h1.cpu,'prod\\.(\\w+)\\.','\\1-')"),
            render("groupByNode(oracle.prod.*.*.cpu,2,'sumSeries')"),
            render("groupByNode(oracle.prod.web.*.cpu,1)"),
            render("highestMax(oracle.prod.web.*.cpu,2)"),
            render("highestAverage(oracle.prod.*.*.cpu,1)"),
            render("highestCurrent(oracle.prod.web.*.cpu,2)"),
            render("lowestAverage(oracle.prod.web.*.cpu,2)"),
            render("keepLastValue(oracle.prod.web.h1.errors)"),
            render("keepLastValue(oracle.prod.web.h1.errors,2)"),
            render("transformNull(oracle.prod.web.h1.errors)"),
            render("transformNull(oracle.prod.web.h1.errors,-1)"),
            render("timeShift(oracle.prod.web.h1.cpu,'1h')"),
            render("timeShift(oracle.prod.web.*.cpu,'-30min')", from: "-2h"),
            render("constantLine(100)", from: "-1h"),
            render("sumSeries(scale(oracle.prod.web.*.cpu,2),offset(oracle.prod.db.h1.cpu,1))"),
            render("alias(movingAverage(summarize(sumSeries(oracle.prod.web.*.requests),'10min','sum'),3),'nested')"),
            render("aliasByNode(highestMax(nonNegativeDerivative(oracle.prod.web.*.requests),1),3)"),
            render("aliasSub(sumSeries(oracle.prod.web.*.cpu),'(^.*$)','\\1 A')"),
            render("asPercent(sumSeries(oracle.prod.web.*.cpu),sumSeries(oracle.prod.*.*.cpu))"),
            render("oracle.prod.web.h1.cpu", from: "-2h", until: "-1h"),
            render(
                "oracle.prod.web.h1.cpu", from: "\(now.secondsSinceEpoch - 5_000)",
                until: "\(now.secondsSinceEpoch - 1_000)"),
            render("oracle.prod.web.h1.cpu", from: "\(hhmm)_\(yyyymmdd)", until: "now"),
            render("oracle.prod.web.h1.cpu", from: "now-90min", until: "now-5min"),
            render("oracle.prod.web.h1.cpu", from: String(yyyymmdd)),
            OracleRequest(parameters: [("target", "oracle.prod.web.*.cpu"), ("from", "-1h"), ("format", "csv")]),
            OracleRequest(parameters: [
                ("target", "sumSeries(oracle.prod.web.*.cpu)"), ("from", "-30min"), ("format", "csv"),
            ]),
            render("oracle.prod.web.h1.errors", extra: [("noNullPoints", "true")]),
            render("oracle.nosuch.*", extra: [("noNullPoints", "true")]),
            render("oracle.prod.web.h9.cpu"),
        ]
    }

    /// The datapoints: one value per series per minute over the last three hours, with gaps.
    static func datapoints(now: EventTime) -> [String: [(Int64, Double)]] {
        let end = now.secondsSinceEpoch / 60 * 60
        let minutes = (0..<200).map { end - Int64(199 - $0) * 60 }
        var generator = SplitMix64(seed: 20_261_205)
        func noise() -> Double { Double(generator.next() % 10_000) / 100 }
        var points: [String: [(Int64, Double)]] = [:]
        for (host, service) in [("h1", "web"), ("h2", "web"), ("h3", "web"), ("h1", "db")] {
            points["prod.\(service).\(host).cpu"] = minutes.map { ($0, noise()) }
        }
        for host in ["h1", "h2"] {
            var total = 0.0
            points["prod.web.\(host).requests"] = minutes.enumerated().compactMap { index, minute in
                total += noise()
                return index % 17 == 5 ? nil : (minute, total)
            }
        }
        points["prod.web.h1.wrapping"] = minutes.enumerated().map { index, minute in
            (minute, Double((index * 37) % 1_000))
        }
        points["prod.web.h1.errors"] = minutes.enumerated().compactMap { index, minute in
            index % 7 < 3 ? nil : (minute, Double(index % 5))
        }
        return points
    }

    @Test("graphite-web and Drainpipe answer the table alike")
    func agreesWithGraphiteWeb() async throws {
        let now = EventTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let owner = PostgresTestDatabase.uniqueOwner("oracle")
        let points = Self.datapoints(now: now)
        let table = Self.requests(now: now)
        #expect(table.count >= 50)

        // Drainpipe: one summary per series per minute, as the aggregator stores a Graphite datapoint.
        let summaries = points.flatMap { path, values in
            values.map { minute, value in
                Summary(
                    key: SeriesKey(
                        type: .customMetrics, owner: owner,
                        processType: GraphiteNaming.graphiteProcessType(ofPath: path),
                        metric: path, windowStart: EventTime(secondsSinceEpoch: minute), periodSeconds: 60),
                    version: 1, fields: ["value": FieldStatistics(value: value)])
            }
        }
        try WritePath.copyBinary.write(
            summaries, with: WritePath.copyBinary.makeWriter(), on: PostgresTestDatabase.connect())

        // graphite-web: the same points, under the owner's segment.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oracle-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input: [String: Any] = [
            "now": now.secondsSinceEpoch,
            "points": Dictionary(
                uniqueKeysWithValues: points.map { path, values in
                    ("oracle." + path, values.map { [$0.0, $0.1] as [Any] })
                }),
            "requests": table.map { request in
                ["path": request.path, "query": request.parameters.map { [$0.0, $0.1] }] as [String: Any]
            },
        ]
        try JSONSerialization.data(withJSONObject: input).write(to: scratch.appendingPathComponent("input.json"))
        let oracle = Process()
        oracle.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        oracle.arguments = [
            Self.repositoryRoot().appendingPathComponent("deploy/graphite-oracle/graphite_oracle.py").path,
            scratch.appendingPathComponent("input.json").path, scratch.appendingPathComponent("output.json").path,
        ]
        try oracle.run()
        oracle.waitUntilExit()
        try #require(oracle.terminationStatus == 0, "the graphite-web oracle failed (see its output above)")
        let answers = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.appendingPathComponent("output.json")))
                as? [[String: Any]])
        let expected = answers.map { ($0["status"] as? Int ?? 0, $0["body"] as? String ?? "") }
        try #require(expected.count == table.count)

        let tenants = try TenantDirectory(owners: [
            .init(id: owner, name: "oracle", drainCredentials: [], apiTokens: ["token-oracle"])
        ])
        let database = ShardedDatabase(shards: [try PostgresTestDatabase.url()], logger: Logger(label: "oracle"))
        let router = Router()
        GraphiteQueryRoutes(tenants: LiveTenantDirectory(tenants), store: database, clock: ManualWallClock(now))
            .register(on: router)
        try await Application(router: router).test(.router) { client in
            var agreed = 0
            for (request, oracleAnswer) in zip(table, expected) {
                let query = (request.parameters + [("now", "\(now.secondsSinceEpoch)")])
                    .map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
                let (status, body) = try await client.execute(
                    uri: "\(request.path)?\(query)", method: .get, headers: [.authorization: "Bearer token-oracle"]
                ) { ($0.status.code, String(buffer: $0.body)) }
                let (oracleStatus, oracleBody) = oracleAnswer
                guard status == 200, oracleStatus == 200 else {
                    #expect(
                        status == oracleStatus, "\(request): Drainpipe \(status) \(body), graphite-web \(oracleStatus)")
                    continue
                }
                let format = request.parameters.first { $0.0 == "format" }?.1 ?? "json"
                let mine = format == "csv" ? Self.csvSeries(body) : try Self.jsonSeries(body)
                let theirs = format == "csv" ? Self.csvSeries(oracleBody) : try Self.jsonSeries(oracleBody)
                let difference = Self.difference(mine, theirs)
                #expect(difference == nil, "\(request): \(difference ?? "")")
                if difference == nil { agreed += 1 }
            }
            #expect(agreed == table.count, "only \(agreed) of \(table.count) requests agreed")
        }
    }

    // MARK: - Comparing

    /// A series as both sides answer it: its name and its (timestamp, value) points.
    struct ComparedSeries {
        var target: String
        var points: [(Int64, Double?)]
    }

    static func jsonSeries(_ body: String) throws -> [ComparedSeries] {
        let list = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]], "\(body)")
        return list.map { series in
            let points = (series["datapoints"] as? [[Any]] ?? []).map { point -> (Int64, Double?) in
                ((point.last as? NSNumber)?.int64Value ?? -1, (point.first as? NSNumber)?.doubleValue)
            }
            return ComparedSeries(target: series["target"] as? String ?? "", points: points)
        }
    }

    /// `name,YYYY-MM-DD HH:MM:SS,value` rows (names may be quoted), grouped by name in order of appearance.
    static func csvSeries(_ body: String) -> [ComparedSeries] {
        var series: [ComparedSeries] = []
        for line in body.split(whereSeparator: \.isNewline) where !line.isEmpty {
            var fields: [String] = []
            var field = ""
            var quoted = false
            var previous: Character?
            for character in line {
                if character == "\"" {
                    if quoted, previous == "\"" { field.append("\"") }
                    quoted.toggle()
                } else if character == ",", !quoted {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
                previous = character
            }
            fields.append(field)
            guard fields.count == 3 else { continue }
            let time = UTCDateTime.parse(fields[1].replacingOccurrences(of: " ", with: "T") + "Z", syntax: .relaxed)
            let point = (time?.secondsSinceEpoch ?? -1, Double(fields[2]))
            if series.last?.target == fields[0] {
                series[series.count - 1].points.append(point)
            } else {
                series.append(ComparedSeries(target: fields[0], points: [point]))
            }
        }
        return series
    }

    /// The first difference between two answers, or nil when they agree.
    static func difference(_ mine: [ComparedSeries], _ theirs: [ComparedSeries]) -> String? {
        guard mine.count == theirs.count else {
            return "\(mine.count) series (\(mine.map(\.target))) vs graphite-web's \(theirs.count) "
                + "(\(theirs.map(\.target)))"
        }
        for (left, right) in zip(mine, theirs) {
            guard left.target == right.target else { return "target '\(left.target)' vs '\(right.target)'" }
            guard left.points.count == right.points.count else {
                let firsts = [left, right].map { $0.points.first.map { "\($0.0)" } ?? "-" }
                return "\(left.target): \(left.points.count) points vs \(right.points.count) "
                    + "(first at \(firsts[0]) vs \(firsts[1]))"
            }
            for (a, b) in zip(left.points, right.points) {
                guard a.0 == b.0 else { return "\(left.target): timestamp \(a.0) vs \(b.0)" }
                switch (a.1, b.1) {
                case (nil, nil): continue
                case (let x?, let y?) where x == y || abs(x - y) <= 1e-9 * max(abs(x), abs(y)): continue
                default:
                    return
                        "\(left.target) at \(a.0): \(a.1.map { "\($0)" } ?? "null") vs \(b.1.map { "\($0)" } ?? "null")"
                }
            }
        }
        return nil
    }

    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// The checkout this test file is in.
    static func repositoryRoot(file: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}
