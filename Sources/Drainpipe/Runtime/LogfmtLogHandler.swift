import DrainpipeCore
import Foundation
import Logging

/// A swift-log handler that writes one logfmt line per event to standard error:
/// `ts=2026-12-05T16:25:34.123456+00:00 level=info msg=starting process=ingress dyno=web.1 key=value…`.
///
/// `ts`, `level` and `msg` come first, then the handler's metadata, the logger's and the event's, each key once
/// (the event's value wins), sorted by key so a line reads the same every time. A value is quoted when it is empty
/// or holds a space, `=`, `"` or a control character; inside quotes `"` and `\` are escaped and newlines become
/// `\n`, so one event is always one line.
package struct LogfmtLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let clock: any WallClock
    private let write: @Sendable (String) -> Void

    /// A handler writing to `write` (standard error when omitted), stamping lines with `clock`.
    package init(
        clock: any WallClock = SystemWallClock(), write: @escaping @Sendable (String) -> Void = Self.standardError
    ) {
        self.clock = clock
        self.write = write
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var line = "ts=\(UTCDateTime(clock.now()).formatted(.rfc3339Microseconds)) level=\(event.level.rawValue)"
        line += " msg=" + Self.quoted("\(event.message)")
        for key in merged.keys.sorted() where !["ts", "level", "msg"].contains(key) {
            line += " \(Self.key(key))=" + Self.quoted(Self.text(merged[key]!))
        }
        write(line + "\n")
    }

    /// A value as logfmt writes it: bare when it can be, quoted and escaped otherwise.
    package static func quoted(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control
            }
        guard needsQuotes else { return value }
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// Keys keep letters, digits, `_`, `-` and `.`; anything else becomes `_`, so a key never breaks the line.
    private static func key(_ key: String) -> String {
        let cleaned = String(
            key.unicodeScalars.map { scalar -> Character in
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_-.".unicodeScalars.contains(scalar)
                    ? Character(scalar) : "_"
            })
        return cleaned.isEmpty ? "_" : cleaned
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(text).joined(separator: ",")
        case .dictionary(let entries):
            entries.keys.sorted().map { "\($0):\(text(entries[$0]!))" }.joined(separator: ",")
        }
    }

    /// Writes a line to standard error in one write, so lines from several threads do not interleave.
    package static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }
}
