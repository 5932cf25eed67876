import DrainpipeCore
import Foundation
import Testing

@testable import Drainpipe

@Suite("ingress configuration")
struct IngressConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func environment(_ values: [String: String]) -> Environment {
        Environment(
            [
                "KAFKA_URL": "kafka://127.0.0.1:9092", "PORT": "5000", "DATABASE_URL": "postgres://127.0.0.1:5432/x",
                "DRAINPIPE_TOPICS": repository.appendingPathComponent("topics.yaml").path,
                "DRAINPIPE_TENANTS": repository.appendingPathComponent("deploy/local-tenants.yaml").path,
            ].merging(values) { $1 })
    }

    @Test("KAFKA_LINGER_MS sets the producer's linger: 1 ms by default, 0 allowed, beyond a second refused")
    func producerLinger() throws {
        #expect(try IngressConfiguration(environment: Self.environment([:])).producerLinger == .milliseconds(1))
        let immediate = try IngressConfiguration(environment: Self.environment(["KAFKA_LINGER_MS": "0"]))
        #expect(immediate.producerLinger == .zero)
        #expect(immediate.description.contains("kafka_linger="))
        for bad in ["1001", "-1", "soon"] {
            #expect(throws: ConfigurationError.self) {
                try IngressConfiguration(environment: Self.environment(["KAFKA_LINGER_MS": bad]))
            }
        }
    }
}
