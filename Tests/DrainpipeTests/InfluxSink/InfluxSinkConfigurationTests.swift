import DrainpipeCore
import DrainpipeZlib
import Foundation
import Testing

@testable import Drainpipe

@Suite("influx-sink configuration")
struct InfluxSinkConfigurationTests {
    static let topicsPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("topics.yaml").path

    static func environment(_ values: [String: String]) -> Environment {
        Environment(["KAFKA_URL": "kafka://127.0.0.1:9092", "DRAINPIPE_TOPICS": topicsPath].merging(values) { $1 })
    }

    @Test("INFLUX_URL gives origin, credentials and database; printing it hides the password")
    func parsesTheURL() throws {
        let url = try InfluxURL(environmentValue: "https://ops:s%40cret@influx.example:8087/metrics")
        #expect(url.useTLS && url.host == "influx.example" && url.port == 8087 && url.database == "metrics")
        #expect(url.user == "ops" && url.password == "s@cret")
        #expect(url.description == "https://ops:********@influx.example:8087/metrics")
        #expect(url.writeURL.absoluteString == "https://influx.example:8087/write?db=metrics&precision=s")
        #expect(url.authorization == "Basic " + Data("ops:s@cret".utf8).base64EncodedString())
        let open = try InfluxURL(environmentValue: "http://127.0.0.1/db")
        #expect(open.port == 8086 && open.authorization == nil && open.description == "http://127.0.0.1:8086/db")
        for bad in ["ftp://h/db", "http://h", "http://h/a/b", "http://h/db?x=1", "h:8086/db", "http://:8086/db"] {
            #expect(throws: EnvironmentValueError.self) { try InfluxURL(environmentValue: bad) }
        }
    }

    @Test("every problem is listed at start, and the description never shows the password")
    func validatesAtStart() throws {
        do {
            _ = try InfluxSinkConfiguration(
                environment: Self.environment([
                    "INFLUX_BATCH_SIZE": "0", "INFLUX_GZIP": "maybe", "INFLUX_BATCH_WAIT": "soon",
                    "INFLUX_SINK_WORKERS": "0",
                ]))
            Issue.record("a broken environment was accepted")
        } catch {
            let text = error.description
            for variable in [
                "INFLUX_URL", "INFLUX_BATCH_SIZE", "INFLUX_GZIP", "INFLUX_BATCH_WAIT", "INFLUX_SINK_WORKERS",
            ] {
                #expect(text.contains(variable), "\(variable) not named in: \(text)")
            }
        }
        let configuration = try InfluxSinkConfiguration(
            environment: Self.environment([
                "INFLUX_URL": "http://drainpipe:hunter2@127.0.0.1:8086/metrics", "DYNO": "influx_sink.2",
                "INFLUX_SINK_WORKERS": "2", "INFLUX_GZIP": "off",
            ]))
        #expect(configuration.assignment == (try WorkerAssignment(workerIndex: 1, workerCount: 2)))
        #expect(!configuration.gzip && configuration.batchSize == 5000 && configuration.batchWait == .seconds(1))
        #expect(!configuration.description.contains("hunter2"))
    }

    @Test("https is refused at start (the client speaks plain HTTP); INFLUX_CONNECT_TIMEOUT is read")
    func plainHTTPOnly() throws {
        #expect {
            try InfluxSinkConfiguration(environment: Self.environment(["INFLUX_URL": "https://h/db"]))
        } throws: { error in
            "\(error)".contains("INFLUX_URL") && "\(error)".contains("https is not supported")
        }
        let configuration = try InfluxSinkConfiguration(
            environment: Self.environment(["INFLUX_URL": "http://h/db", "INFLUX_CONNECT_TIMEOUT": "500ms"]))
        #expect(configuration.connectTimeout == .milliseconds(500) && configuration.timeout == .seconds(10))
    }

    @Test("a topics file without the influx-sink's retry topics is refused at start")
    func needsItsRetryTopics() throws {
        let catalog = try String(contentsOfFile: Self.topicsPath, encoding: .utf8)
        let withoutInflux = catalog.components(separatedBy: "\n  # The influx-sink's own retry path")[0]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("topics-\(UUID()).yaml").path
        try withoutInflux.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try InfluxSinkConfiguration(
                environment: Self.environment(["INFLUX_URL": "http://h/db", "DRAINPIPE_TOPICS": path]))
        } throws: { error in
            "\(error)".contains("no retry topic with `sink: influx` for ROUTER_REQUESTS")
        }
    }

    @Test("the deflater's gzip inflates back to the same bytes, at every level and for empty input")
    func deflateRoundTrip() throws {
        var generator = SplitMix64(seed: 3)
        let text = (0..<5000).map { _ in "dyno_load,owner=o\(generator.next() % 50) v=\(generator.next() % 9)i\n" }
        let bytes = Array(text.joined().utf8)
        for level in ZlibDeflater.levels {
            let compressed = ZlibDeflater.deflateGzip(bytes, level: level)
            #expect(compressed.count < bytes.count / 3)
            #expect(try ZlibInflater.inflateGzip(compressed, limit: bytes.count) == bytes)
        }
        #expect(try ZlibInflater.inflateGzip(ZlibDeflater.deflateGzip([]), limit: 0) == [])
    }
}
