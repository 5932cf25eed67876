import Testing

@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("MeasurementBatch wire encoding (raw wire version 2)")
struct MeasurementBatchWireTests {
    static let received = EventTime(microsecondsSinceEpoch: 1_700_000_000_200_000)

    /// Router measurements of two owners and process types: with and without origins, events (repeated), fields in
    /// different orders and counts, and times before and after the received time.
    static let routerBatch: [Measurement] = (0..<12).map(routerMeasurement)

    static func routerMeasurement(_ index: Int) -> Measurement {
        let owner = index % 5 == 0 ? "app-b" : "app-a"
        let processType = index % 3 == 0 ? "worker" : "web"
        let time: EventTime = received + .milliseconds(Int64(index * 137 - 900))
        var fields = [
            MeasurementField(name: "connect_ms", value: 1), MeasurementField(name: "service_ms", value: 0.5),
            MeasurementField(name: "bytes", value: Double(index * 1_000)),
        ]
        if index % 4 == 0 {
            fields = [
                MeasurementField(name: "service_ms", value: Double(index)), MeasurementField(name: "bytes", value: 7),
            ]
        }
        let events = index % 2 == 0 ? ["status_2xx"] : ["status_5xx", "H12", "H12"]
        let origin: DrainOrigin? =
            index % 6 == 5 ? nil : DrainOrigin(drainID: "d.1", frameID: "F\(index / 4)", lineIndex: UInt32(index))
        return Measurement(
            type: .routerRequests, owner: owner, processType: processType, metric: "router", time: time,
            receivedAt: received, fields: fields, events: events, origin: origin)
    }

    static func roundTrip(_ measurements: [Measurement]) throws -> [Measurement] {
        let first = try #require(measurements.first)
        return try MeasurementBatchWire.decode(
            MeasurementBatchWire.encode(measurements, type: first.type, receivedAt: first.receivedAt))
    }

    @Test("a batch of router measurements survives a round trip in order")
    func routerRoundTrip() throws {
        #expect(try Self.roundTrip(Self.routerBatch) == Self.routerBatch)
    }

    @Test("platform events keep their measurements, kinds, dynos and texts; the others carry none")
    func platformEventsRoundTrip() throws {
        let batch = PlatformEventKind.allCases.enumerated().map { index, kind -> Measurement in
            let dyno = kind.isAppWide ? "" : "web.\(index)"
            let detail: PlatformEventDetail? =
                index % 3 == 1 ? nil : PlatformEventDetail(kind: kind, dyno: dyno, text: "v\(index)")
            let time: EventTime = Self.received - .seconds(Int64(index))
            return Measurement(
                type: .platformEvents, owner: "app-a", processType: kind.isAppWide ? "api" : "web", metric: "events",
                time: time, receivedAt: Self.received, fields: [], events: [kind.rawValue],
                origin: DrainOrigin(drainID: "d", frameID: "F", lineIndex: UInt32(index)), platformEvent: detail)
        }
        #expect(try Self.roundTrip(batch) == batch)
    }

    @Test("a custom metric with a negative, huge and NUL-free value and an empty owner survives")
    func customMetricRoundTrip() throws {
        let batch = [-1.5e300, 0, 42].map { value in
            Measurement(
                type: .customMetrics, owner: "", processType: "prod.us-east.checkout",
                metric: "prod.us-east.checkout.app.h1.latency_ms", time: Self.received, receivedAt: Self.received,
                fields: [MeasurementField(name: "value", value: value)])
        }
        #expect(try Self.roundTrip(batch) == batch)
    }

    @Test("strings are stored once: a batch is less than half the size of its measurements one message each")
    func sharesStrings() {
        let batch = Self.routerBatch + Self.routerBatch + Self.routerBatch
        let batchBytes = MeasurementBatchWire.encode(batch, type: .routerRequests, receivedAt: Self.received).count
        let singleBytes = batch.reduce(0) { $0 + $1.wireBytes.count }
        #expect(batchBytes * 2 < singleBytes, "\(batchBytes) bytes batched, \(singleBytes) one message each")
        #expect(batchBytes <= batch.reduce(0) { $0 + MeasurementBatchWire.estimatedBytes(of: $1) })
    }

    // MARK: - Rejected input

