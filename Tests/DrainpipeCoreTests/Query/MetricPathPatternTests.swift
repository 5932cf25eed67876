import DrainpipeCore
import Testing

@Suite("MetricPathPattern")
struct MetricPathPatternTests {
    static func pattern(_ text: String) throws -> MetricPathPattern { try MetricPathPattern(text) }

    static let matchingCases: [(pattern: String, path: String, expected: Bool)] = [
        ("a.b.c", "a.b.c", true), ("a.b.c", "a.b", false), ("a.b.c", "a.b.c.d", false), ("a.b.c", "a.bx.c", false),
        ("a.*.c", "a.web.c", true), ("a.*.c", "a.web.x.c", false), ("a.*", "a.", true), ("*", "anything", true),
        ("a.?", "a.b", true), ("a.?", "a.bc", false), ("a.?", "a.", false),
        ("web{1,2}*", "web1", true), ("web{1,2}*", "web2-east", true), ("web{1,2}*", "web3", false),
        ("{a,b}.{c,d}", "b.c", true), ("{a,b}.{c,d}", "c.a", false), ("{a,{b,c}}", "c", true),
        ("{a,}x", "x", true), ("{a,}x", "ax", true), ("{a,}x", "bx", false), ("{a*,b?}z", "abcz", true),
        ("{a*,b?}z", "bcdz", false), ("host[0-9]", "host5", true), ("host[0-9]", "hostx", false),
        ("host[0-9a-c_]", "host_", true), ("host[!0-9]", "hostx", true), ("host[!0-9]", "host7", false),
        ("[]a]", "]", true), ("[!]]", "]", false), ("[^a]", "^", true), ("x[a-]", "x-", true),
        ("*a*b", "xaab", true), ("*a*b", "xaabc", false), ("a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaac", false),
        ("café.*", "café.x", true), ("a.?", "a.é", true), ("a(b).c=d", "a(b).c=d", true),
    ]

    @Test("matches paths segment by segment", arguments: matchingCases)
    func matching(pattern: String, path: String, expected: Bool) throws {
        #expect(try Self.pattern(pattern).matches(path) == expected)
        let segments = path.split(separator: ".", omittingEmptySubsequences: false)
        #expect(try Self.pattern(pattern).matches(segments: segments) == expected)
    }

    @Test("segments match one path segment each")
    func segments() throws {
        let pattern = try Self.pattern("app.web{1,2}.router.*")
        #expect(pattern.segments.map(\.text) == ["app", "web{1,2}", "router", "*"])
        #expect(pattern.segments.map(\.isLiteral) == [true, false, true, false])
        #expect(pattern.segments[1].matches("web2"))
        #expect(!pattern.segments[1].matches("web"))
        #expect(pattern.literalPrefixCount == 1)
        #expect(!pattern.matches(segments: ["app", "web1", "router"]))
    }

    @Test(
        "knows literal patterns",
        arguments: [
            ("a.b.c", true, 3), ("a.b*", false, 1), ("a.{b}", false, 1), ("a.[b]", false, 1), ("?", false, 0),
            ("a-b.c_d:e", true, 2),
        ])
    func literal(pattern: String, isLiteral: Bool, prefix: Int) throws {
        let parsed = try Self.pattern(pattern)
        #expect(parsed.isLiteral == isLiteral)
        #expect(parsed.literalPrefixCount == prefix)
    }

    @Test(
        "refuses malformed patterns with the reason and position",
        arguments: [
            ("", "empty path pattern"),
            ("a..b", "empty segment at character 2 of path pattern 'a..b'"),
            (".a", "empty segment at character 0 of path pattern '.a'"),
            ("a.", "empty segment at character 2 of path pattern 'a.'"),
            ("a.{b", "'{' without a matching '}' at character 2 of path pattern 'a.{b'"),
            ("a.b}", "'}' without a matching '{' at character 3 of path pattern 'a.b}'"),
            ("a.{b.c}", "'{' without a matching '}' at character 2 of path pattern 'a.{b.c}'"),
            ("ab.x[bc", "'[' without a matching ']' at character 4 of path pattern 'ab.x[bc'"),
            ("[z-a]", "descending range 'z-a' in '[' at character 1 of path pattern '[z-a]'"),
        ])
    func malformed(pattern: String, message: String) {
        #expect(throws: QueryError(.malformedPattern, message)) { try MetricPathPattern(pattern) }
    }

    @Test("bounds brace expansion")
    func braceExpansionBound() throws {
        _ = try Self.pattern(String(repeating: "{a,b}", count: 10))
        #expect(throws: QueryError.self) { try MetricPathPattern(String(repeating: "{a,b}", count: 11)) }
    }
}
