import DrainpipeCore
import DrainpipeKafka

/// What the drain and Graphite ingestors share: the tenants in force, the raw topics, admission control, delivery
/// to Kafka and the clock that stamps receive times.
package struct IngressContext: Sendable {
    package var tenants: LiveTenantDirectory
    package var topics: TopicCatalog
    package var kafka: KafkaConnection
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
        self.admission = admission
        self.delivery = delivery
        self.clock = clock
    }

    /// Admits `measurements` for `owner` and produces the admitted ones to their raw topics, stamped with
    /// `receivedAt`, returning once Kafka acknowledged them all.
    ///
    /// - Throws: `.overQuota` or `.largerThanCap` (nothing produced), or `.unavailable` (nothing confirmed; the caps
    ///   charged are refunded, so the sender's retry of the same batch is charged once).
    package func produce(
        _ measurements: [Measurement], owner: TenantDirectory.Owner, receivedAt: EventTime
    ) async throws(IngressError) -> IngressAdmission.Admitted {
        let admitted = try admission.admit(measurements, owner: owner)
        let records = topics.rawRecords(for: admitted.measurements, timestamp: receivedAt, in: kafka)
        do {
            try await delivery.deliver(records, owner: owner.id)
        } catch {
            admission.refund(admitted)
            throw error
        }
        return admitted
    }
}
