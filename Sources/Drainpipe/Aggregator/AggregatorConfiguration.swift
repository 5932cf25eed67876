import DrainpipeCore

/// Settings of the aggregator process, read once at start-up.
package struct AggregatorConfiguration: Sendable, CustomStringConvertible {
    package var pipeline: PipelineConfiguration
    package var assignment: WorkerAssignment  // DYNO index of AGGREGATOR_WORKERS (default 1)
    package var windows: WindowSettings  // WINDOW_LENGTH (60s), LATE_BOUND (5m), FUTURE_BOUND (5m)
    package var flushInterval: Duration  // FLUSH_INTERVAL (1s)

    /// The aggregators' consumer group (before `KAFKA_PREFIX`), whose commits carry the markers and claims.
    package static let groupID = "drainpipe-aggregator"

    package init(environment: Environment) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        let pipeline = PipelineConfiguration(environment: environment, noting: &problems)
        let assignment = PipelineConfiguration.assignment(
            dyno: pipeline?.dyno, workersVariable: "AGGREGATOR_WORKERS", environment: environment, noting: &problems)
        let windowLength = environment.optional("WINDOW_LENGTH", as: Duration.self, noting: &problems) ?? .seconds(60)
        let lateBound = environment.optional("LATE_BOUND", as: Duration.self, noting: &problems) ?? .seconds(300)
        let futureBound = environment.optional("FUTURE_BOUND", as: Duration.self, noting: &problems) ?? .seconds(300)
        flushInterval = environment.optional("FLUSH_INTERVAL", as: Duration.self, noting: &problems) ?? .seconds(1)
        if windowLength.components.attoseconds != 0 {
            problems.append(.invalid(variable: "WINDOW_LENGTH", reason: "must be a whole number of seconds"))
        }
        guard problems.isEmpty, let pipeline, let assignment else { throw .invalidEnvironment(problems) }
        self.pipeline = pipeline
        self.assignment = assignment
        windows = WindowSettings(windowLength: windowLength, lateBound: lateBound, futureBound: futureBound)
    }

    package var description: String {
        "\(pipeline) assignment=\(assignment) window=\(windows.windowLength) "
            + "late_bound=\(windows.lateBound) flush=\(flushInterval)"
    }
}
