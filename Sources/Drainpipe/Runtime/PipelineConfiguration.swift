import DrainpipeCore
import DrainpipeKafka

/// Settings every Drainpipe process shares: Kafka, its topics, and its dyno identity.
package struct PipelineConfiguration: Sendable, CustomStringConvertible {
    package var kafka: KafkaConnection  // KAFKA_URL, KAFKA_*_CERT*, KAFKA_PREFIX
    package var topics: TopicCatalog  // DRAINPIPE_TOPICS (default topics.yaml)
    package var dyno: Dyno  // DYNO (default local.1)
    package var port: HTTPPort?  // PORT, for /healthz and /metrics (required by ingress)

    /// Reads the shared settings, recording every problem; nil when any is missing or malformed.
    package init?(environment: Environment, noting problems: inout [ConfigurationError.Problem]) {
        let kafka = KafkaConnection(environment: environment, noting: &problems)
        let dyno = environment.optional("DYNO", as: Dyno.self, noting: &problems) ?? .local
        port = environment.optional("PORT", as: HTTPPort.self, noting: &problems)
        let topicsPath = environment["DRAINPIPE_TOPICS"] ?? "topics.yaml"
        var topics: TopicCatalog?
        do {
            topics = try TopicCatalog(contentsOf: topicsPath)
        } catch {
            problems.append(.invalid(variable: "DRAINPIPE_TOPICS", reason: error.description))
        }
        guard let kafka, let topics else { return nil }
        self.kafka = kafka
        self.topics = topics
        self.dyno = dyno
    }

    /// This dyno's deterministic share of partitions: worker `DYNO` index of the count in `workersVariable`
    /// (default 1). Reads the count even when the rest of the configuration is broken, so every problem is listed.
    package static func assignment(
        dyno: Dyno?, workersVariable: String, environment: Environment,
        noting problems: inout [ConfigurationError.Problem]
    ) -> WorkerAssignment? {
        let count = environment.optional(workersVariable, as: Int.self, noting: &problems) ?? 1
        guard count >= 1 else {
            problems.append(.invalid(variable: workersVariable, reason: "must be at least 1 (it is \(count))"))
            return nil
        }
        guard let dyno else { return nil }
        do {
            return try WorkerAssignment(workerIndex: dyno.index, workerCount: count)
        } catch {
            problems.append(
                .invalid(
                    variable: workersVariable,
                    reason:
                        "DYNO \(dyno) is worker \(dyno.index + 1), so \(workersVariable) "
                        + "must be at least \(dyno.index + 1) (it is \(count))"
                ))
            return nil
        }
    }

    package var description: String { "kafka=\(kafka.redacted) dyno=\(dyno) topics=\(topics.topics.count)" }
}
