import DrainpipeCore
import Logging
import Metrics

/// Turns Graphite plaintext lines of one tenant into `CUSTOM_METRICS` measurements acknowledged by Kafka.
///
/// Shared by `POST /graphite` and the TCP listener. A datapoint becomes a measurement owned by the tenant whose
/// metric is the full path, whose only field is `value`, and whose process type is the path's first three segments
/// (`<env>.<region>.<service>`, or the whole path when it is shorter), so one tenant's series spread over partitions.
package struct GraphiteIngestor: Sendable {
    /// What was done with a batch of lines.
    package struct Receipt: Sendable, Equatable {
        /// Datapoints produced and acknowledged.
        package var accepted: Int
        package var rejectedLines: Int
        /// Datapoints dropped by the tenant's allow and deny lists.
        package var denied: Int
        /// E.g. "2 lines rejected: 1 bad value, 1 path too long".
        package var rejectionSummary: String

        /// Whether every line was used.
        package var isClean: Bool { rejectedLines == 0 && denied == 0 }
    }

    private let context: IngressContext
    private let parser: GraphiteLineParser
    private let logger: Logger
    private let rejectedByReason: [Counter]
    private let unknownTokens: Counter
    private let datapointsProduced: Counter

    /// - Parameters:
    ///   - pastWindow: how far before the receive time a timestamp may lie (`GRAPHITE_PAST_WINDOW`).
    ///   - futureWindow: how far after it (`GRAPHITE_FUTURE_WINDOW`).
    package init(
        context: IngressContext, pastWindow: Duration, futureWindow: Duration, metrics: any MetricsFactory,
        logger: Logger
    ) {
        self.context = context
        self.logger = logger
        parser = GraphiteLineParser(pastWindow: pastWindow, futureWindow: futureWindow)
        rejectedByReason = GraphiteLineRejectionReason.allCases.map { reason in
            Counter(
                label: "drainpipe_graphite_lines_rejected_total", dimensions: [("reason", reason.metricLabel)],
                factory: metrics)
        }
        unknownTokens = Counter(label: "drainpipe_graphite_unknown_tokens_total", factory: metrics)
        datapointsProduced = Counter(label: "drainpipe_graphite_datapoints_total", factory: metrics)
    }

    // MARK: - Tenants

    /// The tenant of a Graphite token (TCP preamble or HTTP bearer token).
    ///
    /// - Throws: `.unauthenticated` (401) for a missing or unknown token, counted.
    package func owner(token: String?) throws(IngressError) -> TenantDirectory.Owner {
        guard let token, !token.isEmpty else {
            unknownTokens.increment()
            throw .unauthenticated(reason: "a Graphite token is required")
        }
        guard let owner = context.tenants.current.owner(graphiteToken: token) else {
            unknownTokens.increment()
            throw .unauthenticated(reason: "unknown Graphite token")
        }
        return owner
    }

    /// The tenant mapped to a TCP peer's address in the tenants file, if any.
    package func owner(source address: String) -> TenantDirectory.Owner? {
        context.tenants.current.owner(graphiteSource: address)
    }

    /// Counts a TCP connection that neither sent a preamble nor comes from a mapped address.
    package func countUnauthenticated() {
        unknownTokens.increment()
    }

    /// Counts a line dropped before parsing (a TCP line over the length limit).
    package func countRejection(_ reason: GraphiteLineRejectionReason) {
        rejectedByReason[reason.rawValue].increment()
    }

    // MARK: - Ingesting

    /// Parses the LF-separated lines of `bytes[range]` and produces the datapoints that pass, waiting for Kafka.
    ///
    /// - Parameter batchID: the identity of a batch its sender may send again (`POST /graphite`: the
    ///   `Idempotency-Key` or the body's digest). Each datapoint then carries the origin (tenant, batch, line) the
    ///   aggregator counts once, as it does a Logplex frame's; nil (TCP) carries none.
    /// - Throws: `.overQuota` (nothing produced) or `.unavailable` (nothing confirmed).
    package func ingest(
        _ bytes: [UInt8], in range: Range<Int>, owner: TenantDirectory.Owner, batchID: String? = nil
    ) async throws(IngressError) -> Receipt {
        let receivedAt = context.clock.now()
        var parser = parser
        parser.requiresNamingConvention = owner.requiresGraphiteNamingConvention
        let parsed = parser.parseLines(bytes, in: range, receivedAt: receivedAt)
        for (reason, count) in parsed.rejections { rejectedByReason[reason.rawValue].increment(by: count) }
        // One measurement refilled per datapoint and handed through admission's lists into raw batches.
        var admitted = context.admissionFilter(owner: owner, receivedAt: receivedAt)
        var draft = Measurement(
            type: .customMetrics, owner: owner.id, processType: "", metric: "", time: receivedAt,
            receivedAt: receivedAt, fields: [MeasurementField(name: "value", value: 0)],
            origin: batchID.map { DrainOrigin(drainID: "\(owner.id)/graphite", frameID: $0, lineIndex: 0) })
        var processTypes = RecentProcessType()
        for point in parsed.points {
            draft.processType = processTypes.processType(ofPath: point.path)
            draft.metric = point.path
            draft.time = point.time
            draft.fields[0].value = point.value
            draft.origin?.lineIndex = point.lineIndex
            admitted.append(draft)
        }
        try await context.produce(admitted)
        datapointsProduced.increment(by: admitted.admittedCount)
        return Receipt(
            accepted: admitted.admittedCount, rejectedLines: parsed.rejectedLineCount,
            denied: admitted.deniedCount,
            rejectionSummary: parsed.rejectionSummary)
    }

    /// The first three segments of a path (`prod.us-east.checkout`), or the whole path when it has fewer.
    package static func processType(ofPath path: String) -> String {
        var processTypes = RecentProcessType()
        return processTypes.processType(ofPath: path)
    }

    /// The previous datapoint's process type, reused while the paths share it: one request's paths mostly do, and a
    /// process type longer than 15 bytes is a heap allocation per datapoint otherwise.
    private struct RecentProcessType {
        private var previous: String?
        private var previousBytes: [UInt8] = []

        mutating func processType(ofPath path: String) -> String {
            var bytesOfPath = path
            // The path's bytes are contiguous (it was made from bytes), so the search and comparison run on them.
            let prefix: String? = bytesOfPath.withUTF8 { bytes in
                var dots = 0
                var end = bytes.count
                for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: ".") {
                    dots += 1
                    if dots == 3 {
                        end = index
                        break
                    }
                }
                guard dots == 3 else { return nil }
                let prefix = bytes[..<end]
                if let previous, previousBytes.elementsEqual(prefix) { return previous }
                let processType = String(decoding: prefix, as: UTF8.self)
                previous = processType
                previousBytes = Array(prefix)
                return processType
            }
            return prefix ?? path
        }
    }
}
