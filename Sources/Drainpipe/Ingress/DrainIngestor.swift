import DrainpipeCore
import Logging
import Metrics

/// Turns one Logplex drain request into raw measurements acknowledged by Kafka.
///
/// Authenticates the drain, parses every frame, applies the owner's admission lists and caps, produces the admitted
/// measurements to their raw topics partitioned by owner and process type, and returns only after the broker
/// acknowledged all of them. Rejected frames and lines never cost the valid ones: the receipt counts them, and only
/// a body in which nothing at all could be framed is refused (400, formats.md §1.5).
package struct DrainIngestor: Sendable {
    /// What the HTTP layer needs from an authenticated drain request.
    package struct Request: Sendable {
        /// The body, already inflated when it was sent gzip-encoded.
        package var body: [UInt8]
        package var drainToken: String?
        package var frameID: String?
        package var declaredMessageCount: Int?

        package init(body: [UInt8], drainToken: String? = nil, frameID: String? = nil, declaredMessageCount: Int? = nil)
        {
            self.body = body
            self.drainToken = drainToken
            self.frameID = frameID
            self.declaredMessageCount = declaredMessageCount
        }
    }

    /// What was done with an accepted request.
    package struct Receipt: Sendable, Equatable {
        package var frames: Int
        package var measurements: Int
        package var ignoredLines: Int
        /// Runs of unframeable bytes skipped.
        package var rejectedFrames: Int = 0
        /// Framed lines rejected as a whole.
        package var rejectedLines: Int = 0
        /// Measurements dropped by the owner's allow and deny lists.
        package var deniedMeasurements: Int = 0
        /// What was rejected, e.g. "1 frame rejected: 1 truncated frame"; "nothing rejected" when clean.
        package var rejectionSummary: String = "nothing rejected"

        /// Whether every frame and line was used or deliberately ignored, and nothing was denied.
        package var isClean: Bool { rejectedFrames == 0 && rejectedLines == 0 && deniedMeasurements == 0 }
    }

    private let context: IngressContext
    private let logger: Logger
    private let requestsRejected: Counter
    private let framesRejected: Counter
    private let linesRejectedByReason: [LineRejectionReason: Counter]
    private let linesIgnoredByKind: [DrainLineKind: Counter]
    private let measurementsProduced: Counter
    private let msgCountMismatches: Counter

    package init(context: IngressContext, metrics: any MetricsFactory, logger: Logger) {
        self.context = context
        self.logger = logger
        requestsRejected = Counter(label: "drainpipe_ingress_requests_rejected_total", factory: metrics)
        framesRejected = Counter(label: "drainpipe_ingress_frames_rejected_total", factory: metrics)
        linesRejectedByReason = Dictionary(
            uniqueKeysWithValues: LineRejectionReason.allCases.map { reason in
                let dimensions = [("reason", reason.metricLabel)]
                return (
                    reason,
                    Counter(label: "drainpipe_ingress_lines_rejected_total", dimensions: dimensions, factory: metrics)
                )
            })
        linesIgnoredByKind = Dictionary(
            uniqueKeysWithValues: DrainLineKind.allCases.map { kind in
                let dimensions = [("kind", kind.metricLabel)]
                return (
                    kind,
                    Counter(label: "drainpipe_ingress_lines_ignored_total", dimensions: dimensions, factory: metrics)
                )
            })
        measurementsProduced = Counter(label: "drainpipe_ingress_measurements_total", factory: metrics)
        msgCountMismatches = Counter(label: "drainpipe_ingress_msg_count_mismatches_total", factory: metrics)
    }

    /// Authenticates a request before its body is read, so a stranger never costs a body's worth of work.
    ///
    /// - Throws: `.unauthenticated` (401), counted: the same status and message for a missing or wrong credential and
    ///   for a right credential with a wrong or missing drain token, so the answer is no password oracle.
    package func authenticate(
        basicCredential: String?, drainToken: String?
    ) throws(IngressError) -> TenantDirectory.Owner {
        let identified = identify(basicCredential: basicCredential, drainToken: drainToken)
        if case .failure = identified { requestsRejected.increment() }
        return try identified.get()
    }

    private func identify(basicCredential: String?, drainToken: String?) -> Result<TenantDirectory.Owner, IngressError>
    {
        let refusal = IngressError.unauthenticated(
            reason: "the drain URL's user:password and the Logplex-Drain-Token do not name a registered drain")
        guard let credential = basicCredential,
            let owner = context.tenants.current.owner(drainCredential: credential)
        else { return .failure(refusal) }
        if !owner.drainTokens.isEmpty, !owner.drainTokens.contains(drainToken ?? "") { return .failure(refusal) }
        return .success(owner)
    }

    /// Ingests one request of an owner `authenticate` returned.
    ///
    /// - Throws: `IngressError`: `.malformedBody` when nothing could be framed (nothing is produced); `.overQuota`
    ///   (nothing is produced); `.unavailable` when Kafka did not acknowledge in time (nothing is confirmed;
    ///   Logplex resends the batch with the same frame id).
    package func ingest(_ request: Request, owner: TenantDirectory.Owner) async throws(IngressError) -> Receipt {
        let receivedAt = context.clock.now()
        // Scoped to the owner, so one tenant's frame ids can never mark another's lines as retries.
        let drainID = "\(owner.id)/\(request.drainToken ?? "")"
        // The measurements go straight from the parser through admission's lists into raw batches.
        var admitted = context.admissionFilter(owner: owner, receivedAt: receivedAt)
        let parsed = DrainParser().parse(
            body: request.body, owner: owner.id, drainID: drainID, frameID: request.frameID ?? "",
            receivedAt: receivedAt, into: &admitted)
        for (reason, count) in parsed.lineRejections { linesRejectedByReason[reason]?.increment(by: count) }
        for (kind, count) in parsed.ignoredLinesByKind { linesIgnoredByKind[kind]?.increment(by: count) }
        if parsed.rejectedFrameCount > 0 { framesRejected.increment(by: parsed.rejectedFrameCount) }
        if let declared = request.declaredMessageCount, declared != parsed.frameCount {
            msgCountMismatches.increment()
            logger.debug(
                "Logplex-Msg-Count does not match the frames found",
                metadata: ["declared": "\(declared)", "framed": "\(parsed.frameCount)", "owner": "\(owner.id)"])
        }
        if parsed.isUnframeable {
            requestsRejected.increment()
            throw .malformedBody(reason: "\(parsed.rejectionSummary); no frame could be read")
        }
        try await context.produce(admitted)
        measurementsProduced.increment(by: admitted.admittedCount)
        return Receipt(
            frames: parsed.frameCount, measurements: admitted.admittedCount, ignoredLines: parsed.ignoredLines,
            rejectedFrames: parsed.rejectedFrameCount, rejectedLines: parsed.rejectedLineCount,
            deniedMeasurements: admitted.deniedCount, rejectionSummary: parsed.rejectionSummary)
    }
}

