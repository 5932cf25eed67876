import DrainpipeCore

/// Loading the tenants file (`DRAINPIPE_TENANTS`): YAML parsing lives here so the core stays free of Foundation.
extension TenantDirectory {
    /// Parses the YAML text of a tenants file.
    package init(yaml: String, source: String) throws(ConfigurationError) {
        struct File: Decodable { var owners: [Owner] }
        try self.init(owners: ConfigurationFile.decode(File.self, fromYAML: yaml, source: source).owners)
    }

    /// Reads and parses the tenants file at `path`.
    package init(contentsOf path: String) throws(ConfigurationError) {
        try self.init(yaml: ConfigurationFile.text(at: path), source: path)
    }
}
