import DrainpipeCore

/// Settings of the influx-sink process, read once at start-up (README, "Writing a sink").
package struct InfluxSinkConfiguration: Sendable, CustomStringConvertible {
    package var pipeline: PipelineConfiguration
    package var influx: InfluxURL  // INFLUX_URL (required)
    package var assignment: WorkerAssignment  // DYNO index of INFLUX_SINK_WORKERS (default 1)
    package var batchSize: Int  // INFLUX_BATCH_SIZE: summaries (lines) per write (5000)
    package var batchWait: Duration  // INFLUX_BATCH_WAIT: how long a batch may wait to fill (1s)
    package var gzip: Bool  // INFLUX_GZIP: on or off (on)
    package var timeout: Duration  // INFLUX_TIMEOUT: per request (10s)
    package var connectTimeout: Duration  // INFLUX_CONNECT_TIMEOUT: per connection attempt (2s)

    package init(environment: Environment) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        let pipeline = PipelineConfiguration(environment: environment, noting: &problems)
        let assignment = PipelineConfiguration.assignment(
            dyno: pipeline?.dyno, workersVariable: "INFLUX_SINK_WORKERS", environment: environment, noting: &problems)
        let influx = environment.required(
            "INFLUX_URL", as: InfluxURL.self, hint: "the InfluxDB 1.x URL with credentials and database",
            noting: &problems)
        batchSize = environment.optional("INFLUX_BATCH_SIZE", as: Int.self, noting: &problems) ?? 5000
        batchWait = environment.optional("INFLUX_BATCH_WAIT", as: Duration.self, noting: &problems) ?? .seconds(1)
        timeout = environment.optional("INFLUX_TIMEOUT", as: Duration.self, noting: &problems) ?? .seconds(10)
        connectTimeout =
            environment.optional("INFLUX_CONNECT_TIMEOUT", as: Duration.self, noting: &problems) ?? .seconds(2)
        gzip = environment.optional("INFLUX_GZIP", as: Switch.self, noting: &problems)?.isOn ?? true
        if influx?.useTLS == true {
            problems.append(
                .invalid(
                    variable: "INFLUX_URL",
                    reason: "https is not supported: the influx-sink speaks plain HTTP (put a TLS proxy in front)"))
        }
        if batchSize < 1 { problems.append(.invalid(variable: "INFLUX_BATCH_SIZE", reason: "must be at least 1")) }
        if let topics = pipeline?.topics {
            for type in MeasurementType.allCases where topics.retryTopic(for: type, sink: InfluxSink.name) == nil {
                problems.append(
                    .invalid(
                        variable: "DRAINPIPE_TOPICS",
                        reason: "no retry topic with `sink: \(InfluxSink.name)` for \(type.rawValue)"))
            }
        }
        guard problems.isEmpty, let pipeline, let assignment, let influx else { throw .invalidEnvironment(problems) }
        self.pipeline = pipeline
        self.assignment = assignment
        self.influx = influx
    }

    package var description: String {
        "\(pipeline) influx=\(influx) assignment=\(assignment) batch=\(batchSize) wait=\(batchWait) "
            + "gzip=\(gzip) timeout=\(timeout) connect-timeout=\(connectTimeout)"
    }

    /// `on` or `off` (also `true`/`false`, `1`/`0`).
    private struct Switch: EnvironmentParsable {
        var isOn: Bool

        init(environmentValue: String) throws(EnvironmentValueError) {
            switch environmentValue.lowercased() {
            case "on", "true", "1": isOn = true
            case "off", "false", "0": isOn = false
            default: throw EnvironmentValueError(expected: "on or off")
            }
        }
    }
}

extension InfluxSinkConfiguration: ServiceConfiguration {}
