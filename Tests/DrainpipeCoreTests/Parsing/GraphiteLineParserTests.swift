import DrainpipeCore
import Testing

@Suite("GraphiteLineParser")
struct GraphiteLineParserTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)
    static let parser = GraphiteLineParser(pastWindow: .seconds(300), futureWindow: .seconds(120))

    static func parse(
        _ line: String, parser: GraphiteLineParser = parser
    ) -> Result<GraphiteParseResult.Point?, GraphiteLineRejectionReason> {
        let bytes = Array(line.utf8)
        return parser.parseLine(bytes, in: bytes.indices, receivedAt: now)
    }

    @Test(
        "clean lines become datapoints",
        arguments: [
            ("prod.us-east.checkout.app.ip-10-0-3-17.http.requests.count 1834 1709647380", 1834.0, 1_709_647_380),
            ("a.b 0.5 1709647440\r", 0.5, 1_709_647_440),
            ("  a.b\t-3.25   1709647400  ", -3.25, 1_709_647_400),
            ("host:9100.cpu_load 1e3 1709647400", 1000.0, 1_709_647_400),
            ("a .5 1709647400", 0.5, 1_709_647_400),
            ("a +7. 1709647400", 7.0, 1_709_647_400),
            ("a 2 -1", 2.0, 1_709_647_440),
        ] as [(String, Double, Int64)])
    func cleanLines(line: String, value: Double, seconds: Int64) throws {
        let point = try #require(try Self.parse(line).get())
        #expect(point.value == value)
        #expect(point.time == EventTime(secondsSinceEpoch: seconds))
        #expect(!point.path.contains(" ") && !point.path.isEmpty)
    }

    @Test(
        "bad lines are dropped with their reason",
        arguments: [
            ("a.b 1", GraphiteLineRejectionReason.wrongFieldCount),
            ("a.b 1 1709647400 extra", .wrongFieldCount),
            ("a..b 1 1709647400", .emptyPathSegment),
            (".a 1 1709647400", .emptyPathSegment),
            ("a. 1 1709647400", .emptyPathSegment),
            ("cpu.load;host=web1 1 1709647400", .invalidPathCharacter),
            ("a/b 1 1709647400", .invalidPathCharacter),
            ("caf\u{e9}.x 1 1709647400", .invalidPathCharacter),
            ("a NaN 1709647400", .badValue),
            ("a nan 1709647400", .badValue),
            ("a inf 1709647400", .badValue),
            ("a 1e999 1709647400", .badValue),
            ("a 0x10 1709647400", .badValue),
            ("a 1.2.3 1709647400", .badValue),
            ("a - 1709647400", .badValue),
            ("a 1e 1709647400", .badValue),
            ("a 1e308 1709647400", .valueOutOfRange),
            ("a -2e18 1709647400", .valueOutOfRange),
            ("a 1 1709647400.5", .timestampNotInteger),
            ("a 1 -5", .timestampNotInteger),
            ("a 1 soon", .timestampNotInteger),
            ("a 1 1709647400000", .timestampOutOfWindow),
            ("a 1 1709647139", .timestampOutOfWindow),
            ("a 1 1709647561", .timestampOutOfWindow),
            ("a 1 0", .timestampOutOfWindow),
        ] as [(String, GraphiteLineRejectionReason)])
    func badLines(line: String, reason: GraphiteLineRejectionReason) {
        #expect(Self.parse(line) == .failure(reason))
    }

    @Test("decimal values convert to exactly what Double(String) gives, for seeded random digits and fractions")
    func decimalsMatchTheStandardLibrary() throws {
        var random = SplitMix64(seed: 0xDEC1)
        let parser = GraphiteLineParser(maximumMagnitude: .infinity)
        for _ in 0..<20_000 {
            func digits(_ count: UInt64) -> String {
                String((0..<count).map { _ in Character(String(random.next() % 10)) })
            }
            let sign = ["", "-", "+"][Int(random.next() % 3)]
            let integer = digits(random.next() % 18)
            let fraction = digits(random.next() % 18)
            let exponent = random.next() % 5 == 0 ? "e\(Int(random.next() % 40) - 20)" : ""
            let text = integer.isEmpty && fraction.isEmpty ? "0" : "\(sign)\(integer).\(fraction)\(exponent)"
            let point = try #require(try Self.parse("a \(text) 1709647400", parser: parser).get(), "\(text)")
            let expected = try #require(Double(text))
            #expect(point.value.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    @Test("the window bounds are inclusive")
    func windowEdges() throws {
        #expect(try Self.parse("a 1 1709647140").get() != nil)
        #expect(try Self.parse("a 1 1709647560").get() != nil)
    }

    @Test("blank lines are skipped without counting; a path over the limit is refused")
    func blankAndLong() {
        #expect(Self.parse("   \r") == .success(nil))
        let long = String(repeating: "a", count: 10_000)
        #expect(Self.parse("\(long) 1 1709647400") == .failure(.pathTooLong))
    }

    @Test("the naming convention is enforced only when the tenant asks for it")
    func namingConvention() throws {
        var strict = Self.parser
        strict.requiresNamingConvention = true
        #expect(
            try Self.parse("prod.us-east.checkout.sys.ip-10-0-3-17.cpu.load_1m 1 1709647400", parser: strict).get()
                != nil)
        for path in [
            "prod.us-east.checkout.sys.ip-10-0-3-17.cpu", "Prod.us-east.checkout.sys.h.cpu.load",
            "prod.us-east.checkout.biz.h.cpu.load", "prod.us:east.checkout.app.h.cpu.load",
        ] {
            #expect(Self.parse("\(path) 1 1709647400", parser: strict) == .failure(.namingConvention), "\(path)")
            #expect(try Self.parse("\(path) 1 1709647400").get() != nil, "\(path)")
        }
    }

    @Test("a body of lines is parsed whole, with a last line without LF, and every line is accounted for")
    func body() {
        let text = "a.b 1 1709647400\nbad\n\na.c 2 1709647401\r\na.d NaN 1709647400\na.e 3 1709647402"
        let result = Self.parser.parseLines(Array(text.utf8), receivedAt: Self.now)
        #expect(result.points.map(\.path) == ["a.b", "a.c", "a.e"])
        #expect(result.rejections == [.wrongFieldCount: 1, .badValue: 1])
        #expect(result.rejectionSummary == "2 lines rejected: 1 line without exactly three fields, 1 bad value")
    }
}
