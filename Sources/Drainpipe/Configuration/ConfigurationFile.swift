import Foundation
import Yams

/// Reads the YAML configuration files (topics, tenants); every failure becomes a `ConfigurationError` naming the file.
package enum ConfigurationFile {
    /// The UTF-8 text of the file at `path`.
    package static func text(at path: String) throws(ConfigurationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
    }

    /// Decodes YAML text read from `source`.
    package static func decode<Value: Decodable>(_ type: Value.Type, fromYAML yaml: String, source: String) throws(ConfigurationError) -> Value {
        do {
            return try YAMLDecoder().decode(type, from: yaml)
        } catch {
            throw .unreadableFile(path: source, reason: "\(error)")
        }
    }
}
