/// Settings of the ingress (web) process, read once at start-up.
package struct IngressConfiguration: Sendable, CustomStringConvertible {
    package var pipeline: PipelineConfiguration
    package var port: HTTPPort                 // PORT
    package var tenants: TenantDirectory       // DRAINPIPE_TENANTS: path of the tenants YAML file
    package var shards: [DatabaseURL]          // DATABASE_URL / DATABASE_SHARD_URLS, for the read API
    package var maximumBodyBytes: Int          // MAX_BODY_BYTES (1 MiB)
    package var deliveryTimeout: Duration      // DELIVERY_TIMEOUT (4s: Logplex gives up after 5 s)

    package init(environment: Environment) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        let pipeline = PipelineConfiguration(environment: environment, noting: &problems)
        if environment["PORT"] == nil {
            problems.append(.missing(variable: "PORT", hint: "the HTTP port to listen on"))
        }
        let port = pipeline?.port
        let shards = SinkConfiguration.shards(environment: environment, noting: &problems)
        maximumBodyBytes = environment.optional("MAX_BODY_BYTES", as: Int.self, noting: &problems) ?? 1_048_576
        if maximumBodyBytes < 1 {
            problems.append(.invalid(variable: "MAX_BODY_BYTES", reason: "must be at least 1"))
        }
        deliveryTimeout = environment.optional("DELIVERY_TIMEOUT", as: Duration.self, noting: &problems) ?? .seconds(4)
        var tenants: TenantDirectory?
        if let path = environment.required("DRAINPIPE_TENANTS", as: String.self, hint: "the path of the tenants YAML file", noting: &problems) {
            do {
                tenants = try TenantDirectory(contentsOf: path)
            } catch {
                problems.append(.invalid(variable: "DRAINPIPE_TENANTS", reason: error.description))
            }
        }
        guard problems.isEmpty, let pipeline, let port, let shards, let tenants else { throw .invalidEnvironment(problems) }
        self.pipeline = pipeline
        self.port = port
        self.shards = shards
        self.tenants = tenants
    }

    package var description: String {
        "\(pipeline) port=\(port) owners=\(tenants.owners.count) shards=\(shards.count) max_body=\(maximumBodyBytes)"
    }
}
