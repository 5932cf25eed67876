/// Who may send and read data: owners with their drain credentials, drain tokens and API tokens.
///
/// Loaded from the YAML file named by `DRAINPIPE_TENANTS`:
/// ```yaml
/// owners:
///   - id: 6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71   # the app's UUID (or a Graphite tenant name)
///     name: shop-api
///     drain_credentials: ["shop-api:s3cret"]     # basic-auth user:password of the drain URL
///     drain_tokens: ["d.6c1d5b7e-…"]              # optional; when present the Logplex-Drain-Token must match
///     api_tokens: ["tok_shop_api_read"]          # bearer tokens that may read this owner's series
/// ```
package struct TenantDirectory: Sendable {
    /// One owner's entry.
    package struct Owner: Sendable, Hashable, Decodable {
        package var id: String
        package var name: String?
        package var drainCredentials: [String]
        package var drainTokens: [String]
        package var apiTokens: [String]

        enum CodingKeys: String, CodingKey {
            case id, name
            case drainCredentials = "drain_credentials"
            case drainTokens = "drain_tokens"
            case apiTokens = "api_tokens"
        }

        package init(id: String, name: String? = nil, drainCredentials: [String], drainTokens: [String] = [], apiTokens: [String]) {
            self.id = id
            self.name = name
            self.drainCredentials = drainCredentials
            self.drainTokens = drainTokens
            self.apiTokens = apiTokens
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id).lowercased()
            name = try container.decodeIfPresent(String.self, forKey: .name)
            drainCredentials = try container.decodeIfPresent([String].self, forKey: .drainCredentials) ?? []
            drainTokens = try container.decodeIfPresent([String].self, forKey: .drainTokens) ?? []
            apiTokens = try container.decodeIfPresent([String].self, forKey: .apiTokens) ?? []
        }
    }

    package private(set) var owners: [Owner]
    private var ownerByCredential: [String: Int] = [:]
    private var ownerIDsByAPIToken: [String: Set<String>] = [:]

    package init(owners: [Owner]) throws(ConfigurationError) {
        self.owners = owners
        var problems: [ConfigurationError.Problem] = []
        for (index, owner) in owners.enumerated() {
            if owner.id.isEmpty || owner.id.contains(SeriesKey.keySeparator) {
                problems.append(.invalid(variable: "DRAINPIPE_TENANTS", reason: "owner #\(index + 1) has an empty or invalid id"))
            }
            for credential in owner.drainCredentials {
                guard credential.contains(":") else {
                    problems.append(.invalid(variable: "DRAINPIPE_TENANTS", reason: "owner \(owner.id): drain credential must be user:password"))
                    continue
                }
                if ownerByCredential.updateValue(index, forKey: credential) != nil {
                    problems.append(.invalid(variable: "DRAINPIPE_TENANTS", reason: "a drain credential of owner \(owner.id) is used twice"))
                }
            }
            for token in owner.apiTokens {
                ownerIDsByAPIToken[token, default: []].insert(owner.id)
            }
        }
        guard problems.isEmpty else { throw .invalidEnvironment(problems) }
    }

    /// Parses the YAML text of a tenants file.
    package init(yaml: String, source: String) throws(ConfigurationError) {
        struct File: Decodable { var owners: [Owner] }
        try self.init(owners: ConfigurationFile.decode(File.self, fromYAML: yaml, source: source).owners)
    }

    package init(contentsOf path: String) throws(ConfigurationError) {
        try self.init(yaml: ConfigurationFile.text(at: path), source: path)
    }

    /// The owner whose drain URL carries these basic-auth credentials (`user:password`).
    package func owner(drainCredential: String) -> Owner? {
        ownerByCredential[drainCredential].map { owners[$0] }
    }

    /// The owners a bearer token may read.
    package func readableOwners(apiToken: String) -> Set<String> {
        ownerIDsByAPIToken[apiToken] ?? []
    }
}
