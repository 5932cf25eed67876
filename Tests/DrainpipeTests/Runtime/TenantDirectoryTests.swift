import Drainpipe
import DrainpipeCore
import Foundation
import Testing

@Suite("TenantDirectory")
struct TenantDirectoryTests {
    static let yaml = """
        owners:
          - id: 6C1D5B7E-0F43-4A52-9B1E-2F6A8D3C4E71
            drain_credentials: ["shop:secret"]
            api_tokens: ["read-shop"]
            allow: ["load_avg", "prod.*"]
            deny: ["*.debug.*"]
            limits:
              updates_per_minute: 1000
              distinct_series_per_minute: 50
          - id: metrics-team
            graphite_tokens: ["gr-team"]
            graphite_sources: ["10.0.3.17"]
            graphite_naming_convention: true
        """

    @Test("reads tokens, sources, lists and limits; owners without them admit everything without caps")
    func readsEverything() throws {
        let directory = try TenantDirectory(yaml: Self.yaml, source: "test")
        let shop = try #require(directory.owner(drainCredential: "shop:secret"))
        #expect(shop.id == "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71")
        #expect(shop.limits == .init(updatesPerMinute: 1000, distinctSeriesPerMinute: 50))
        #expect(shop.admits(metric: "load_avg") && shop.admits(metric: "prod.eu.x.cpu"))
        #expect(!shop.admits(metric: "prod.eu.debug.cpu") && !shop.admits(metric: "staging.x"))
        let team = try #require(directory.owner(graphiteToken: "gr-team"))
        #expect(team.requiresGraphiteNamingConvention && team.admitsEverything && team.limits.isUnlimited)
        #expect(directory.owner(graphiteSource: "10.0.3.17")?.id == "metrics-team")
        #expect(
            directory.owner(graphiteToken: "gr-nobody") == nil && directory.owner(graphiteSource: "10.0.3.18") == nil)
    }

    @Test(
        "refuses files whose tokens or sources are ambiguous, whose caps are not positive, or whose patterns are empty",
        arguments: [
            "owners:\n  - {id: a, graphite_tokens: [t]}\n  - {id: b, graphite_tokens: [t]}",
            "owners:\n  - {id: a, graphite_sources: [\"10.0.0.1\"]}\n  - {id: b, graphite_sources: [\"10.0.0.1\"]}",
            "owners:\n  - {id: a, limits: {updates_per_minute: 0}}",
            "owners:\n  - {id: a, deny: [\"\"]}",
            "owners:\n  - {id: a, graphite_tokens: [\"has space\"]}",
            "owners:\n  - {id: a}\n  - {id: a}",
        ])
    func refusesAmbiguity(yaml: String) {
        #expect(throws: ConfigurationError.self) { try TenantDirectory(yaml: yaml, source: "test") }
    }

    @Test("metric patterns match whole names, `*` standing for any run of bytes")
    func patterns() throws {
        let cases: [(String, String, Bool)] = [
            ("load_avg", "load_avg", true), ("load_avg", "load_avg_1m", false), ("prod.*", "prod.a.b", true),
            ("prod.*", "prod", false), ("*.debug.*", "a.debug.b", true), ("*.debug.*", "debug.b", false),
            ("a*b*c", "abc", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "acb", false), ("*", "", true),
            ("a**", "a", true),
        ]
        for (pattern, name, expected) in cases {
            #expect(try #require(MetricPattern(pattern)).matches(name) == expected, "\(pattern) vs \(name)")
        }
        #expect(MetricPattern("") == nil)
    }

    @Test("a reload puts a valid new file in force and keeps the old one when the new file is invalid")
    func reload() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString).yaml")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let live = LiveTenantDirectory(try TenantDirectory(contentsOf: path), path: path)
        try Self.yaml.replacingOccurrences(of: "gr-team", with: "gr-new").write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(try live.reload() == 2)
        #expect(live.current.owner(graphiteToken: "gr-new")?.id == "metrics-team")
        try "owners: [{id: a, graphite_tokens: [x]}, {id: b, graphite_tokens: [x]}]".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try live.reload() }
        #expect(live.current.owner(graphiteToken: "gr-new")?.id == "metrics-team")
        try "owners: [".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try live.reload() }
        #expect(live.current.owners.count == 2)
    }
}
