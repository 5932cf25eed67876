import Testing

@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("Measurement wire encoding")
struct MeasurementWireTests {
    static let sample = Measurement(
        type: .dynoLoad,
        owner: "0f4c1a8e-3b7d-4e2a-9c61-5d8f2b7a1e90",
        processType: "web",
        metric: "load_avg",
        time: EventTime(microsecondsSinceEpoch: 1_700_000_000_123_456),
        receivedAt: EventTime(microsecondsSinceEpoch: 1_700_000_000_200_000),
        fields: [
            MeasurementField(name: "load_avg_1m", value: 0.42),
            MeasurementField(name: "load_avg_5m", value: 0.31),
            MeasurementField(name: "load_avg_15m", value: 0.2),
        ],
        origin: DrainOrigin(drainID: "d.6f1c7a0e", frameID: "frame-9", lineIndex: 17))

    static func decoded(_ measurement: Measurement) throws -> Measurement {
        try Measurement(wireBytes: measurement.wireBytes)
    }

    // MARK: - Round trips

    @Test("a measurement with an origin survives a round trip")
    func roundTripWithOrigin() throws {
        #expect(try Self.decoded(Self.sample) == Self.sample)
    }

    @Test("events survive a round trip in order, repeats included")
    func eventsRoundTrip() throws {
        var measurement = Self.sample
        measurement.type = .routerRequests
        measurement.events = ["status_5xx", "H12", "method_GET", "H12"]
        #expect(try Self.decoded(measurement).events == ["status_5xx", "H12", "method_GET", "H12"])
    }

    @Test("a measurement without an origin decodes without one")
    func roundTripWithoutOrigin() throws {
        var measurement = Self.sample
        measurement.origin = nil
        #expect(try Self.decoded(measurement) == measurement)
    }

    @Test("an origin whose parts are all empty or zero is still present")
    func emptyOriginIsKept() throws {
        var measurement = Self.sample
        measurement.origin = DrainOrigin(drainID: "", frameID: "", lineIndex: 0)
        #expect(try Self.decoded(measurement).origin == measurement.origin)
    }

    @Test("every measurement type survives a round trip", arguments: MeasurementType.allCases)
    func everyType(type: MeasurementType) throws {
        var measurement = Self.sample
        measurement.type = type
        #expect(try Self.decoded(measurement).type == type)
    }

    @Test("non-ASCII and empty strings survive a round trip")
    func unicodeAndEmptyStrings() throws {
        let measurement = Measurement(
            type: .customMetrics, owner: "", processType: "wörker", metric: "メモリ.使用量",
            time: EventTime(microsecondsSinceEpoch: 0), receivedAt: EventTime(microsecondsSinceEpoch: 0),
            fields: [
                MeasurementField(name: "", value: 1), MeasurementField(name: "😀 latency", value: 2),
                MeasurementField(name: "e\u{301}", value: 3),
            ],
            origin: DrainOrigin(drainID: "ドレイン", frameID: "", lineIndex: UInt32.max))
        #expect(try Self.decoded(measurement) == measurement)
    }

    @Test("a measurement without fields survives a round trip")
    func noFields() throws {
        var measurement = Self.sample
        measurement.fields = []
        #expect(try Self.decoded(measurement) == measurement)
    }

    @Test("thousands of fields keep their order, duplicates included")
    func manyFields() throws {
        var measurement = Self.sample
        measurement.fields = (0..<5_000).map { MeasurementField(name: "field_\($0 % 4_000)", value: Double($0) / 7) }
        #expect(try Self.decoded(measurement) == measurement)
    }

    @Test(
        "extreme doubles keep their exact bits",
        arguments: [
            -0.0, 0.0, 1e308, -1e308, Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude,
            Double.leastNonzeroMagnitude, -Double.leastNonzeroMagnitude, Double.leastNormalMagnitude / 3,
            Double.leastNormalMagnitude, Double.infinity, -Double.infinity, Double.nan, -Double.signalingNaN,
        ])
    func extremeDoubles(value: Double) throws {
        var measurement = Self.sample
        measurement.fields = [MeasurementField(name: "value", value: value)]
        let fields = try Self.decoded(measurement).fields
        #expect(fields.map(\.value.bitPattern) == [value.bitPattern])
    }

    @Test("Int64 extremes survive as times", arguments: [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max])
    func extremeTimes(micros: Int64) throws {
        var measurement = Self.sample
        measurement.time = EventTime(microsecondsSinceEpoch: micros)
        measurement.receivedAt = EventTime(microsecondsSinceEpoch: ~micros)
        #expect(try Self.decoded(measurement) == measurement)
    }

    // MARK: - Determinism and the schema contract

    @Test("encoding is deterministic and stable across a decode")
    func deterministic() throws {
        let bytes = Self.sample.wireBytes
        #expect(Self.sample.wireBytes == bytes)
        #expect(try Measurement(wireBytes: bytes).wireBytes == bytes)
    }

    @Test("the bytes follow measurement.proto's field numbers exactly")
    func goldenBytes() throws {
        var writer = ProtobufTestWriter()
        writer.varint(1, UInt64(2))  // type = DYNO_LOAD
        writer.string(2, Self.sample.owner)
        writer.string(3, "web")
        writer.string(4, "load_avg")
        writer.varint(5, Int64(1_700_000_000_123_456))
        writer.varint(6, Int64(1_700_000_000_200_000))
        writer.string(7, "load_avg_1m")
        writer.string(7, "load_avg_5m")
        writer.string(7, "load_avg_15m")
        writer.packedDoubles(8, [0.42, 0.31, 0.2])
        writer.varint(9, UInt64(1))  // has_origin
        writer.string(10, "d.6f1c7a0e")
        writer.string(11, "frame-9")
        writer.varint(12, UInt64(17))
        #expect(Self.sample.wireBytes == writer.bytes)
        #expect(try Measurement(wireBytes: writer.bytes) == Self.sample)
    }

