import DrainpipeCore
import DrainpipeKafka

/// What the drain and Graphite ingestors share: the tenants in force, the raw topics, admission control, delivery
/// to Kafka and the clock that stamps receive times.
package struct IngressContext: Sendable {
    package var tenants: LiveTenantDirectory
    package let topics: TopicCatalog
    package let kafka: KafkaConnection
    /// The raw topics of `topics` in `kafka`, looked up once.
    private let rawDestinations: TopicCatalog.RawDestinations
    package var admission: IngressAdmission
    package var delivery: IngressDelivery
    package var clock: any WallClock

    package init(
        tenants: LiveTenantDirectory, topics: TopicCatalog, kafka: KafkaConnection, admission: IngressAdmission,
        delivery: IngressDelivery, clock: any WallClock
    ) {
        self.tenants = tenants
        self.topics = topics
        self.kafka = kafka
        rawDestinations = TopicCatalog.RawDestinations(catalog: topics, kafka: kafka)
        self.admission = admission
        self.delivery = delivery
        self.clock = clock
    }

    /// The admission filter of one request of `owner`, writing the measurements it lets through into raw records
    /// stamped `receivedAt` as they come: parse the request into it, then `produce` it.
    package func admissionFilter(
        owner: TenantDirectory.Owner, receivedAt: EventTime
    ) -> IngressAdmission.Filter<RawRecordBatcher> {
        Self.admissionFilter(owner: owner, receivedAt: receivedAt, destinations: rawDestinations)
    }

    /// The same for raw topics `destinations`, without a context (`drainpipe bench-ingest-path`).
    package static func admissionFilter(
        owner: TenantDirectory.Owner, receivedAt: EventTime, destinations: TopicCatalog.RawDestinations
    ) -> IngressAdmission.Filter<RawRecordBatcher> {
        IngressAdmission.Filter(owner: owner, into: RawRecordBatcher(destinations: destinations, timestamp: receivedAt))
    }

    /// A builder of Graphite datapoints' raw records for these raw topics; a TCP connection keeps one for all its
    /// batches.
    package func graphiteRecordBuilder() -> GraphiteRecordBuilder {
        GraphiteRecordBuilder(destinations: rawDestinations)
    }

    /// Charges what `builder` admitted for `owner` to its caps and produces its records, returning once Kafka
    /// acknowledged them all (as `produce(_:)` does for a filter).
    package func produce(
        _ builder: GraphiteRecordBuilder, owner: TenantDirectory.Owner
    ) async throws(IngressError) {
        let charge = try admission.charge(
            owner: owner, admittedCount: builder.admittedCount, deniedCount: builder.deniedCount,
            series: builder.series)
        try await deliver(builder.records(), owner: owner.id, refundingOnFailure: charge)
    }

    /// Charges what `filter` admitted to its owner's caps and produces its raw records, returning once Kafka
    /// acknowledged them all.
    ///
    /// - Throws: `.overQuota` or `.largerThanCap` (nothing produced), or `.unavailable` (nothing confirmed; the caps
    ///   charged are refunded, so the sender's retry of the same batch is charged once).
    package func produce(_ filter: IngressAdmission.Filter<RawRecordBatcher>) async throws(IngressError) {
        let charge = try admission.charge(filter)
        try await deliver(filter.destination.records(), owner: filter.owner.id, refundingOnFailure: charge)
    }

    /// Delivers `records`, paid for by `charge`; when they are not confirmed the charge is refunded, so the sender's
    /// retry of the same batch is charged once.
    private func deliver(
        _ records: [KafkaRecord], owner: String, refundingOnFailure charge: IngressQuotaLedger.Charge?
    ) async throws(IngressError) {
        do {
            try await delivery.deliver(records, owner: owner)
        } catch {
            admission.refund(charge)
            throw error
        }
    }
}
