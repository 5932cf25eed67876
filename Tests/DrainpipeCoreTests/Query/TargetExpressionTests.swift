import DrainpipeCore
import Testing

@Suite("TargetExpression")
struct TargetExpressionTests {
    static func call(
        _ name: String, _ arguments: TargetExpression..., keywords: [KeywordArgument] = []
    ) -> TargetExpression {
        .call(FunctionCall(name: name, arguments: arguments, keywordArguments: keywords))
    }

    static let parsedCases: [(text: String, expected: TargetExpression)] = [
        ("a.b.c", .path("a.b.c")),
        ("  app.web{1,2}.*.count ", .path("app.web{1,2}.*.count")),
        ("a.host[0-9]?.x=y:z-1", .path("a.host[0-9]?.x=y:z-1")),
        ("a.b\\(1\\).c", .path("a.b(1).c")),
        ("5", .path("5")),
        ("sumSeries(a.*.b)", call("sumSeries", .path("a.*.b"))),
        ("sumSeries(a.{x,y}.b, c.d)", call("sumSeries", .path("a.{x,y}.b"), .path("c.d"))),
        ("scale(a.b, 2)", call("scale", .path("a.b"), .integer(2))),
        ("scale(a.b,-1.5)", call("scale", .path("a.b"), .float(-1.5))),
        ("scale(a.b, 1e3)", call("scale", .path("a.b"), .float(1000))),
        ("scale(a.b, 2.5E-1)", call("scale", .path("a.b"), .float(0.25))),
        ("scale(a.b, 1.2.3)", call("scale", .path("a.b"), .path("1.2.3"))),
        ("constantLine(100)", call("constantLine", .integer(100))),
        ("f()", call("f")),
        ("aliasSub(a.b, \"(^.*$)\", \"\\1 A\")", call("aliasSub", .path("a.b"), .string("(^.*$)"), .string("\\1 A"))),
        ("alias(a.b, 'it''s')", call("alias", .path("a.b"), .string("it''s"))),
        ("alias(a.b, \"it's, (x)\")", call("alias", .path("a.b"), .string("it's, (x)"))),
        (
            "summarize(a.b, '1h', 'max', alignToFrom=true)",
            call(
                "summarize", .path("a.b"), .string("1h"), .string("max"),
                keywords: [KeywordArgument(name: "alignToFrom", value: .boolean(true))])
        ),
        (
            "summarize(a.b, intervalString = '1h', alignToFrom=FALSE)",
            call(
                "summarize", .path("a.b"),
                keywords: [
                    KeywordArgument(name: "intervalString", value: .string("1h")),
                    KeywordArgument(name: "alignToFrom", value: .boolean(false)),
                ])
        ),
        ("f(None, INF, true.x)", call("f", .none, .float(.infinity), .path("true.x"))),
        (
            "aliasSub(sumSeries(scale(a.*, 2), b.c), 'x', 'y')",
            call(
                "aliasSub", call("sumSeries", call("scale", .path("a.*"), .integer(2)), .path("b.c")), .string("x"),
                .string("y"))
        ),
        ("a.b|scale(2) | alias('x')", call("alias", call("scale", .path("a.b"), .integer(2)), .string("x"))),
        ("sumSeries ( a.b )", call("sumSeries", .path("a.b"))),
    ]

    @Test("parses graphite-web's grammar", arguments: parsedCases)
    func parses(text: String, expected: TargetExpression) throws {
        #expect(try TargetExpression.parse(text) == expected)
    }

    static let malformedCases: [(text: String, position: Int, expected: String)] = [
        ("", 0, "expected a path expression or a function call, found the end"),
        ("sumSeries(a.b", 13, "expected ',' or ')' in the arguments of sumSeries, found the end"),
        ("sumSeries(a.b c)", 14, "expected ',' or ')' in the arguments of sumSeries, found 'c)'"),
        ("a.b)", 3, "expected the end of the target or '|', found ')'"),
        ("a..b", 2, "expected a path element, found '.b'"),
        ("a.{b,}.c", 5, "expected an alternative inside '{…}', found '}.c'"),
        ("a.{b,c.d", 6, "expected '}' closing the '{' at character 2, found '.d'"),
        ("alias(a.b, 'x)", 14, "expected a closing ' for the string opened at character 11, found the end"),
        ("f(a=1, b.c)", 7, "expected a keyword argument (name=value): positional arguments come first, found 'b.c)'"),
        ("f(a.b,)", 6, "expected a path expression or a function call, found ')'"),
        ("a.b | 5", 6, "expected a function call after '|', found '5'"),
    ]

    @Test("names the position and what was expected", arguments: malformedCases)
    func malformed(text: String, position: Int, expected: String) {
        let message = "malformed target at character \(position) (0-based): \(expected)"
        #expect(throws: QueryError(.malformedTarget(position: position), message)) {
            try TargetExpression.parse(text)
        }
    }

    @Test("bounds the nesting depth")
    func nesting() throws {
        let deep = { (depth: Int) in
            String(repeating: "scale(", count: depth) + "a.b" + String(repeating: ",2)", count: depth)
        }
        _ = try TargetExpression.parse(deep(TargetExpression.maximumNestingDepth - 1))
        #expect(throws: QueryError.self) { try TargetExpression.parse(deep(TargetExpression.maximumNestingDepth + 1)) }
    }

    @Test("lists path expressions and prints graphite syntax")
    func pathsAndDescription() throws {
        let parsed = try TargetExpression.parse("divideSeries(sumSeries(a.*), b.c, x=d.e)")
        #expect(parsed.pathExpressions == ["a.*", "b.c", "d.e"])
        #expect(parsed.description == "divideSeries(sumSeries(a.*),b.c,x=d.e)")
        #expect(try TargetExpression.parse("alias(a,\"it's\")").description == "alias(a,\"it's\")")
    }
}
