import DrainpipeTestSupport
import Foundation

@testable import Drainpipe
@testable import DrainpipeCore

/// Reads a test's InfluxDB database back with InfluxQL over `/query`, and states what a summary's point must hold,
/// from the README's mapping rather than from the encoder.
struct InfluxStore {
    /// Identifies a point: the series' tags and the window start.
    struct PointKey: Hashable, CustomStringConvertible {
        var owner: String
        var processType: String
        var metric: String
        var seconds: Int64

        init(owner: String, processType: String, metric: String, seconds: Int64) {
            self.owner = owner
            self.processType = processType
            self.metric = metric
            self.seconds = seconds
        }

        init(_ key: SeriesKey) {
            self.init(
                owner: key.owner, processType: key.processType,
                metric: key.type == .customMetrics ? key.metric : "", seconds: key.windowStart.secondsSinceEpoch)
        }

        var description: String { "\(owner)/\(processType)/\(metric.prefix(60))@\(seconds)" }
    }

    let client: InfluxClient

    init(_ database: TestInflux.Database) {
        client = InfluxClient(url: database.url, gzip: false, timeout: .seconds(10))
    }

    /// Every point of `type`'s measurement and its numeric fields.
    func points(of type: MeasurementType) async throws -> [PointKey: [String: Double]] {
        let measurement = InfluxLineProtocol.series(of: type).measurement
        let results = try await exactQuery("SELECT * FROM \"\(measurement)\" GROUP BY *")
        var points: [PointKey: [String: Double]] = [:]
        for series in results.first?["series"] as? [[String: Any]] ?? [] {
            let tags = series["tags"] as? [String: String] ?? [:]
            let columns = series["columns"] as? [String] ?? []
            for row in series["values"] as? [[Any]] ?? [] {
                var fields: [String: Double] = [:]
                var seconds: Int64 = 0
                for (column, value) in zip(columns, row) {
                    guard let text = value as? String, let number = Double(text) else { continue }
                    if column == "time" { seconds = Int64(number) } else { fields[column] = number }
                }
                let key = PointKey(
                    owner: tags["owner"] ?? "", processType: tags["process_type"] ?? "", metric: tags["metric"] ?? "",
                    seconds: seconds)
                points[key] = fields
            }
        }
        return points
    }

    /// Runs a query with its numbers read exactly: Foundation's JSON parser may miss a float by one unit in the last
    /// place, so every number of the answer is quoted first and read with `Double(_:)`, which rounds correctly.
    private func exactQuery(_ statement: String) async throws -> [[String: Any]] {
        let body = try await client.queryAnswer(statement)
        let object = try JSONSerialization.jsonObject(with: Self.quotingNumbers(Data(body))) as? [String: Any]
        return object?["results"] as? [[String: Any]] ?? []
    }

    /// The JSON text with every number outside strings turned into a string of the same digits.
    static func quotingNumbers(_ json: Data) -> Data {
        var output = Data()
        var inString = false
        var escaped = false
        var inNumber = false
        for byte in json {
            if inString {
                output.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            let numberStart = digit || byte == UInt8(ascii: "-")
            let numberPart =
                numberStart
                || [UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(byte)
            if numberStart && !inNumber {
                output.append(UInt8(ascii: "\""))
                inNumber = true
            } else if !numberPart && inNumber {
                output.append(UInt8(ascii: "\""))
                inNumber = false
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            output.append(byte)
        }
        if inNumber { output.append(UInt8(ascii: "\"")) }
        return output
    }

    /// The stored version of every point of the types.
    func versions(of types: [MeasurementType]) async throws -> [PointKey: Int64] {
        var versions: [PointKey: Int64] = [:]
        for type in types {
            for (key, fields) in try await points(of: type) { versions[key] = fields["version"].map { Int64($0) } }
        }
        return versions
    }

    /// What the point of `summary` must hold: per field its count, sum, sum of squares, min, max and mean (finite
    /// ones), and p50/p95/p99 from its sketch; each event count; the version and period.
    static func expectedFields(of summary: Summary) -> [String: Double] {
        var fields = ["version": Double(summary.version), "period_seconds": Double(summary.key.periodSeconds)]
        for (name, statistics) in summary.fields {
            let values: [(String, Double?)] = [
                ("count", Double(statistics.count)), ("sum", statistics.sum),
                ("sum_of_squares", statistics.sumOfSquares), ("min", statistics.minimum),
                ("max", statistics.maximum), ("mean", statistics.mean),
            ]
            for (suffix, value) in values { if let value, value.isFinite { fields["\(name)_\(suffix)"] = value } }
            if let sketch = summary.sketches[name] {
                for (suffix, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
                    fields["\(name)_\(suffix)"] = sketch.quantile(q)
                }
            }
        }
        for (name, count) in summary.counts { fields["event_\(name)"] = Double(count) }
        return fields
    }

    /// Polls `condition` until it holds; a thrown error (InfluxDB still starting) counts as not yet.
    static func waitUntil(within limit: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        var lastError: (any Error)?
        while true {
            do {
                if try await condition() { return }
            } catch {
                lastError = error
            }
            guard ContinuousClock.now < deadline else {
                throw WaitTimedOut(what: what, lastError: lastError.map { "\($0)" })
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    struct WaitTimedOut: Error, CustomStringConvertible {
        var what: String
        var lastError: String?
        var description: String { "timed out waiting until \(what)\(lastError.map { "; last error: \($0)" } ?? "")" }
    }
}
