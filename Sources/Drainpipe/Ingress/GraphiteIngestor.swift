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
        var builder = context.graphiteRecordBuilder()
        return try await ingest(bytes, in: range, owner: owner, batchID: batchID, building: &builder)
    }

    /// A builder of raw records for `ingest(_:in:owner:batchID:building:)`.
    package func recordBuilder() -> GraphiteRecordBuilder {
        context.graphiteRecordBuilder()
    }

    /// `ingest(_:in:owner:batchID:)` with the records built by `builder`, whose paths resolved in earlier batches
    /// are reused (a TCP connection keeps one builder for all its batches).
    package func ingest(
        _ bytes: [UInt8], in range: Range<Int>, owner: TenantDirectory.Owner, batchID: String? = nil,
        building builder: inout GraphiteRecordBuilder
    ) async throws(IngressError) -> Receipt {
        let receivedAt = context.clock.now()
        var parser = parser
        parser.requiresNamingConvention = owner.requiresGraphiteNamingConvention
        // Every datapoint goes straight from the parser through the owner's lists into its raw batch.
        builder.begin(owner: owner, receivedAt: receivedAt, batchID: batchID)
        let rejections = parser.parseLines(bytes, in: range, receivedAt: receivedAt, into: &builder)
        for (reason, count) in rejections { rejectedByReason[reason.rawValue].increment(by: count) }
        try await context.produce(builder, owner: owner)
        datapointsProduced.increment(by: builder.admittedCount)
        let parsed = GraphiteParseResult(rejections: rejections)
        return Receipt(
            accepted: builder.admittedCount, rejectedLines: parsed.rejectedLineCount, denied: builder.deniedCount,
            rejectionSummary: parsed.rejectionSummary)
    }

    /// The first three segments of a path (`prod.us-east.checkout`), or the whole path when it has fewer.
    package static func processType(ofPath path: String) -> String {
        let bytes = Array(path.utf8)
        return GraphiteRecordBuilder.processType(ofPath: bytes.indices, of: bytes) ?? path
    }
}
