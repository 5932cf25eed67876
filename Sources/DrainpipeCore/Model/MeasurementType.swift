/// The kinds of measurement Drainpipe understands; each has its own raw, summary and retry topics.
package enum MeasurementType: String, Sendable, Hashable, CaseIterable, Codable {
    case routerRequests = "ROUTER_REQUESTS"
    case dynoLoad = "DYNO_LOAD"
    case dynoMemory = "DYNO_MEMORY"
    case dynoErrors = "DYNO_ERRORS"
    case customMetrics = "CUSTOM_METRICS"
    /// Deploys, releases, scaling, config changes, dyno state changes and R-codes as markers (docs/events.md).
    case platformEvents = "PLATFORM_EVENTS"

    /// The Postgres table that holds this type's summaries inside each day schema.
    package var tableName: String {
        switch self {
        case .routerRequests: "router_requests"
        case .dynoLoad: "dyno_load"
        case .dynoMemory: "dyno_memory"
        case .dynoErrors: "dyno_errors"
        case .customMetrics: "custom_metrics"
        case .platformEvents: "platform_events"
        }
    }

    /// The metric name used for platform types, whose lines describe one fixed metric.
    ///
    /// Custom metrics carry their own name instead.
    package var platformMetricName: String {
        switch self {
        case .routerRequests: "router"
        case .dynoLoad: "load_avg"
        case .dynoMemory: "memory"
        case .dynoErrors: "errors"
        case .customMetrics: ""
        case .platformEvents: "events"
        }
    }

    /// The numeric fields every summary of this type stores as columns, in column order.
    ///
    /// Custom metrics have the single field `value`; error and event counts have no numeric field.
    package var summaryFieldNames: [String] {
        switch self {
        case .dynoLoad: ["load_avg_1m", "load_avg_5m", "load_avg_15m"]
        case .dynoMemory:
            [
                "memory_total", "memory_rss", "memory_cache", "memory_swap", "memory_pgpgin", "memory_pgpgout",
                "memory_quota",
            ]
        case .routerRequests: ["connect_ms", "service_ms", "bytes"]
        case .dynoErrors, .platformEvents: []
        case .customMetrics: ["value"]
        }
    }

    /// The wire-schema number of this type (`drainpipe.v1.MeasurementType`).
    package var wireNumber: Int32 {
        switch self {
        case .routerRequests: 1
        case .dynoLoad: 2
        case .dynoMemory: 3
        case .dynoErrors: 4
        case .customMetrics: 5
        case .platformEvents: 6
        }
    }

    package init?(wireNumber: Int32) {
        guard let match = Self.allCases.first(where: { $0.wireNumber == wireNumber }) else { return nil }
        self = match
    }
}
