import Logging
import Metrics

/// Turns one Logplex drain request into raw measurements acknowledged by Kafka.
///
/// Authenticates the drain, parses every frame, produces the valid measurements to their raw topics partitioned
/// by owner and process type, and returns only after the broker acknowledged all of them. Rejected frames never
/// cost the valid ones: those are produced first, then the rejection is reported.
package struct DrainIngestor: Sendable {
    /// What the HTTP layer needs from a drain request.
    package struct Request: Sendable {
        package var body: [UInt8]
        /// The `user:password` of the `Authorization: Basic` header, already decoded.
        package var basicCredential: String?
        package var drainToken: String?
        package var frameID: String?
        package var declaredMessageCount: Int?

        package init(body: [UInt8], basicCredential: String?, drainToken: String? = nil, frameID: String? = nil, declaredMessageCount: Int? = nil) {
            self.body = body
            self.basicCredential = basicCredential
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
    }

    private let tenants: TenantDirectory
    private let topics: TopicCatalog
    private let kafka: KafkaConnection
    private let publisher: any RecordPublisher
    private let clock: any WallClock
    private let logger: Logger
    private let requestsRejected: Counter
    private let framesRejected: Counter
    private let linesRejected: Counter
    private let measurementsProduced: Counter
    private let msgCountMismatches: Counter

    package init(
        tenants: TenantDirectory, topics: TopicCatalog, kafka: KafkaConnection, publisher: any RecordPublisher,
        clock: any WallClock, metrics: any MetricsFactory, logger: Logger
    ) {
        self.tenants = tenants
        self.topics = topics
        self.kafka = kafka
        self.publisher = publisher
        self.clock = clock
        self.logger = logger
        requestsRejected = Counter(label: "drainpipe_ingress_requests_rejected_total", factory: metrics)
        framesRejected = Counter(label: "drainpipe_ingress_frames_rejected_total", factory: metrics)
        linesRejected = Counter(label: "drainpipe_ingress_lines_rejected_total", factory: metrics)
        measurementsProduced = Counter(label: "drainpipe_ingress_measurements_total", factory: metrics)
        msgCountMismatches = Counter(label: "drainpipe_ingress_msg_count_mismatches_total", factory: metrics)
    }

    /// Ingests one request.
    ///
    /// - Throws: `IngressError`: `.malformedBody` after the valid frames were acknowledged, `.unavailable` when
    ///   Kafka did not acknowledge (nothing is confirmed; Logplex resends the batch with the same frame id).
    package func ingest(_ request: Request) async throws(IngressError) -> Receipt {
        let owner: TenantDirectory.Owner
        do {
            owner = try authenticate(request)
        } catch {
            requestsRejected.increment()
            throw error
        }
        let receivedAt = clock.now()
        let drainID = request.drainToken ?? owner.id
        let parsed = DrainParser().parse(
            body: request.body, owner: owner.id, drainID: drainID, frameID: request.frameID ?? "", receivedAt: receivedAt)
        if parsed.rejectedLineCount > 0 {
            linesRejected.increment(by: parsed.rejectedLineCount)
        }
        if let declared = request.declaredMessageCount, declared != parsed.frameCount {
            msgCountMismatches.increment()
        }
        let records = parsed.measurements.map { topics.rawRecord(for: $0, timestamp: receivedAt, in: kafka) }
        if !records.isEmpty {
            do {
                try await publisher.send(records)
            } catch {
                logger.warning("Kafka did not acknowledge a drain batch", metadata: ["error": "\(error)", "owner": "\(owner.id)"])
                throw .unavailable(reason: "the message broker did not acknowledge the batch", retryAfterSeconds: 5)
            }
            measurementsProduced.increment(by: records.count)
        }
        let rejected = parsed.rejectedFrameCount
        if rejected > 0 {
            framesRejected.increment(by: rejected)
            throw .malformedBody(
                reason: "\(parsed.rejectionSummary); \(parsed.frameCount) valid frame(s) accepted")
        }
        return Receipt(frames: parsed.frameCount, measurements: records.count, ignoredLines: parsed.ignoredLines)
    }

    private func authenticate(_ request: Request) throws(IngressError) -> TenantDirectory.Owner {
        guard let credential = request.basicCredential else {
            throw .unauthenticated(reason: "the drain URL must carry user:password credentials")
        }
        guard let owner = tenants.owner(drainCredential: credential) else {
            throw .unauthenticated(reason: "unknown drain credentials")
        }
        if !owner.drainTokens.isEmpty, !owner.drainTokens.contains(request.drainToken ?? "") {
            throw .forbidden(reason: "the Logplex-Drain-Token does not belong to this owner")
        }
        return owner
    }
}