extension LineRejectionReason {
    /// The label of this reason in the `drainpipe_ingress_lines_rejected_total` counter.
    fileprivate var metricLabel: String {
        switch self {
        case .invalidUTF8: "invalid_utf8"
        case .badSyslogHeader: "bad_syslog_header"
        case .badTimestamp: "bad_timestamp"
        case .badNumber: "bad_number"
        case .unknownUnit: "unknown_unit"
        case .missingField: "missing_field"
        case .duplicateField: "duplicate_field"
        case .invalidSource: "invalid_source"
        case .badToken: "bad_token"
        case .badMetricName: "bad_metric_name"
        case .duplicateMetric: "duplicate_metric"
        case .lineTooLong: "line_too_long"
        case .malformedEvent: "malformed_event"
        }
    }
}

extension DrainLineKind {
    /// The label of this kind in the `drainpipe_ingress_lines_ignored_total` counter.
    fileprivate var metricLabel: String {
        switch self {
        case .router: "router"
        case .runtimeLoad: "runtime_load"
        case .runtimeMemory: "runtime_memory"
        case .runtimeError: "runtime_error"
        case .logplexError: "logplex_error"
        case .logShuttleError: "log_shuttle_error"
        case .customMetrics: "custom_metrics"
        case .appOutput: "app_output"
        case .addOn: "add_on"
        case .other: "other"
        case .appEvent: "app_event"
        case .dynoEvent: "dyno_event"
        }
    }
}
