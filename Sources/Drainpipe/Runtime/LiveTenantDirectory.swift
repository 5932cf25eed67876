import DrainpipeCore
import Synchronization

/// The tenant directory in force, replaced whole when the tenants file is reloaded (SIGHUP).
///
/// Readers take a snapshot per request, so a request never sees half of an old and half of a new file.
package final class LiveTenantDirectory: Sendable {
    private let directory: Mutex<TenantDirectory>
    /// The file `reload()` reads; nil for a directory built in memory (tests).
    package let path: String?

    package init(_ directory: TenantDirectory, path: String? = nil) {
        self.directory = Mutex(directory)
        self.path = path
    }

    /// The directory in force now.
    package var current: TenantDirectory { directory.withLock { $0 } }

    /// Reads the file again and puts it in force; on any problem the directory in force stays as it was.
    ///
    /// - Returns: the number of owners now in force.
    /// - Throws: the file's `ConfigurationError` (unreadable, invalid YAML, duplicate credentials…).
    @discardableResult
    package func reload() throws(ConfigurationError) -> Int {
        guard let path else { return current.owners.count }
        return try reload(yaml: ConfigurationFile.text(at: path))
    }

    /// Parses `yaml` (the file's text, read by the caller) and puts it in force; on any problem nothing changes.
    @discardableResult
    package func reload(yaml: String) throws(ConfigurationError) -> Int {
        let fresh = try TenantDirectory(yaml: yaml, source: path ?? "tenants")
        directory.withLock { $0 = fresh }
        return fresh.owners.count
    }
}
