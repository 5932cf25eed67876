import Testing

@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("Platform events on the wire")
struct PlatformEventWireTests {
    static let minute = EventTime(secondsSinceEpoch: 1_700_000_040)
    static let key = SeriesKey(
        type: .platformEvents, owner: "0f4c1a8e-3b7d-4e2a-9c61-5d8f2b7a1e90", processType: "web", metric: "events",
        windowStart: minute, periodSeconds: 60)

    static let log = PlatformEventLog(
        events: [
            PlatformEvent(time: minute + .microseconds(5), kind: .restart, dyno: "web.1", text: ""),
            PlatformEvent(time: minute + .seconds(9), kind: .state, dyno: "web.1", text: "starting -> up"),
            PlatformEvent(time: minute + .seconds(2), kind: .start, dyno: "web.1", text: "bundle exec puma ✓"),
        ], overflow: 7)

    @Test("a measurement's event survives a round trip; one without an event stays without")
    func measurementRoundTrip() throws {
        let detail = PlatformEventDetail(kind: .scale, dyno: "", text: "web=3, worker=1")
        let measurement = Measurement(
            type: .platformEvents, owner: "app", processType: "api", metric: "events", time: Self.minute,
            receivedAt: Self.minute + .seconds(1), fields: [], events: ["scale"],
            origin: DrainOrigin(drainID: "d", frameID: "F", lineIndex: 3), platformEvent: detail)
        #expect(try Measurement(wireBytes: measurement.wireBytes) == measurement)
        var plain = measurement
        plain.platformEvent = nil
        #expect(try Measurement(wireBytes: plain.wireBytes).platformEvent == nil)
    }

    @Test("a measurement with an unknown event kind is rejected")
    func unknownMeasurementKind() {
        var writer = ProtobufTestWriter()
        writer.varint(1, Int64(6))
        writer.varint(14, Int64(1))
        writer.string(15, "reboot")
        #expect(throws: WireError.self) { try Measurement(wireBytes: writer.bytes) }
    }

    @Test("a summary's events and overflow survive a round trip, and equal logs give equal bytes")
    func summaryRoundTrip() throws {
        let summary = Summary(
            key: Self.key, version: 12, counts: ["restart": 1, "start": 1, "state": 8], platformEvents: Self.log)
        let decoded = try Summary(wireBytes: summary.wireBytes)
        #expect(decoded == summary)
        #expect(decoded.platformEvents.overflow == 7)
        let reordered = Summary(
            key: Self.key, version: 12, counts: ["state": 8, "start": 1, "restart": 1],
            platformEvents: PlatformEventLog(events: Self.log.events.reversed(), overflow: 7))
        #expect(reordered.wireBytes == summary.wireBytes)
    }

    @Test("a summary of an older writer, without event fields, decodes with an empty log")
    func olderWriter() throws {
        var writer = ProtobufTestWriter()
        writer.varint(1, Int64(4))
        writer.string(2, "app")
        writer.string(3, "web")
        writer.string(4, "errors")
        writer.varint(5, Int64(1_700_000_040))
        writer.varint(6, Int64(60))
        writer.varint(7, Int64(3))
        let summary = try Summary(wireBytes: writer.bytes)
        #expect(summary.platformEvents == .empty)
        #expect(summary.key.type == .dynoErrors)
    }

    @Test("event arrays of different lengths or an unknown kind are rejected")
    func malformedEvents() {
        var short = ProtobufTestWriter()
        short.varint(1, Int64(6))
        short.varint(6, Int64(60))
        short.packedVarints(17, [1, 2])
        short.string(18, "deploy")
        short.string(18, "deploy")
        short.string(19, "")
        short.string(20, "")
        short.string(20, "")
        #expect(throws: WireError.self) { try Summary(wireBytes: short.bytes) }
        var unknown = ProtobufTestWriter()
        unknown.varint(1, Int64(6))
        unknown.varint(6, Int64(60))
        unknown.packedVarints(17, [1])
        unknown.string(18, "reboot")
        unknown.string(19, "")
        unknown.string(20, "")
        #expect(throws: WireError.self) { try Summary(wireBytes: unknown.bytes) }
    }
}
