import Testing

@testable import DrainpipeCore

@Suite("PlatformEventLog")
struct PlatformEventLogTests {
    static let minute = EventTime(secondsSinceEpoch: 1_709_647_320)

    /// Events inside one minute with few distinct values, so equal events (the same restart twice) occur too.
    static func events(seed: UInt64, count: Int) -> [PlatformEvent] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            PlatformEvent(
                time: minute + .seconds(Int64(generator.next() % 60)),
                kind: PlatformEventKind.allCases[Int(generator.next() % UInt64(PlatformEventKind.allCases.count))],
                dyno: ["", "web.1", "web.2"][Int(generator.next() % 3)],
                text: ["", "v42", "up -> crashed"][
                    Int(generator.next() % 3)])
        }
    }

    static func log(_ events: [PlatformEvent]) -> PlatformEventLog {
        var log = PlatformEventLog()
        for event in events { log.add(event) }
        return log
    }

    @Test("keeps the earliest 100 events, sorted, and counts the rest as overflow")
    func bound() {
        let restarts = (0..<150).map {
            PlatformEvent(
                time: Self.minute + .milliseconds(Int64(149 - $0) * 300), kind: .restart, dyno: "web.1", text: "")
        }
        let log = Self.log(restarts)
        #expect(log.events.count == PlatformEventLog.capacity)
        #expect(log.overflow == 50)
        #expect(log.totalCount == 150)
        #expect(log.events == restarts.sorted().prefix(100).map { $0 })
        #expect(log == PlatformEventLog(events: restarts))
    }

    @Test(
        "adding one by one, building at once and merging any split in any grouping give the same log",
        arguments: 0..<30)
    func mergeIsAssociativeAndCommutative(seed: UInt64) {
        let all = Self.events(seed: seed, count: Int(seed) * 9)
        var generator = SplitMix64(seed: seed &* 7 &+ 1)
        var parts: [[PlatformEvent]] = [[], [], []]
        for event in all { parts[Int(generator.next() % 3)].append(event) }
        let (a, b, c) = (Self.log(parts[0]), Self.log(parts[1]), Self.log(parts[2]))
        let whole = Self.log(all)
        #expect(whole == PlatformEventLog(events: all.reversed()))
        #expect(whole.totalCount == UInt64(all.count))
        var left = a
        left.merge(b)
        left.merge(c)
        var inner = b
        inner.merge(c)
        var right = a
        right.merge(inner)
        var swapped = c
        swapped.merge(a)
        swapped.merge(b)
        #expect(left == whole)
        #expect(right == whole)
        #expect(swapped == whole)
        var withEmpty = whole
        withEmpty.merge(.empty)
        #expect(withEmpty == whole)
    }

    @Test("a summary's merge merges its events, so rollups keep the earliest events of every minute")
    func summaryMerge() {
        let key = SeriesKey(
            type: .platformEvents, owner: "app", processType: "web", metric: "events", windowStart: Self.minute,
            periodSeconds: 60)
        let early = Self.events(seed: 1, count: 80)
        let late = Self.events(seed: 2, count: 80).map { event in
            var moved = event
            moved.time = moved.time + .seconds(60)
            return moved
        }
        var first = Summary(
            key: key, version: 3, counts: ["deploy": 80], platformEvents: PlatformEventLog(events: early))
        first.merge(
            Summary(key: key, version: 9, counts: ["deploy": 80], platformEvents: PlatformEventLog(events: late)))
        #expect(first.version == 9)
        #expect(first.counts == ["deploy": 160])
        #expect(first.platformEvents.events == (early + late).sorted().prefix(100).map { $0 })
        #expect(first.platformEvents.overflow == 60)
    }
}
