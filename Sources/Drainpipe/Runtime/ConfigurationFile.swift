import DrainpipeCore
import Foundation
import Yams

/// Reads the YAML configuration files (topics, tenants); every failure becomes a `ConfigurationError` naming the file.
///
/// Error messages give the position and the problem but never quote the file, which may hold credentials.
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
    package static func decode<Value: Decodable>(
        _ type: Value.Type, fromYAML yaml: String, source: String
    ) throws(ConfigurationError) -> Value {
        do {
            return try YAMLDecoder().decode(type, from: yaml)
        } catch let error as YamlError {
            throw .unreadableFile(path: source, reason: describe(error))
        } catch let error as DecodingError {
            throw .unreadableFile(path: source, reason: describe(error))
        } catch {
            throw .unreadableFile(path: source, reason: "cannot be decoded")
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            "invalid YAML at line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            "unreadable YAML: \(problem)"
        case .duplicatedKeysInMapping:
            "a mapping repeats a key"
        default:
            "invalid YAML"
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(key.stringValue)' at \(path(context).isEmpty ? "the top level" : path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "unexpected value at \(path(context).isEmpty ? "the top level" : path(context))"
        @unknown default:
            return "cannot be decoded"
        }
    }
}