    @Test("unpacked repeated doubles, as older writers may send, decode too")
    func unpackedDoubles() throws {
        var fixed = ProtobufTestWriter()
        fixed.varint(1, UInt64(5))
        fixed.string(7, "a")
        fixed.string(7, "b")
        var bytes = fixed.bytes
        for value in [1.5, -2.5] {
            bytes.append(8 << 3 | 1)  // field 8, wire type fixed64
            bytes += (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> ($0 * 8)) }
        }
        let measurement = try Measurement(wireBytes: bytes)
        #expect(
            measurement.fields == [MeasurementField(name: "a", value: 1.5), MeasurementField(name: "b", value: -2.5)])
    }

    // MARK: - Rejected input

    @Test("mismatched field_names and field_values throw malformedParallelArrays")
    func mismatchedParallelArrays() {
        var writer = ProtobufTestWriter()
        writer.varint(1, UInt64(5))
        writer.string(7, "a")
        writer.string(7, "b")
        writer.packedDoubles(8, [1])
        #expect(
            throws: WireError.malformedParallelArrays(
                message: "Measurement", byteCount: writer.bytes.count, field: "field_values", count: 1, expected: 2)
        ) {
            try Measurement(wireBytes: writer.bytes)
        }
    }

    @Test("values without names throw malformedParallelArrays")
    func valuesWithoutNames() {
        var writer = ProtobufTestWriter()
        writer.varint(1, UInt64(5))
        writer.packedDoubles(8, [1, 2])
        #expect(
            throws: WireError.malformedParallelArrays(
                message: "Measurement", byteCount: writer.bytes.count, field: "field_values", count: 2, expected: 0)
        ) {
            try Measurement(wireBytes: writer.bytes)
        }
    }

    @Test("an unspecified or unknown type throws unknownMeasurementType", arguments: [Int64(0), 7, 99, -1])
    func unknownType(wireNumber: Int64) {
        var writer = ProtobufTestWriter()
        writer.varint(1, wireNumber)
        writer.string(2, "owner")
        #expect(
            throws: WireError.unknownMeasurementType(
                message: "Measurement", byteCount: writer.bytes.count, wireNumber: Int32(wireNumber))
        ) {
            try Measurement(wireBytes: writer.bytes)
        }
    }

    @Test("empty input is a message without a type")
    func emptyInput() {
        #expect(throws: WireError.unknownMeasurementType(message: "Measurement", byteCount: 0, wireNumber: 0)) {
            try Measurement(wireBytes: [])
        }
    }

    @Test(
        "a string that is not UTF-8 throws invalidUTF8 naming the field",
        arguments: [(2, "owner"), (3, "process_type"), (4, "metric"), (7, "field_names"), (10, "drain_id")])
    func invalidUTF8(field: Int, name: String) {
        var writer = ProtobufTestWriter()
        writer.varint(1, UInt64(1))
        writer.varint(9, UInt64(1))
        writer.lengthDelimited(field, [0x61, 0xC3, 0x28])  // a truncated two-byte sequence
        if field == 7 { writer.packedDoubles(8, [1]) }
        #expect(throws: WireError.invalidUTF8(message: "Measurement", byteCount: writer.bytes.count, field: name)) {
            try Measurement(wireBytes: writer.bytes)
        }
    }

    @Test(
        "bytes protobuf-c cannot parse throw malformed",
        arguments: [
            [0xFF],  // field 31, wire type 7 (invalid)
            [0x08, 0x80],  // truncated varint
            [0x12, 0x7F, 0x61],  // string longer than the input
            [0x12],  // tag without a length
            [0x11, 0, 0, 0],  // truncated fixed64 for field 2 with the wrong wire type
            [0x42, 0x03, 0, 0, 0],  // packed doubles not a multiple of eight bytes
            [0x0A, 0x01, 0x41],  // type sent as length-delimited
        ] as [[UInt8]])
    func unparsable(bytes: [UInt8]) {
        #expect(throws: WireError.malformed(message: "Measurement", byteCount: bytes.count)) {
            try Measurement(wireBytes: bytes)
        }
    }

    @Test("every truncation of a valid encoding decodes or throws, never crashes")
    func truncations() throws {
        let bytes = Self.sample.wireBytes
        var accepted = 0
        for length in 0..<bytes.count {
            if let measurement = try? Measurement(wireBytes: Array(bytes.prefix(length))) {
                accepted += 1
                #expect(try Measurement(wireBytes: measurement.wireBytes) == measurement)
            }
        }
        #expect(accepted < bytes.count)
    }

    @Test("thousands of seeded random inputs decode or throw, never crash")
    func randomBytes() throws {
        var generator = SplitMix64(seed: 0x5EED_0001)
        let valid = Self.sample.wireBytes
        var thrown = 0
        for round in 0..<4_000 {
            var bytes: [UInt8]
            if round.isMultiple(of: 2) {
                bytes = (0..<Int.random(in: 0...96, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            }
            do {
                let measurement = try Measurement(wireBytes: bytes)
                #expect(try Measurement(wireBytes: measurement.wireBytes).wireBytes == measurement.wireBytes)
            } catch {
                thrown += 1
            }
        }
        #expect(thrown > 2_000)
    }
}
