import DrainpipeCore
import Testing

/// Hand-computed expectations for each function, over a window whose fetch answers the ten minutes 6060…6600.
@Suite("TargetEvaluator")
struct TargetEvaluatorTests {
    static let from: Int64 = 6000
    static let until: Int64 = 6600
    static let first: Int64 = 6060

    static let store = QueryTestStore(series: [
        "a.x": QueryTestStore.listed([1, nil, 3, 6], from: first),
        "a.y": QueryTestStore.listed([3, 20, nil, 0], from: first),
        "c.counter": QueryTestStore.listed([1, 5, 2, 4], from: first),
        "m.minute": { Double($0 / 60) },
        "h.web.1": QueryTestStore.listed([1, 2], from: first),
        "h.web.2": QueryTestStore.listed([3, 4], from: first),
        "h.worker.1": QueryTestStore.listed([10, nil], from: first),
        "k.gaps": QueryTestStore.listed([1, nil, nil, 4, nil], from: first),
    ])

    static func render(_ target: String) throws -> [RenderSeries] {
        try store.render(target, from: from, until: until)
    }

    /// The first `count` values of the only series.
    static func values(_ target: String, count: Int = 4) throws -> [Double?] {
        let result = try render(target)
        #expect(result.count == 1)
        return Array(result.first?.values.prefix(count) ?? [])
    }

    static func names(_ target: String) throws -> [String] { try render(target).map(\.name) }

    @Test("fetches whisper's window and sorts by name")
    func fetch() throws {
        let result = try Self.render("a.*")
        #expect(result.map(\.name) == ["a.x", "a.y"])
        #expect(result[0].start == 6060)
        #expect(result[0].end == 6660)
        #expect(result[0].values.count == 10)
        #expect(result[0].tags == ["name": "a.x"])
        #expect(result[0].pathExpression == "a.*")
    }

    @Test("aggregates rows, skipping nils")
    func aggregates() throws {
        #expect(try Self.values("sumSeries(a.*)") == [4, 20, 3, 6])
        #expect(try Self.values("sum(a.x, a.y)") == [4, 20, 3, 6])
        #expect(try Self.values("averageSeries(a.*)") == [2, 20, 3, 3])
        #expect(try Self.values("minSeries(a.*)") == [1, 20, 3, 0])
        #expect(try Self.values("maxSeries(a.*)") == [3, 20, 3, 6])
        #expect(try Self.values("diffSeries(a.*)") == [-2, 20, 3, 6])
        #expect(try Self.values("aggregate(a.*, 'multiply')") == [3, nil, nil, 0])
        let sum = try Self.render("sumSeries(a.*)")[0]
        #expect(sum.name == "sumSeries(a.*)")
        #expect(sum.tags == ["name": "sumSeries(a.*)", "aggregatedBy": "sum"])
        #expect(try Self.names("sumSeries(a.x, a.y, a.x)") == ["sumSeries(a.x,a.y)"])
        #expect(try Self.names("averageSeries(nothing.*)") == [])
    }

