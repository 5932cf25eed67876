import DrainpipeCore

/// The influx-sink's name: its retry topics (`sink: influx` in `topics.yaml`), consumer groups and metric labels.
package enum InfluxSink {
    package static let name = "influx"
}

/// The influx-sink process (Procfile `influx_sink`): two loops of the sink kit over one InfluxDB database, each in
/// a consumer group of its own — the primary loop reads the summary topics and hands what InfluxDB did not take to
/// the `RETRY.INFLUX.*` topics; the retry loop drains those with back-off, writing only versions newer than the
/// stored ones. Neither touches Postgres or the postgres-sink's topics and groups.
package struct InfluxSinkProcess {
    package var configuration: InfluxSinkConfiguration
    package var observability: Observability

    package init(configuration: InfluxSinkConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        let pipeline = configuration.pipeline
        let client = InfluxClient(
            url: configuration.influx, gzip: configuration.gzip, timeout: configuration.timeout,
            connectTimeout: configuration.connectTimeout)
        let lock = InfluxWriteLock()
        try await SinkProcess.run(
            pipeline: pipeline, observability: observability,
            loops: { producer in
                [(SinkMode.primary, InfluxSummaryDestination.Guard.none), (.retry, .newerVersionsOnly)].map {
                    mode, versionGuard in
                    SinkRunner(
                        settings: SinkSettings(
                            sink: InfluxSink.name, mode: mode, topics: pipeline.topics, kafka: pipeline.kafka,
                            assignment: configuration.assignment, pollLimit: configuration.batchSize,
                            batchWait: configuration.batchWait, clientID: "drainpipe-\(pipeline.dyno)"),
                        destination: InfluxSummaryDestination(client: client, guard: versionGuard, lock: lock),
                        publisher: producer, metrics: observability.metrics, logger: observability.logger)
                }
            })
    }
}
