import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird

/// The read-only metrics API: `GET /api/v1/series/<type>?owner=…&process_type=…&from=…&to=…&resolution=…`.
///
/// Requires `Authorization: Bearer <token>`; a token reads only the owners it is scoped to in the tenants file in force
/// for that request, so a reloaded file (SIGHUP) adds and revokes tokens at once. `from`/`to` are
/// RFC 3339 times or Unix seconds (default: the last two hours); `resolution` (seconds, a multiple of the stored
/// period) downsamples by merging summaries exactly. Without `resolution` the range chooses it, like the platform's
/// metrics tab (``automaticResolution(for:)``): 60 s up to 2 h, 600 s up to 24 h, 3 600 s up to 72 h, else 7 200 s.
/// Also serves the OpenAPI document of the whole HTTP surface at `GET /api/v1/openapi.json`.
package struct SeriesRoutes: Sendable {
    package var tenants: LiveTenantDirectory
    package var store: any SummaryStore
    package var clock: any WallClock
    /// The longest range one request may ask for.
    package var maximumRange: Duration
    /// The per-tenant read quotas (429 with `Retry-After` over them); nil reads without quotas.
    package var quota: ReadQuota?

    package init(
        tenants: LiveTenantDirectory, store: any SummaryStore, clock: any WallClock,
        maximumRange: Duration = .seconds(31 * 86_400), quota: ReadQuota? = nil
    ) {
        self.tenants = tenants
        self.store = store
        self.clock = clock
        self.maximumRange = maximumRange
        self.quota = quota
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/series/:type") { request, context in
            try await series(request, type: context.parameters.get("type") ?? "")
        }
        router.get("/api/v1/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    /// The resolution a range gets when the request names none: 60 s up to 2 h, 600 s up to 24 h, 3 600 s up to
    /// 72 h, 7 200 s beyond.
    static func automaticResolution(for range: Duration) -> Int32 {
        switch range {
        case ...Duration.seconds(2 * 3_600): 60
        case ...Duration.seconds(24 * 3_600): 600
        case ...Duration.seconds(72 * 3_600): 3_600
        default: 7_200
        }
    }

    private func series(_ request: Request, type typeName: String) async throws -> Response {
        guard let type = MeasurementType(rawValue: typeName.uppercased().replacingOccurrences(of: "-", with: "_"))
        else {
            let known = MeasurementType.allCases.map {
                $0.rawValue.lowercased().replacingOccurrences(of: "_", with: "-")
            }
            throw HTTPError(
                .notFound, message: "Unknown series type '\(typeName)'. Use one of: \(known.joined(separator: ", ")).")
        }
        let (directory, readable) = try NativeReadRequest.bearerAccess(request, tenants: tenants)
        let query = request.uri.queryParameters
        guard let owner = query.get("owner")?.lowercased() else {
            throw HTTPError(.badRequest, message: "The owner query parameter is required.")
        }
        guard readable.contains(owner) else {
            throw HTTPError(.forbidden, message: "This token may not read owner \(owner).")
        }
        let tenant = directory.owner(id: owner)
        let slots = try quota?.readerSlots(for: tenant.map { [$0] } ?? []) ?? []
        defer { for slot in slots { slot.release() } }
        let (from, to) = try NativeReadRequest.range(
            of: request, now: clock.now(), defaultSpan: .seconds(7_200), maximumRange: maximumRange)
        let processType = query.get("process_type")
        let metric = query.get("metric") ?? (type == .customMetrics ? nil : type.platformMetricName)
        var summaries = try await store.summaries(
            type: type, owner: owner, processType: processType, metric: metric, from: from, to: to)
        if let quota, let tenant {
            quota.charge(tenant, series: Set(summaries.map { [$0.key.processType, $0.key.metric] }).count)
        }
        let resolution: Int32
        if let resolutionText = query.get("resolution") {
            guard let requested = Int32(resolutionText), requested > 0,
                summaries.allSatisfy({ requested % $0.key.periodSeconds == 0 })
            else {
                throw HTTPError(
                    .badRequest, message: "resolution must be a positive multiple of the stored period (60 s).")
            }
            resolution = requested
        } else {
            resolution = Self.automaticResolution(
                for: .microseconds(to.microsecondsSinceEpoch - from.microsecondsSinceEpoch))
        }
        if summaries.contains(where: { $0.key.periodSeconds != resolution }) {
            summaries = Self.downsample(summaries, to: resolution)
        }
        let body = SeriesResponse(
            owner: owner, type: type.rawValue, from: UTCDateTime(from).formatted(.rfc3339Seconds),
            to: UTCDateTime(to).formatted(.rfc3339Seconds), resolution: resolution,
            points: summaries.map(SeriesResponse.Point.init))
        return try NativeReadRequest.json(body)
    }

    /// Merges summaries into windows of `resolution` seconds, exactly.
    static func downsample(_ summaries: [Summary], to resolution: Int32) -> [Summary] {
        var merged: [SeriesKey: Summary] = [:]
        for summary in summaries {
            var key = summary.key
            key.windowStart = key.windowStart.windowStart(length: .seconds(Int64(resolution)))
            key.periodSeconds = resolution
            if merged[key] == nil {
                var rekeyed = summary
                rekeyed.key = key
                merged[key] = rekeyed
            } else {
                merged[key]!.merge(summary)
            }
        }
        return merged.values.sorted { $0.key < $1.key }
    }

    /// The latest time the API accepts: 9999-12-31T23:59:59Z. Bounds keep every later computation from overflowing.
    static let latestSeconds: Int64 = 253_402_300_799

    /// `text` as Unix seconds or an RFC 3339 time (``UTCDateTime/Syntax/relaxed``), rounded down to the second.
    static func parseTime(_ text: String, parameter: String) throws -> EventTime {
        let invalid = HTTPError(
            .badRequest, message: "\(parameter) must be an RFC 3339 time or Unix seconds between 1970 and 9999.")
        let seconds: Int64
        if let whole = Int64(text) {
            seconds = whole
        } else {
            guard let time = UTCDateTime.parse(text, syntax: .relaxed) else { throw invalid }
            seconds = time.secondsSinceEpoch
        }
        guard (0...latestSeconds).contains(seconds) else { throw invalid }
        return EventTime(secondsSinceEpoch: seconds)
    }
}

/// The JSON body of a series response.
package struct SeriesResponse: Codable, Sendable, Equatable {
    package struct Statistics: Codable, Sendable, Equatable {
        package var count: UInt64
        package var sum: Double
        package var sumOfSquares: Double
        package var min: Double?
        package var max: Double?
        package var mean: Double?
        package var stddev: Double?
        /// Median, 95th and 99th percentile within 1 % (`QuantileSketch`), for fields with a sketch.
        package var p50: Double?
        package var p95: Double?
        package var p99: Double?

        enum CodingKeys: String, CodingKey {
            case count, sum, min, max, mean, stddev, p50, p95, p99
            case sumOfSquares = "sum_of_squares"
        }

        init(_ statistics: FieldStatistics, sketch: QuantileSketch?) {
            count = statistics.count
            sum = statistics.sum
            sumOfSquares = statistics.sumOfSquares
            min = statistics.count == 0 ? nil : statistics.minimum
            max = statistics.count == 0 ? nil : statistics.maximum
            mean = statistics.mean
            stddev = statistics.standardDeviation
            p50 = sketch?.quantile(0.5)
            p95 = sketch?.quantile(0.95)
            p99 = sketch?.quantile(0.99)
        }
    }

    package struct Point: Codable, Sendable, Equatable {
        package var processType: String
        package var metric: String
        package var windowStart: String
        package var windowStartEpoch: Int64
        package var periodSeconds: Int32
        package var fields: [String: Statistics]
        package var counts: [String: UInt64]

        enum CodingKeys: String, CodingKey {
            case metric, fields, counts
            case processType = "process_type"
            case windowStart = "window_start"
            case windowStartEpoch = "window_start_epoch"
            case periodSeconds = "period_seconds"
        }

        package init(_ summary: Summary) {
            processType = summary.key.processType
            metric = summary.key.metric
            windowStart = UTCDateTime(summary.key.windowStart).formatted(.rfc3339Seconds)
            windowStartEpoch = summary.key.windowStart.secondsSinceEpoch
            periodSeconds = summary.key.periodSeconds
            fields = Dictionary(
                uniqueKeysWithValues: summary.fields.map {
                    ($0.key, Statistics($0.value, sketch: summary.sketches[$0.key]))
                })
            counts = summary.counts
        }
    }

    package var owner: String
    package var type: String
    package var from: String
    package var to: String
    /// Seconds per point: the requested resolution, or the one the range chose.
    package var resolution: Int32
    package var points: [Point]
}
