import DrainpipeCore
import Testing

@Suite("Dyno")
struct DynoTests {
    @Test(
        "parses DYNO values",
        arguments: [
            ("aggregator.3", "aggregator", 3), ("web.1", "web", 1), ("run.8411", "run", 8411),
            ("postgres_sink.12", "postgres_sink", 12), ("retry-sink.2", "retry-sink", 2),
        ] as [(String, String, Int)])
    func parses(_ text: String, processType: String, number: Int) throws {
        let dyno = try Dyno(environmentValue: text)
        #expect(dyno.processType == processType)
        #expect(dyno.number == number)
        #expect(dyno.index == number - 1)
        #expect(dyno.description == text)
    }

    @Test(
        "rejects values that are not a dyno name",
        arguments: [
            "", "aggregator", "aggregator.", ".3", "aggregator.0", "aggregator.03", "aggregator.-1", "aggregator.x",
            "aggregator.3.1", "aggre gator.3", "aggregator.3 ", "aggregator.99999999999", "web-5d8f7c6b9-abcde",
        ])
    func rejects(_ text: String) {
        #expect(throws: EnvironmentValueError.self) { try Dyno(environmentValue: text) }
    }

    @Test("is local.1 (index 0) when DYNO is unset")
    func local() {
        var problems: [ConfigurationError.Problem] = []
        let dyno = Environment([:]).optional("DYNO", as: Dyno.self, noting: &problems) ?? .local
        #expect(dyno == Dyno(processType: "local", number: 1))
        #expect(dyno.description == "local.1")
        #expect(dyno.index == 0)
        #expect(problems.isEmpty)
    }

    @Test("reports a malformed DYNO through the environment")
    func malformed() {
        var problems: [ConfigurationError.Problem] = []
        _ = Environment(["DYNO": "aggregator"]).optional("DYNO", as: Dyno.self, noting: &problems)
        #expect(problems.count == 1)
        #expect(problems.first?.description.hasPrefix("DYNO is malformed: expected a dyno name") == true)
    }
}
