import DrainpipeKafka

/// Something that durably hands records to Kafka: returns only once every record was acknowledged.
///
/// `KafkaProducer` in production; an in-memory recorder in unit tests.
package protocol RecordPublisher: Sendable {
    func send(_ records: [KafkaRecord]) async throws(KafkaError)
}

extension KafkaProducer: RecordPublisher {}
