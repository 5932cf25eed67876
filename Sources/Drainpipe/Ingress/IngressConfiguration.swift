import DrainpipeCore
import DrainpipePostgres

/// Settings of the ingress (web) process, read once at start-up.
package struct IngressConfiguration: Sendable, CustomStringConvertible {
    package var pipeline: PipelineConfiguration
    package var port: HTTPPort  // PORT
    package var tenants: TenantDirectory  // DRAINPIPE_TENANTS: path of the tenants YAML file (reloaded on SIGHUP)
    package var tenantsPath: String
    package var shards: [DatabaseURL]  // DATABASE_URL / DATABASE_SHARD_URLS, for the read API
    package var readSessionsPerShard: Int  // DATABASE_READ_SESSIONS (4): concurrent read statements per shard
    package var maximumBodyBytes: Int  // MAX_BODY_BYTES (1 MiB), also the limit of an inflated gzip body
    package var deliveryTimeout: Duration  // DELIVERY_TIMEOUT (4s: Logplex gives up after 5 s)
    package var producerLinger: Duration  // KAFKA_LINGER_MS (1): how long the producer gathers records into a batch
    package var graphitePort: Int?  // GRAPHITE_PORT (2003; `off` disables the TCP listener)
    package var graphitePastWindow: Duration  // GRAPHITE_PAST_WINDOW (5m, the aggregator's late bound)
    package var graphiteFutureWindow: Duration  // GRAPHITE_FUTURE_WINDOW (5m)
    package var limits: IngressLimits  // deadlines, connection caps, body budget, request and read quotas
    package var dygraphsDirectory: String  // DYGRAPHS_DIR (Debian's libjs-dygraphs directory), for the dashboard

    package init(environment: Environment) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        let pipeline = PipelineConfiguration(environment: environment, noting: &problems)
        if environment["PORT"] == nil {
            problems.append(.missing(variable: "PORT", hint: "the HTTP port to listen on"))
        }
        let port = pipeline?.port
        let shards = SinkConfiguration.shards(environment: environment, noting: &problems)
        readSessionsPerShard =
            environment.optional("DATABASE_READ_SESSIONS", as: Int.self, noting: &problems)
            ?? ShardedDatabase.defaultReadSessionsPerShard
        if readSessionsPerShard < 1 {
            problems.append(.invalid(variable: "DATABASE_READ_SESSIONS", reason: "must be at least 1"))
        }
        maximumBodyBytes = environment.optional("MAX_BODY_BYTES", as: Int.self, noting: &problems) ?? 1_048_576
        if maximumBodyBytes < 1 {
            problems.append(.invalid(variable: "MAX_BODY_BYTES", reason: "must be at least 1"))
        }
        deliveryTimeout = environment.optional("DELIVERY_TIMEOUT", as: Duration.self, noting: &problems) ?? .seconds(4)
        let lingerMilliseconds = environment.optional("KAFKA_LINGER_MS", as: Int.self, noting: &problems) ?? 1
        if !(0...1_000).contains(lingerMilliseconds) {
            problems.append(.invalid(variable: "KAFKA_LINGER_MS", reason: "must be between 0 and 1000"))
        }
        producerLinger = .milliseconds(lingerMilliseconds)
        if environment["GRAPHITE_PORT"]?.lowercased() == "off" {
            graphitePort = nil
        } else {
            graphitePort = environment.optional("GRAPHITE_PORT", as: Int.self, noting: &problems) ?? 2003
            if let graphitePort, !(0...65_535).contains(graphitePort) {
                problems.append(.malformed(variable: "GRAPHITE_PORT", expected: "a TCP port (0…65535) or off"))
            }
        }
        graphitePastWindow =
            environment.optional("GRAPHITE_PAST_WINDOW", as: Duration.self, noting: &problems) ?? .seconds(300)
        graphiteFutureWindow =
            environment.optional("GRAPHITE_FUTURE_WINDOW", as: Duration.self, noting: &problems) ?? .seconds(300)
        limits = IngressLimits(environment: environment, noting: &problems)
        dygraphsDirectory = environment["DYGRAPHS_DIR"] ?? DashboardAssets.debianDygraphsDirectory
        var tenants: TenantDirectory?
        let tenantsPath = environment.required(
            "DRAINPIPE_TENANTS", as: String.self, hint: "the path of the tenants YAML file", noting: &problems)
        if let tenantsPath {
            do {
                tenants = try TenantDirectory(contentsOf: tenantsPath)
            } catch {
                problems.append(.invalid(variable: "DRAINPIPE_TENANTS", reason: error.description))
            }
        }
        guard problems.isEmpty, let pipeline, let port, let shards, let tenants, let tenantsPath else {
            throw .invalidEnvironment(problems)
        }
        self.pipeline = pipeline
        self.port = port
        self.shards = shards
        self.tenants = tenants
        self.tenantsPath = tenantsPath
    }

    package var description: String {
        "\(pipeline) port=\(port) graphite_port=\(graphitePort.map(String.init) ?? "off") "
            + "owners=\(tenants.owners.count) shards=\(shards.count) read_sessions=\(readSessionsPerShard) "
            + "max_body=\(maximumBodyBytes) "
            + "delivery_timeout=\(deliveryTimeout) kafka_linger=\(producerLinger) \(limits)"
    }
}