    @Test("divides and takes percentages as graphite does with nil and zero")
    func divideAndPercent() throws {
        #expect(try Self.values("divideSeries(a.x, a.y)") == [1.0 / 3, nil, nil, nil])
        #expect(try Self.names("divideSeries(a.*, a.y)") == ["divideSeries(a.x,a.y)", "divideSeries(a.y,a.y)"])
        #expect(try Self.names("divideSeries(a.x, nothing)") == ["divideSeries(a.x,MISSING)"])
        #expect(throws: QueryError.self) { try Self.render("divideSeries(a.x, a.*)") }
        let percent = try Self.render("asPercent(a.*)")
        #expect(percent.map(\.name) == ["asPercent(a.x,sumSeries(a.*))", "asPercent(a.y,sumSeries(a.*))"])
        #expect(Array(percent[0].values.prefix(4)) == [25, nil, 100, 100])
        #expect(try Self.values("asPercent(a.x, 50)") == [2, nil, 6, 12])
        #expect(try Self.names("asPercent(a.x, 50)") == ["asPercent(a.x,50)"])
        #expect(try Self.values("asPercent(a.x, a.y)") == [1.0 / 3 * 100, nil, nil, nil])
        let grouped = try Self.render("asPercent(h.*.*, None, 1)")
        #expect(
            grouped.map(\.name) == [
                "asPercent(h.web.1,sumSeries(h.*.*))", "asPercent(h.web.2,sumSeries(h.*.*))",
                "asPercent(h.worker.1,h.worker.1)",
            ])
        #expect(Array(grouped[0].values.prefix(2)) == [25, 2.0 / 6 * 100])
    }

    @Test("transforms values and names them as graphite does")
    func transforms() throws {
        let scaled = try Self.render("scale(a.x, 2)")[0]
        #expect(scaled.name == "scale(a.x,2)")
        #expect(scaled.tags == ["name": "a.x", "scale": "2.0"])
        #expect(Array(scaled.values.prefix(4)) == [2, nil, 6, 12])
        #expect(try Self.names("offset(a.x, -1.5)") == ["offset(a.x,-1.5)"])
        #expect(try Self.values("offset(a.x, -1.5)") == [-0.5, nil, 1.5, 4.5])
        #expect(try Self.names("scale(a.x, 1000000)") == ["scale(a.x,1e+06)"])
        #expect(try Self.values("derivative(a.x)") == [nil, nil, nil, 3])
        #expect(try Self.values("nonNegativeDerivative(c.counter)") == [nil, 4, nil, 2])
        #expect(try Self.values("nonNegativeDerivative(c.counter, 10)") == [nil, 4, 8, 2])
        #expect(try Self.values("nonNegativeDerivative(c.counter, minValue=0)") == [nil, 4, 2, 2])
        #expect(try Self.values("perSecond(c.counter)") == [nil, 0.066667, nil, 0.033333])
        #expect(try Self.values("integral(a.x)") == [1, nil, 4, 10])
        #expect(try Self.values("keepLastValue(k.gaps)", count: 6) == [1, 1, 1, 4, 4, 4])
        #expect(try Self.values("keepLastValue(k.gaps, 1)", count: 5) == [1, nil, nil, 4, nil])
        #expect(try Self.values("transformNull(a.x)") == [1, 0, 3, 6])
        #expect(try Self.names("transformNull(a.x)") == ["transformNull(a.x,0)"])
        #expect(try Self.values("transformNull(a.x, -1, referenceSeries=a.y)") == [1, -1, 3, 6])
        #expect(try Self.names("derivative(a.x)") == ["derivative(a.x)"])
        #expect(try Self.names("consolidateBy(a.x, 'max')") == ["consolidateBy(a.x,\"max\")"])
    }

    @Test("moving averages read a bootstrap window before from")
    func movingAverage() throws {
        let points = try Self.render("movingAverage(m.minute, 2)")[0]
        #expect(points.name == "movingAverage(m.minute,2)")
        #expect(points.start == 6060)
        #expect(points.values == (0..<10).map { Double(99 + $0) + 0.5 })
        #expect(points.tags["movingAverage"] == "2")
        let interval = try Self.render("movingAverage(m.minute, '5min')")[0]
        #expect(interval.name == "movingAverage(m.minute,\"5min\")")
        #expect(interval.values == (0..<10).map { Double(98 + $0) })
        let context = RenderContext(from: Self.from, until: Self.until, now: 1_000_000)
        let plan = try QueryPlan.fetches(
            for: [TargetExpression.parse("movingAverage(timeShift(m.minute, '1h'), 2)")], context: context)
        #expect(
            plan == [
                FetchRequest(pathExpression: "m.minute", from: 6000, until: 6600),
                FetchRequest(pathExpression: "m.minute", from: 2400, until: 3000),
                FetchRequest(pathExpression: "m.minute", from: 5880, until: 6600),
                FetchRequest(pathExpression: "m.minute", from: 2280, until: 3000),
            ])
    }

    @Test("summarizes into aligned buckets, or from the start with alignToFrom")
    func summarize() throws {
        let aligned = try Self.render("summarize(m.minute, '5min')")[0]
        #expect(aligned.name == "summarize(m.minute, \"5min\", \"sum\")")
        #expect(aligned.start == 6000)
        #expect(aligned.end == 6900)
        #expect(aligned.step == 300)
        #expect(aligned.values == [410, 535, 110])
        let fromStart = try Self.render("summarize(m.minute, '5min', 'max', alignToFrom=true)")[0]
        #expect(fromStart.name == "summarize(m.minute, \"5min\", \"max\", true)")
        #expect(fromStart.start == 6060)
        #expect(fromStart.end == 6660)
        #expect(fromStart.values == [105, 110])
        #expect(try Self.values("summarize(a.x, '2min', 'avg', true)", count: 2) == [1, 4.5])
    }

    @Test("shifts time, naming the shift with its sign")
    func timeShift() throws {
        let shifted = try Self.render("timeShift(m.minute, '1h')")[0]
        #expect(shifted.name == "timeShift(m.minute, \"-1h\")")
        #expect(shifted.start == 6060)
        #expect(shifted.end == 6660)
        #expect(shifted.values.first == 41)
        #expect(try Self.render("timeShift(m.minute, '+1h')")[0].values.first == 161)
    }

    @Test("aliases by name, node and regular expression")
    func aliases() throws {
        #expect(try Self.names("alias(a.x, 'first')") == ["first"])
        #expect(try Self.names("aliasByNode(h.web.1, 1, -1)") == ["web.1"])
        #expect(try Self.names("aliasByNode(sumSeries(h.web.*), 1)") == ["web"])
        #expect(try Self.names("aliasByNode(scale(h.web.1, 2), 0, 5)") == ["h."])
        #expect(try Self.names("aliasSub(a.x, \"(^.*$)\", \"\\1 A\")") == ["a.x A"])
        #expect(try Self.names("aliasSub(h.web.1, 'web\\.(\\d)', 'host\\1')") == ["h.host1"])
        #expect(try Self.names("aliasSub(h.web.1, '(?P<kind>w\\w+)', '\\g<kind>-\\g<1>')") == ["h.web-web.1"])
    }

    @Test("groups by node with aggregation or series functions")
    func groupByNode() throws {
        let grouped = try Self.render("groupByNode(h.*.*, 1, 'sum')")
        #expect(grouped.map(\.name) == ["web", "worker"])
        #expect(Array(grouped[0].values.prefix(2)) == [4, 6])
        #expect(try Self.names("groupByNode(h.*.*, 1)") == ["web", "worker"])
        #expect(try Self.render("groupByNode(h.*.*, 1, 'maxSeries')")[0].values.prefix(2) == [3, 4])
        #expect(try Self.names("groupByNodes(h.*.*, 'sum', 1, 2)") == ["web.1", "web.2", "worker.1"])
    }

    @Test("ranks series, ties in input order")
    func ranking() throws {
        #expect(try Self.names("highestMax(h.*.*, 2)") == ["h.worker.1", "h.web.2"])
        #expect(try Self.names("highestCurrent(h.*.*, 2)") == ["h.worker.1", "h.web.2"])
        #expect(try Self.names("highestAverage(h.*.*, 1)") == ["h.worker.1"])
        #expect(try Self.names("lowestAverage(h.*.*, 2)") == ["h.web.1", "h.web.2"])
        #expect(try Self.names("highest(h.*.*, 1, 'sum')") == ["h.worker.1"])
        #expect(try Self.names("highestMax(h.*.*, -1)") == ["h.worker.1", "h.web.2"])
    }

    @Test("draws a constant line across the requested window")
    func constantLine() throws {
        let line = try Self.render("constantLine(100)")[0]
        #expect(line.name == "100.0")
        #expect(line.start == 6000)
        #expect(line.step == 300)
        #expect(line.datapoints.map(\.timestamp) == [6000, 6300, 6600])
        #expect(line.values == [100, 100, 100])
    }

    @Test(
        "names the function and argument of a bad call",
        arguments: [
            ("nosuch(a.x)", "unknown function 'nosuch'"),
            ("scale(a.x)", "missing required argument 'factor' for function 'scale'"),
            ("scale(a.x, 'x')", "invalid float value for argument 'factor' of function 'scale': 'x'"),
            ("scale(a.x, 2, 3)", "too many arguments for function 'scale'"),
            ("scale(a.x, other=2)", "unexpected keyword argument 'other' for function 'scale'"),
            (
                "summarize(a.x, 'banana')",
                "invalid interval value for argument 'intervalString' of function 'summarize': 'banana'"
            ),
            (
                "summarize(a.x, '1h', 'mean')",
                "invalid aggFunc value for argument 'func' of function 'summarize': 'mean'"
            ),
            (
                "consolidateBy(a.x, 'median')",
                "invalid option for argument 'consolidationFunc' of function 'consolidateBy': "
                    + "'median' (one of sum, average, avg, avg_zero, min, max, first, last)"
            ),
            ("sumSeries(1)", "invalid seriesList value for argument 'seriesLists' of function 'sumSeries': 1"),
        ])
    func badCalls(target: String, message: String) {
        #expect(throws: QueryError.self) { try Self.render(target) }
        do {
            _ = try Self.render(target)
        } catch let error as QueryError {
            #expect(error.message == message)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(
        "refuses hostile sizes instead of trapping",
        arguments: [
            "summarize(a.x, '999999999999y')", "summarize(a.x, '1s')", "movingAverage(a.x, 1e300)",
            "movingAverage(a.x, 9223372036854775807)", "movingAverage(a.x, -5)", "timeShift(a.x, '99999999999999y')",
        ])
    func hostileSizes(target: String) {
        let longWindow = QueryTestStore(series: ["a.x": { _ in 1 }], now: 2_000_000)
        #expect(throws: QueryError.self) { try longWindow.render(target, from: 0, until: 2_000_000) }
    }

    @Test("takes extreme counts as Python slices them")
    func extremeCounts() throws {
        #expect(try Self.names("highestMax(h.*.*, -9223372036854775808)") == [])
        #expect(try Self.names("highestMax(h.*.*, 9223372036854775807)").count == 3)
        #expect(try Self.names("aliasByNode(h.web.1, -9223372036854775808)") == [""])
    }

    @Test("lists every function with graphite's info shape")
    func catalog() {
        let names = FunctionCatalog.functions.map(\.name)
        for required in [
            "sumSeries", "averageSeries", "minSeries", "maxSeries", "diffSeries", "divideSeries", "asPercent", "scale",
            "offset", "derivative", "nonNegativeDerivative", "perSecond", "integral", "movingAverage", "summarize",
            "consolidateBy", "alias", "aliasByNode", "aliasSub", "groupByNode", "highestMax", "highestAverage",
            "highestCurrent", "lowestAverage", "keepLastValue", "transformNull", "timeShift", "constantLine",
        ] {
            #expect(names.contains(required), "\(required) is missing")
        }
        let summarize = FunctionCatalog.info(FunctionCatalog.function(named: "summarize")!)
        #expect(
            summarize.hasPrefix(
                "{\"name\":\"summarize\",\"function\":\"summarize(seriesList, intervalString, func='sum', "
                    + "alignToFrom=False)\",\"description\":"))
        #expect(summarize.contains("\"module\":\"graphite.render.functions\",\"group\":\"Transform\",\"params\":["))
        #expect(summarize.contains("{\"name\":\"seriesList\",\"type\":\"seriesList\",\"required\":true}"))
        #expect(summarize.contains("{\"name\":\"alignToFrom\",\"type\":\"boolean\",\"default\":false}"))
        #expect(FunctionCatalog.json(group: "Alias").hasPrefix("{\"alias\":{"))
        #expect(FunctionCatalog.json(grouped: true).contains("\"Special\":{\"consolidateBy\":"))
        #expect(FunctionCatalog.info(FunctionCatalog.function(named: "keepLastValue")!).contains("\"default\":1e9999"))
    }
}
