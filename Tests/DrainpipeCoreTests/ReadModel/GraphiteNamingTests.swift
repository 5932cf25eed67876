import Testing

@testable import DrainpipeCore

/// The naming scheme the README documents: every stored statistic has one stable dotted path.
@Suite("Graphite naming")
struct GraphiteNamingTests {
    static func paths(_ series: StoredSeries, events: [String] = []) -> [String: SummaryReading] {
        Dictionary(
            uniqueKeysWithValues: GraphiteNaming.readings(of: series, eventNames: events).map { ($0.path, $0.reading) })
    }

    @Test("platform series read as <process>.<metric>.<field>.<statistic>, event counts as leaves of the metric")
    func platformPaths() {
        let router = Self.paths(
            StoredSeries(type: .routerRequests, processType: "web", metric: "router"),
            events: ["status_5xx", "method_GET", "protocol_http1.1", "H12"])
        #expect(router["web.router.service_ms.p99"] == .field("service_ms", .quantile(0.99)))
        #expect(router["web.router.connect_ms.mean"] == .field("connect_ms", .mean))
        #expect(router["web.router.bytes.sum"] == .field("bytes", .sum))
        #expect(router["web.router.bytes.p99"] == nil, "bytes has no sketch")
        #expect(router["web.router.status.5xx"] == .eventCount("status_5xx"))
        #expect(router["web.router.method.GET"] == .eventCount("method_GET"))
        #expect(router["web.router.protocol.http1_1"] == .eventCount("protocol_http1.1"))
        #expect(router["web.router.errors.H12"] == .eventCount("H12"))

        let memory = Self.paths(StoredSeries(type: .dynoMemory, processType: "worker", metric: "memory"))
        #expect(memory["worker.memory.rss.max"] == .field("memory_rss", .maximum))
        #expect(memory["worker.memory.quota.min"] == .field("memory_quota", .minimum))
        let load = Self.paths(StoredSeries(type: .dynoLoad, processType: "web", metric: "load_avg"))
        #expect(load["web.load_avg.1m.mean"] == .field("load_avg_1m", .mean))
        let errors = Self.paths(
            StoredSeries(type: .dynoErrors, processType: "web", metric: "errors"), events: ["H12", "R14"])
        #expect(Set(errors.keys) == ["web.errors.H12", "web.errors.R14"])
    }

    @Test("l2met metrics sit under the process type with a statistic; Graphite paths are the average bare")
    func customPaths() {
        let l2met = Self.paths(StoredSeries(type: .customMetrics, processType: "web", metric: "jobs.processed"))
        #expect(l2met["web.jobs.processed.sum"] == .field("value", .sum))
        #expect(l2met["web.jobs.processed.stddev"] == .field("value", .standardDeviation))
        #expect(l2met["web.jobs.processed"] == nil)

        let path = "prod.us-east.checkout.app.host1.cpu"
        let graphite = Self.paths(
            StoredSeries(type: .customMetrics, processType: "prod.us-east.checkout", metric: path))
        #expect(graphite[path] == .field("value", .mean))
        #expect(graphite[path + ".max"] == .field("value", .maximum))
        #expect(graphite[path + ".count"] == .field("value", .count))
        #expect(graphite[path + ".mean"] == nil, "the bare path is the mean")
        #expect(GraphiteNaming.isGraphitePath(StoredSeries(type: .customMetrics, processType: "cpu", metric: "cpu")))
        #expect(
            !GraphiteNaming.isGraphitePath(StoredSeries(type: .customMetrics, processType: "web", metric: "web.a")))
    }

    @Test("segments keep letters, digits, _, - and :; anything else becomes _")
    func segments() {
        #expect(GraphiteNaming.ownerSegment(id: "6c1d5b7e-0f43", name: "shop-api") == "shop-api")
        #expect(GraphiteNaming.ownerSegment(id: "6c1d5b7e-0f43", name: "shop api") == "6c1d5b7e-0f43")
        #expect(GraphiteNaming.ownerSegment(id: "6c1d5b7e-0f43", name: nil) == "6c1d5b7e-0f43")
        let odd = Self.paths(StoredSeries(type: .customMetrics, processType: "web", metric: "a/b..c"))
        #expect(odd["web.a_b._.c.sum"] == .field("value", .sum))
    }

    @Test("a reading's points of several minutes merge to the exact statistic over all of them")
    func readingsOfMergedSummaries() {
        let key = SeriesKey(
            type: .routerRequests, owner: "o", processType: "web", metric: "router",
            windowStart: EventTime(secondsSinceEpoch: 0), periodSeconds: 60)
        var first = Summary(key: key, version: 1, counts: ["status_5xx": 2])
        var second = Summary(key: key, version: 2, counts: ["status_2xx": 7])
        first.fields["service_ms"] = FieldStatistics(value: 10)
        second.fields["service_ms"] = FieldStatistics(value: 30)
        second.fields["service_ms"]?.add(50)
        func merged(_ reading: SummaryReading) -> Double? {
            reading.point(of: first).merging(reading.point(of: second)).value(of: reading.statistic)
        }
        #expect(merged(.field("service_ms", .mean)) == 30)
        #expect(merged(.field("service_ms", .maximum)) == 50)
        #expect(merged(.field("service_ms", .count)) == 3)
        #expect(merged(.eventCount("status_5xx")) == 2)
        #expect(merged(.eventCount("status_4xx")) == 0)
        #expect(merged(.field("bytes", .mean)) == nil)
        #expect(merged(.field("bytes", .count)) == 0)
    }
}

/// Searching one owner's catalog.
@Suite("Path catalog")
struct PathCatalogTests {
    static func catalog() -> PathCatalog {
        var catalog = PathCatalog(owner: "6c1d", ownerSegment: "shop")
        catalog.insert(StoredSeries(type: .routerRequests, processType: "web", metric: "router"), eventNames: ["H12"])
        catalog.insert(StoredSeries(type: .dynoMemory, processType: "worker", metric: "memory"))
        catalog.insert(StoredSeries(type: .customMetrics, processType: "a.b.c", metric: "a.b.c.d"))
        // An l2met metric whose path collides with the platform's: the platform's wins.
        catalog.insert(StoredSeries(type: .customMetrics, processType: "worker", metric: "memory.rss"))
        return catalog
    }

    @Test("literal and wildcard segments find nodes below the owner's segment, sorted, leaves and branches told apart")
    func search() {
        let catalog = Self.catalog()
        let top = catalog.matches([.pattern({ _ in true })])
        #expect(top.map(\.path) == ["shop.a", "shop.web", "shop.worker"])
        #expect(top.allSatisfy { $0.hasChildren && !$0.isLeaf })
        let p99 = catalog.matches([.literal("web"), .literal("router"), .literal("service_ms"), .literal("p99")])
        #expect(
            p99.map(\.source) == [
                SeriesSource(
                    owner: "6c1d", series: StoredSeries(type: .routerRequests, processType: "web", metric: "router"),
                    reading: .field("service_ms", .quantile(0.99)))
            ])
        let graphite = catalog.matches([.literal("a"), .literal("b"), .literal("c"), .literal("d")])
        #expect(graphite.first?.isLeaf == true && graphite.first?.hasChildren == true)
        let rss = catalog.matches([.literal("worker"), .literal("memory"), .literal("rss"), .literal("max")])
        #expect(rss.first?.source?.series.type == .dynoMemory)
        #expect(catalog.matches([.literal("nope"), .pattern({ _ in true })]).isEmpty)
        #expect(catalog.matches([PathCatalog.SegmentMatcher]()).isEmpty)
    }
}
