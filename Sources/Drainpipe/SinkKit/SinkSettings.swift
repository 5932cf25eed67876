import DrainpipeCore
import DrainpipeKafka

/// Which loop of a sink a runner is: reading the summary topics, or the sink's own retry topics.
package enum SinkMode: String, Sendable {
    /// Reads the compacted summary topics; hands what it could not write to the sink's retry topics.
    case primary
    /// Reads the sink's retry topics; tries each write with back-off until it succeeds, committing nothing before.
    case retry
}

/// Everything a sink runner needs, resolved from a sink's configuration or built by tests.
package struct SinkSettings: Sendable {
    /// The sink's name: its retry topics (`sink:` in `topics.yaml`), consumer groups and metric labels.
    package var sink: String
    package var mode: SinkMode
    package var topics: TopicCatalog
    package var kafka: KafkaConnection
    package var assignment: WorkerAssignment
    /// Messages per poll; a poll is one call of ``SummaryDestination/write(_:)``.
    package var pollLimit: Int
    /// How long a poll that has messages but fewer than `pollLimit` keeps collecting more (zero: return at once).
    package var batchWait: Duration
    package var types: [MeasurementType]
    package var groupID: String
    package var clientID: String
    /// The retry loop's back-off: first delay and cap.
    package var retryDelay: Duration
    package var maximumRetryDelay: Duration
    /// How often the backlog gauge is updated (and, for the retry loop, logged).
    package var backlogReportInterval: Duration

    /// - Parameter groupID: by default ``SinkSettings/defaultGroupID(sink:mode:)``.
    package init(
        sink: String, mode: SinkMode, topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment,
        pollLimit: Int = 4096, batchWait: Duration = .zero, types: [MeasurementType] = MeasurementType.allCases,
        groupID: String? = nil, clientID: String = "sink", retryDelay: Duration = .milliseconds(200),
        maximumRetryDelay: Duration = .seconds(30), backlogReportInterval: Duration = .seconds(10)
    ) {
        self.sink = sink
        self.mode = mode
        self.topics = topics
        self.kafka = kafka
        self.assignment = assignment
        self.pollLimit = pollLimit
        self.batchWait = batchWait
        self.types = types
        self.groupID = groupID ?? Self.defaultGroupID(sink: sink, mode: mode)
        self.clientID = clientID
        self.retryDelay = retryDelay
        self.maximumRetryDelay = maximumRetryDelay
        self.backlogReportInterval = backlogReportInterval
    }

    /// Each sink's loops have consumer groups of their own, so starting, stopping or replaying one never moves
    /// another's offsets: `drainpipe-<sink>-sink` and `drainpipe-<sink>-retry-sink` (the postgres-sink's retry
    /// loop keeps its original `drainpipe-retry-sink`).
    package static func defaultGroupID(sink: String, mode: SinkMode) -> String {
        switch (sink, mode) {
        case (_, .primary): "drainpipe-\(sink)-sink"
        case (TopicCatalog.postgresSink, .retry): "drainpipe-retry-sink"
        case (_, .retry): "drainpipe-\(sink)-retry-sink"
        }
    }

    /// The topics this loop reads: the summary topics, or the sink's retry topics.
    package var sourceTopics: [TopicCatalog.Topic] {
        types.map { type in
            switch mode {
            case .primary: topics.topic(.summary, for: type)
            case .retry: retryTopic(for: type)
            }
        }
    }

    /// Where the primary loop hands a summary of `type` it could not write.
    package func retryTopic(for type: MeasurementType) -> TopicCatalog.Topic {
        guard let topic = topics.retryTopic(for: type, sink: sink) else {
            preconditionFailure("the sink's configuration checks that topics.yaml has \(sink)'s retry topics")
        }
        return topic
    }

    /// Labels of the loop's metrics.
    var metricDimensions: [(String, String)] { [("sink", sink), ("mode", mode.rawValue)] }
}
