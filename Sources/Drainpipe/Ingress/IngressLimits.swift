import DrainpipeCore

/// The ingress's resource bounds, read from the environment with production defaults (README, "Listener limits").
package struct IngressLimits: Sendable, CustomStringConvertible {
    package var http: HTTPListenerLimits
    package var graphite: GraphiteTCPServer.Limits
    /// `MAX_INFLIGHT_BODY_BYTES` (64 MiB): bytes all ingest request bodies may reserve together.
    package var inflightBodyBytes: Int
    /// `MAX_CONCURRENT_REQUESTS_PER_TENANT` (16): ingest requests in progress per tenant.
    package var concurrentRequestsPerTenant: Int
    /// `READ_SERIES_PER_SECOND` (150) and `READ_CONCURRENT_READERS` (8): the read API's per-tenant defaults.
    package var readQuota: ReadQuota.Defaults

    /// Descriptors kept free for Kafka, Postgres, log files and the runtime when the caps are fitted to the limit.
    package static let reservedDescriptors = 256

    package init(environment: Environment, noting problems: inout [ConfigurationError.Problem]) {
        func duration(_ name: String, _ fallback: Duration) -> Duration {
            environment.optional(name, as: Duration.self, noting: &problems) ?? fallback
        }
        func count(_ name: String, _ fallback: Int) -> Int {
            let value = environment.optional(name, as: Int.self, noting: &problems) ?? fallback
            if value < 1 { problems.append(.invalid(variable: name, reason: "must be at least 1")) }
            return value
        }
        http = HTTPListenerLimits(
            idleTimeout: duration("HTTP_IDLE_TIMEOUT", .seconds(100)),
            headTimeout: duration("HTTP_HEAD_TIMEOUT", .seconds(10)),
            bodyTimeout: duration("HTTP_BODY_TIMEOUT", .seconds(30)),
            maximumConnections: count("HTTP_MAX_CONNECTIONS", 1_000))
        graphite = GraphiteTCPServer.Limits(
            authTimeout: duration("GRAPHITE_AUTH_TIMEOUT", .seconds(10)),
            idleTimeout: duration("GRAPHITE_IDLE_TIMEOUT", .seconds(300)),
            maximumConnections: count("GRAPHITE_MAX_CONNECTIONS", 2_000),
            maximumConnectionsPerSource: count("GRAPHITE_MAX_CONNECTIONS_PER_SOURCE", 200))
        inflightBodyBytes = count("MAX_INFLIGHT_BODY_BYTES", 64 << 20)
        concurrentRequestsPerTenant = count("MAX_CONCURRENT_REQUESTS_PER_TENANT", 16)
        readQuota = ReadQuota.Defaults(
            seriesPerSecond: count("READ_SERIES_PER_SECOND", 150),
            concurrentReaders: count("READ_CONCURRENT_READERS", 8))
    }

    /// The limits with both connection caps scaled down, in proportion, to leave `reservedDescriptors` of
    /// `openFileLimit` free; nil when they already fit.
    package func fitted(toOpenFileLimit openFileLimit: Int) -> IngressLimits? {
        let available = max(2, openFileLimit - Self.reservedDescriptors)
        let wanted = http.maximumConnections + graphite.maximumConnections
        guard wanted > available else { return nil }
        var fitted = self
        fitted.http.maximumConnections = max(1, http.maximumConnections * available / wanted)
        fitted.graphite.maximumConnections = max(1, graphite.maximumConnections * available / wanted)
        fitted.graphite.maximumConnectionsPerSource = min(
            graphite.maximumConnectionsPerSource, fitted.graphite.maximumConnections)
        return fitted
    }

    package var description: String {
        "http_idle=\(http.idleTimeout) http_head=\(http.headTimeout) http_body=\(http.bodyTimeout) "
            + "http_max_connections=\(http.maximumConnections) graphite_auth=\(graphite.authTimeout) "
            + "graphite_idle=\(graphite.idleTimeout) graphite_max_connections=\(graphite.maximumConnections) "
            + "graphite_max_per_source=\(graphite.maximumConnectionsPerSource) inflight_body=\(inflightBodyBytes) "
            + "tenant_concurrent_requests=\(concurrentRequestsPerTenant) "
            + "read_series_per_second=\(readQuota.seriesPerSecond) read_concurrent=\(readQuota.concurrentReaders)"
    }
}
