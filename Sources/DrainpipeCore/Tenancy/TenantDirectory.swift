/// Who may send and read data, and under which rules: owners with their drain credentials and tokens, Graphite
/// tokens and source addresses, API tokens, metric allow and deny lists, and resource caps.
///
/// Loaded from the YAML file named by `DRAINPIPE_TENANTS` (reloaded on SIGHUP, see `IngressTenantReloader`):
/// ```yaml
/// owners:
///   - id: 6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71   # the app's UUID (or a Graphite tenant name)
///     name: shop-api
///     drain_credentials: ["shop-api:s3cret"]     # basic-auth user:password of the drain URL
///     drain_tokens: ["d.6c1d5b7e-…"]              # optional; when present the Logplex-Drain-Token must match
///     api_tokens: ["tok_shop_api_read"]          # bearer tokens that may read this owner's series
///     graphite_tokens: ["gr_shop_api"]           # Graphite: TCP preamble `AUTH <token>` or HTTP bearer token
///     graphite_sources: ["10.0.3.17"]            # TCP peers whose connections belong to this owner unasked
///     graphite_naming_convention: true           # paths must be env.region.service.category.host.component….m
///     allow: ["prod.*"]                          # metric-name patterns admitted (none listed: all)
///     deny: ["*.debug.*"]                        # metric-name patterns dropped and counted; deny wins
///     limits:
///       updates_per_minute: 600000               # measurements per wall-clock minute, over it 429
///       distinct_series_per_minute: 20000        # distinct series per wall-clock minute, over it 429
///       concurrent_requests: 16                  # ingest requests in progress (MAX_CONCURRENT_REQUESTS_PER_TENANT)
///       read_series_per_second: 150              # series the read API returns per second, over it 429
///       concurrent_readers: 5                    # read API requests in progress, over it 429
///       series_per_query: 150                    # series one Graphite render may expand to (default 150)
/// ```
package struct TenantDirectory: Sendable {
    /// Per-owner resource caps; nil means unlimited.
    package struct Limits: Sendable, Hashable, Decodable {
        /// Measurements (drain) or datapoints (Graphite) admitted per wall-clock minute.
        package var updatesPerMinute: Int?
        /// Distinct series (type, process type, metric) admitted per wall-clock minute.
        package var distinctSeriesPerMinute: Int?
        /// Ingest requests in progress at once; nil: the process default (`MAX_CONCURRENT_REQUESTS_PER_TENANT`).
        package var concurrentRequests: Int?
        /// Series the read API may return per second; nil: the process default (150).
        package var readSeriesPerSecond: Int?
        /// Read API requests in progress at once; nil: the process default (5).
        package var concurrentReaders: Int?
        /// Series the targets of one Graphite render request may expand to; nil means the default.
        package var seriesPerQuery: Int?

        /// The fan-out limit of a render request when the tenants file sets none.
        package static let defaultSeriesPerQuery = 150

        enum CodingKeys: String, CodingKey {
            case updatesPerMinute = "updates_per_minute"
            case distinctSeriesPerMinute = "distinct_series_per_minute"
            case concurrentRequests = "concurrent_requests"
            case readSeriesPerSecond = "read_series_per_second"
            case concurrentReaders = "concurrent_readers"
            case seriesPerQuery = "series_per_query"
        }

        package init(
            updatesPerMinute: Int? = nil, distinctSeriesPerMinute: Int? = nil, concurrentRequests: Int? = nil,
            readSeriesPerSecond: Int? = nil, concurrentReaders: Int? = nil, seriesPerQuery: Int? = nil
        ) {
            self.updatesPerMinute = updatesPerMinute
            self.distinctSeriesPerMinute = distinctSeriesPerMinute
            self.concurrentRequests = concurrentRequests
            self.readSeriesPerSecond = readSeriesPerSecond
            self.concurrentReaders = concurrentReaders
            self.seriesPerQuery = seriesPerQuery
        }

        /// Whether no per-minute ingest cap is set.
        package var isUnlimited: Bool { updatesPerMinute == nil && distinctSeriesPerMinute == nil }
    }

    /// One owner's entry.
    package struct Owner: Sendable, Hashable, Decodable {
        package var id: String
        package var name: String?
        package var drainCredentials: [String]
        package var drainTokens: [String]
        package var apiTokens: [String]
        package var graphiteTokens: [String]
        /// IP addresses (as written by the peer's socket address, e.g. `10.0.3.17`, `::1`).
        package var graphiteSources: [String]
        package var requiresGraphiteNamingConvention: Bool
        package var allowedMetrics: [MetricPattern]
        package var deniedMetrics: [MetricPattern]
        package var limits: Limits

        enum CodingKeys: String, CodingKey {
            case id, name, allow, deny, limits
            case drainCredentials = "drain_credentials"
            case drainTokens = "drain_tokens"
            case apiTokens = "api_tokens"
            case graphiteTokens = "graphite_tokens"
            case graphiteSources = "graphite_sources"
            case requiresGraphiteNamingConvention = "graphite_naming_convention"
        }

        package init(
            id: String, name: String? = nil, drainCredentials: [String], drainTokens: [String] = [],
            apiTokens: [String], graphiteTokens: [String] = [], graphiteSources: [String] = [],
            requiresGraphiteNamingConvention: Bool = false, allowedMetrics: [MetricPattern] = [],
            deniedMetrics: [MetricPattern] = [], limits: Limits = Limits()
        ) {
            self.id = id
            self.name = name
            self.drainCredentials = drainCredentials
            self.drainTokens = drainTokens
            self.apiTokens = apiTokens
            self.graphiteTokens = graphiteTokens
            self.graphiteSources = graphiteSources
            self.requiresGraphiteNamingConvention = requiresGraphiteNamingConvention
            self.allowedMetrics = allowedMetrics
            self.deniedMetrics = deniedMetrics
            self.limits = limits
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id).lowercased()
            name = try container.decodeIfPresent(String.self, forKey: .name)
            drainCredentials = try container.decodeIfPresent([String].self, forKey: .drainCredentials) ?? []
            drainTokens = try container.decodeIfPresent([String].self, forKey: .drainTokens) ?? []
            apiTokens = try container.decodeIfPresent([String].self, forKey: .apiTokens) ?? []
            graphiteTokens = try container.decodeIfPresent([String].self, forKey: .graphiteTokens) ?? []
            graphiteSources = try container.decodeIfPresent([String].self, forKey: .graphiteSources) ?? []
            requiresGraphiteNamingConvention =
                try container.decodeIfPresent(Bool.self, forKey: .requiresGraphiteNamingConvention) ?? false
            limits = try container.decodeIfPresent(Limits.self, forKey: .limits) ?? Limits()
            func patterns(_ key: CodingKeys) throws -> [MetricPattern] {
                try (container.decodeIfPresent([String].self, forKey: key) ?? []).map { text in
                    guard let pattern = MetricPattern(text) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: key, in: container, debugDescription: "empty metric pattern")
                    }
                    return pattern
                }
            }
            allowedMetrics = try patterns(.allow)
            deniedMetrics = try patterns(.deny)
        }

        /// Whether admission control lets a metric of this name through: not denied, and allowed when an allow
        /// list exists.
        package func admits(metric: String) -> Bool {
            if deniedMetrics.contains(where: { $0.matches(metric) }) { return false }
            return allowedMetrics.isEmpty || allowedMetrics.contains { $0.matches(metric) }
        }

        /// Whether every metric is admitted without looking at its name.
        package var admitsEverything: Bool { allowedMetrics.isEmpty && deniedMetrics.isEmpty }
    }

    package private(set) var owners: [Owner]
    private var ownerByID: [String: Int] = [:]
    private var ownerByCredential: [String: Int] = [:]
    private var ownerByGraphiteToken: [String: Int] = [:]
    private var ownerByGraphiteSource: [String: Int] = [:]
    private var ownerIDsByAPIToken: [String: Set<String>] = [:]

    package init(owners: [Owner]) throws(ConfigurationError) {
        self.owners = owners
        var problems: [ConfigurationError.Problem] = []
        func problem(_ reason: String) {
            problems.append(.invalid(variable: "DRAINPIPE_TENANTS", reason: reason))
        }
        for (index, owner) in owners.enumerated() {
            if owner.id.isEmpty || owner.id.contains(SeriesKey.keySeparator) {
                problem("owner #\(index + 1) has an empty or invalid id")
            }
            if ownerByID.updateValue(index, forKey: owner.id) != nil { problem("owner \(owner.id) is listed twice") }
            for credential in owner.drainCredentials {
                guard credential.contains(":") else {
                    problem("owner \(owner.id): drain credential must be user:password")
                    continue
                }
                if ownerByCredential.updateValue(index, forKey: credential) != nil {
                    problem("a drain credential of owner \(owner.id) is used twice")
                }
            }
            for token in owner.graphiteTokens {
                if token.isEmpty || token.contains(where: \.isWhitespace) {
                    problem("owner \(owner.id): a Graphite token is empty or contains whitespace")
                } else if ownerByGraphiteToken.updateValue(index, forKey: token) != nil {
                    problem("a Graphite token of owner \(owner.id) is used twice")
                }
            }
            for source in owner.graphiteSources where ownerByGraphiteSource.updateValue(index, forKey: source) != nil {
                problem("Graphite source \(source) is mapped to more than one owner")
            }
            let limits = owner.limits
            for cap in [
                limits.updatesPerMinute, limits.distinctSeriesPerMinute, limits.concurrentRequests,
                limits.readSeriesPerSecond, limits.concurrentReaders, limits.seriesPerQuery,
            ] {
                if let cap, cap < 1 { problem("owner \(owner.id): limits must be at least 1") }
            }
            for token in owner.apiTokens {
                ownerIDsByAPIToken[token, default: []].insert(owner.id)
            }
        }
        guard problems.isEmpty else { throw .invalidEnvironment(problems) }
    }

    /// The owner with this id.
    package func owner(id: String) -> Owner? {
        ownerByID[id].map { owners[$0] }
    }

    /// The owner whose drain URL carries these basic-auth credentials (`user:password`).
    package func owner(drainCredential: String) -> Owner? {
        ownerByCredential[drainCredential].map { owners[$0] }
    }

    /// The owner a Graphite token (TCP preamble or HTTP bearer token) belongs to.
    package func owner(graphiteToken: String) -> Owner? {
        ownerByGraphiteToken[graphiteToken].map { owners[$0] }
    }

    /// The owner whose Graphite connections come from this IP address.
    package func owner(graphiteSource address: String) -> Owner? {
        ownerByGraphiteSource[address].map { owners[$0] }
    }

    /// The owners a bearer token may read.
    package func readableOwners(apiToken: String) -> Set<String> {
        ownerIDsByAPIToken[apiToken] ?? []
    }
}
