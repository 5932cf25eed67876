import DrainpipeKafka
import ServiceLifecycle

/// What every sink process runs around its loops: one producer for its retry topics (flushed and closed last),
/// the loops, any services of its own, and, when `PORT` is set, `/healthz`, `/metrics` and `/readyz`.
package enum SinkProcess {
    /// Builds the loops with a producer of the process's own and runs them until SIGTERM or SIGINT.
    package static func run(
        pipeline: PipelineConfiguration, observability: Observability,
        loops: (KafkaProducer) -> [SinkRunner], extraServices: [any Service] = []
    ) async throws {
        let producer = try KafkaProducer(
            connection: pipeline.kafka, clientID: "drainpipe-\(pipeline.dyno)", logger: observability.logger)
        let runners = loops(producer)
        var services: [any Service] = [ProducerService(producer: producer)]
        services += runners as [any Service]
        services += extraServices
        if let port = pipeline.port {
            services.append(
                HTTPApplication.make(port: port, observability: observability) { router in
                    SinkReadiness.register(runners.map(\.readiness), on: router)
                })
        }
        try await observability.run(services)
    }
}