    /// A valid two-measurement batch's fields, to break one at a time.
    static func validBatch(owners: [UInt64] = [0, 1], metrics: [UInt64] = [2, 2]) -> ProtobufTestWriter {
        var writer = ProtobufTestWriter()
        writer.varint(1, UInt64(2))
        writer.varint(2, Int64(1_700_000_000_000_000))
        for string in ["app-a", "app-b", "load_avg", "web", "load_avg_1m", "deploy"] { writer.string(3, string) }
        writer.packedVarints(4, owners)
        writer.packedVarints(5, [3, 3])
        writer.packedVarints(6, metrics)
        writer.packedVarints(7, [0, 0])
        writer.packedVarints(8, [1, 1])
        writer.packedVarints(9, [0, 0])
        writer.packedVarints(10, [0, 0])
        writer.packedVarints(11, [0, 0])
        writer.packedVarints(12, [0, 0])
        writer.packedVarints(13, [4, 4])
        writer.packedDoubles(14, [0.5, 1.5])
        return writer
    }

    @Test("the hand-written batch the rejection tests break decodes when intact")
    func validBatchDecodes() throws {
        let measurements = try MeasurementBatchWire.decode(Self.validBatch().bytes)
        #expect(measurements.map(\.owner) == ["app-a", "app-b"])
        #expect(
            measurements.map(\.fields) == [
                [MeasurementField(name: "load_avg_1m", value: 0.5)],
                [MeasurementField(name: "load_avg_1m", value: 1.5)],
            ])
    }

    @Test("a string index past the strings throws valueOutOfRange naming the column")
    func indexOutOfRange() {
        let writer = Self.validBatch(metrics: [2, 6])
        #expect(
            throws: WireError.valueOutOfRange(
                message: "MeasurementBatch", byteCount: writer.bytes.count, field: "metrics")
        ) {
            try MeasurementBatchWire.decode(writer.bytes)
        }
    }

    @Test("a column shorter than the measurements throws malformedParallelArrays")
    func shortColumn() {
        let writer = Self.validBatch(metrics: [2])
        #expect(
            throws: WireError.malformedParallelArrays(
                message: "MeasurementBatch", byteCount: writer.bytes.count, field: "metrics", count: 1, expected: 2)
        ) {
            try MeasurementBatchWire.decode(writer.bytes)
        }
    }

    @Test("field values that do not add up to the field counts throw malformedParallelArrays")
    func fieldCountsDisagree() {
        var writer = Self.validBatch()
        writer.packedDoubles(14, [2.5])
        #expect(
            throws: WireError.malformedParallelArrays(
                message: "MeasurementBatch", byteCount: writer.bytes.count, field: "field_values", count: 3,
                expected: 2)
        ) {
            try MeasurementBatchWire.decode(writer.bytes)
        }
    }

    @Test("an unknown type throws unknownMeasurementType; bytes that are not protobuf throw malformed")
    func unknownTypeAndGarbage() {
        var unknown = ProtobufTestWriter()
        unknown.varint(1, UInt64(99))
        #expect(
            throws: WireError.unknownMeasurementType(
                message: "MeasurementBatch", byteCount: unknown.bytes.count, wireNumber: 99)
        ) {
            try MeasurementBatchWire.decode(unknown.bytes)
        }
        let garbage: [UInt8] = [0x0A, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: WireError.malformed(message: "MeasurementBatch", byteCount: garbage.count)) {
            try MeasurementBatchWire.decode(garbage)
        }
        #expect(
            WireError.malformed(message: "MeasurementBatch", byteCount: 5).description.contains(
                "drainpipe.v2.MeasurementBatch of 5 bytes"))
    }

    @Test("a platform event position out of order throws valueOutOfRange")
    func platformEventOutOfOrder() {
        var writer = Self.validBatch()
        writer.packedVarints(16, [1, 0])
        writer.packedVarints(17, [5, 5])
        writer.packedVarints(18, [0, 0])
        writer.packedVarints(19, [0, 0])
        #expect(
            throws: WireError.valueOutOfRange(
                message: "MeasurementBatch", byteCount: writer.bytes.count, field: "platform_event_positions")
        ) {
            try MeasurementBatchWire.decode(writer.bytes)
        }
    }
}
