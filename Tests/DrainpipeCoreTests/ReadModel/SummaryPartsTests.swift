import Testing

@testable import DrainpipeCore

/// What a Graphite read takes from the store: no more columns than its paths' readings use.
@Suite("Summary parts of readings")
struct SummaryPartsTests {
    @Test("plain statistics need their fields only; a quantile adds the sketches, an event count the counts")
    func partsOfReadings() {
        let plain = SummaryParts(readings: [.field("service_ms", .mean), .field("bytes", .maximum)])
        #expect(
            plain
                == SummaryParts(fields: ["service_ms", "bytes"], sketches: false, counts: false, platformEvents: false))
        #expect(plain.includes(field: "bytes") && !plain.includes(field: "connect_ms"))

        let quantile = SummaryParts(readings: [.field("service_ms", .quantile(0.99))])
        #expect(quantile == SummaryParts(fields: ["service_ms"], sketches: true, counts: false, platformEvents: false))

        let events = SummaryParts(readings: [.eventCount("status_5xx"), .eventCount("H12")])
        #expect(events == SummaryParts(fields: [], sketches: false, counts: true, platformEvents: false))
        #expect(!events.includes(field: "service_ms"))
    }

    @Test("everything includes every field, whatever its name")
    func everything() {
        #expect(SummaryParts.everything.includes(field: "memory_rss"))
        #expect(SummaryParts.everything.sketches && SummaryParts.everything.counts)
    }
}
