import DrainpipeKafka
import ServiceLifecycle

/// Keeps a Kafka producer open while its process runs and flushes and closes it on graceful shutdown.
///
/// List it before the services that produce, so the group stops them first and this last.
package struct ProducerService: Service {
    package let producer: KafkaProducer

    package init(producer: KafkaProducer) {
        self.producer = producer
    }

    package func run() async throws {
        try? await gracefulShutdown()
        await producer.close(flushTimeout: .seconds(10))
    }
}
