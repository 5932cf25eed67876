import Testing

@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("Summary wire encoding")
struct SummaryWireTests {
    static let key = SeriesKey(
        type: .routerRequests, owner: "0f4c1a8e-3b7d-4e2a-9c61-5d8f2b7a1e90", processType: "web", metric: "router",
        windowStart: EventTime(secondsSinceEpoch: 1_700_000_040), periodSeconds: 60)

    static let sample = Summary(
        key: key,
        version: 4_812,
        fields: [
            "connect_ms": FieldStatistics(count: 3, sum: 3, sumOfSquares: 5, minimum: 0, maximum: 2),
            "service_ms": FieldStatistics(count: 3, sum: 270, sumOfSquares: 30_600, minimum: 48, maximum: 150),
        ],
        counts: ["status_2xx": 2, "H12": 1])

    /// The largest window start, in seconds either side of the epoch, that `EventTime` holds without overflow.
    static let windowStartLimit: Int64 = 9_223_372_036_853

    static func decoded(_ summary: Summary) throws -> Summary {
        try Summary(wireBytes: summary.wireBytes)
    }

    /// The fixed fields of `sample`, written by hand with type ROUTER_REQUESTS.
    static func header(type: Int64 = 1) -> ProtobufTestWriter {
        var writer = ProtobufTestWriter()
        writer.varint(1, type)
        writer.string(2, key.owner)
        writer.string(3, "web")
        writer.string(4, "router")
        writer.varint(5, Int64(1_700_000_040))
        writer.varint(6, Int64(60))
        writer.varint(7, Int64(4_812))
        return writer
    }

    // MARK: - Round trips

    @Test("a summary with fields and counts survives a round trip")
    func roundTrip() throws {
        #expect(try Self.decoded(Self.sample) == Self.sample)
    }

    @Test("a summary without fields or counts survives a round trip")
    func empty() throws {
        let summary = Summary(key: Self.key, version: 0)
        #expect(try Self.decoded(summary) == summary)
    }

    @Test("empty statistics keep their infinite minimum and maximum")
    func emptyStatistics() throws {
        let summary = Summary(key: Self.key, version: 1, fields: ["value": .empty])
        #expect(try Self.decoded(summary) == summary)
    }

    @Test("every measurement type survives a round trip", arguments: MeasurementType.allCases)
    func everyType(type: MeasurementType) throws {
        var summary = Self.sample
        summary.key.type = type
        #expect(try Self.decoded(summary).key.type == type)
    }

    @Test("non-ASCII and empty strings survive a round trip")
    func unicodeAndEmptyStrings() throws {
        let key = SeriesKey(
            type: .customMetrics, owner: "", processType: "", metric: "café.温度 🌡",
            windowStart: EventTime(secondsSinceEpoch: 0), periodSeconds: 1)
        let summary = Summary(
            key: key, version: 1,
            fields: ["": FieldStatistics(value: 1), "größe": FieldStatistics(value: 2)],
            counts: ["": 1, "ошибка": 3, "e\u{301}": 4])
        #expect(try Self.decoded(summary) == summary)
    }

    @Test("hundreds of fields and counts survive a round trip")
    func manyFields() throws {
        var summary = Self.sample
        for index in 0..<700 {
            summary.fields["field_\(index)"] = FieldStatistics(
                count: UInt64(index), sum: Double(index) * 1.5, sumOfSquares: Double(index * index),
                minimum: -Double(index), maximum: Double(index))
            summary.counts["count_\(index)"] = UInt64(index) * 1_000_003
        }
        #expect(try Self.decoded(summary) == summary)
    }

    @Test("extreme doubles and integers keep their exact bits")
    func extremeValues() throws {
        let doubles: [Double] = [
            -0.0, 1e308, -1e308, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude / 3,
            .infinity, -.infinity, .nan,
        ]
        var summary = Summary(key: Self.key, version: Int64.max)
        for (index, value) in doubles.enumerated() {
            summary.fields["f\(index)"] = FieldStatistics(
                count: UInt64.max - UInt64(index), sum: value, sumOfSquares: -value, minimum: value, maximum: value)
        }
        summary.counts = ["max": UInt64.max, "zero": 0]
        let decoded = try Self.decoded(summary)
        let bits = { (summary: Summary) in
            summary.fields.mapValues { [$0.sum, $0.sumOfSquares, $0.minimum, $0.maximum].map(\.bitPattern) }
        }
        #expect(bits(decoded) == bits(summary))
        #expect(decoded.fields.mapValues(\.count) == summary.fields.mapValues(\.count))
        #expect(decoded.counts == summary.counts)
        #expect(decoded.version == Int64.max)
    }

    @Test(
        "versions, periods and window starts at their extremes survive a round trip",
        arguments: [
            (Int64.min, Int32.max, Self.windowStartLimit), (-1, 1, -Self.windowStartLimit), (0, 86_400, -1),
        ])
    func extremeKeys(version: Int64, period: Int32, windowStartSeconds: Int64) throws {
        var summary = Self.sample
        summary.version = version
        summary.key.periodSeconds = period
        summary.key.windowStart = EventTime(secondsSinceEpoch: windowStartSeconds)
        #expect(try Self.decoded(summary) == summary)
    }

    @Test("a window start is written in whole seconds, rounded down")
    func subSecondWindowStart() throws {
        var summary = Self.sample
        summary.key.windowStart = EventTime(microsecondsSinceEpoch: -1_500_000)
        #expect(try Self.decoded(summary).key.windowStart == EventTime(secondsSinceEpoch: -2))
    }

    // MARK: - Determinism and the schema contract

    @Test("equal summaries built in different orders encode to equal bytes")
    func deterministic() throws {
        var forward = Summary(key: Self.key, version: 7)
        var backward = Summary(key: Self.key, version: 7, fields: .init(minimumCapacity: 512))
        let names = (0..<200).map { "field_\($0)" }
        for name in names {
            forward.fields[name] = FieldStatistics(value: Double(name.utf8.count))
            forward.counts[name] = 1
        }
        for name in names.reversed() {
            backward.fields[name] = FieldStatistics(value: Double(name.utf8.count))
            backward.counts[name] = 1
        }
        #expect(forward == backward)
        #expect(forward.wireBytes == backward.wireBytes)
        #expect(try Summary(wireBytes: forward.wireBytes).wireBytes == forward.wireBytes)
    }

    @Test("the bytes follow summary.proto's field numbers, names sorted")
    func goldenBytes() throws {
        var writer = Self.header()
        writer.string(8, "connect_ms")
        writer.string(8, "service_ms")
        writer.packedVarints(9, [3, 3])
        writer.packedDoubles(10, [3, 270])
        writer.packedDoubles(11, [5, 30_600])
        writer.packedDoubles(12, [0, 48])
        writer.packedDoubles(13, [2, 150])
        writer.string(14, "H12")
        writer.string(14, "status_2xx")
        writer.packedVarints(15, [1, 2])
        #expect(Self.sample.wireBytes == writer.bytes)
        #expect(try Summary(wireBytes: writer.bytes) == Self.sample)
    }

    @Test("sketches survive a round trip in field 16")
    func sketchRoundTrip() throws {
        var summary = Self.sample
        var service = QuantileSketch()
        for value in [0.0, 12, 48, 48, 150, 30_000] { service.add(value) }
        summary.sketches = ["service_ms": service, "connect_ms": QuantileSketch()]
        #expect(try Self.decoded(summary) == summary)
        var writer = Self.header()
        writer.lengthDelimited(16, QuantileSketch.encode(summary.sketches))
        #expect(try Summary(wireBytes: writer.bytes).sketches == summary.sketches)
    }

    @Test("sketch bytes of another format throw malformed")
    func foreignSketch() {
        var writer = Self.header()
        writer.lengthDelimited(16, [1, 2, 3])
        #expect(throws: WireError.malformed(message: "Summary", byteCount: writer.bytes.count)) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    // MARK: - Rejected input

    @Test(
        "a statistics array of the wrong length throws malformedParallelArrays",
        arguments: [(9, "counts"), (10, "sums"), (11, "sums_of_squares"), (12, "minimums"), (13, "maximums")])
    func mismatchedStatistics(shortField: Int, name: String) {
        var writer = Self.header()
        writer.string(8, "a")
        writer.string(8, "b")
        for field in 9...13 {
            let count = field == shortField ? 1 : 2
            if field == 9 {
                writer.packedVarints(field, Array(repeating: 1, count: count))
            } else {
                writer.packedDoubles(field, Array(repeating: 1, count: count))
            }
        }
        #expect(
            throws: WireError.malformedParallelArrays(
                message: "Summary", byteCount: writer.bytes.count, field: name, count: 1, expected: 2)
        ) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test("count values without matching names throw malformedParallelArrays")
    func mismatchedCounts() {
        var writer = Self.header()
        writer.string(14, "H12")
        writer.packedVarints(15, [1, 2, 3])
        #expect(
            throws: WireError.malformedParallelArrays(
                message: "Summary", byteCount: writer.bytes.count, field: "count_values", count: 3, expected: 1)
        ) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test("a repeated name throws malformedDuplicateName", arguments: [8, 14])
    func duplicateNames(nameField: Int) {
        var writer = Self.header()
        writer.string(nameField, "same")
        writer.string(nameField, "same")
        if nameField == 8 {
            writer.packedVarints(9, [1, 1])
            for field in 10...13 { writer.packedDoubles(field, [1, 1]) }
        } else {
            writer.packedVarints(15, [1, 1])
        }
        let field = nameField == 8 ? "field_names" : "count_names"
        #expect(
            throws: WireError.malformedDuplicateName(message: "Summary", byteCount: writer.bytes.count, field: field)
        ) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test("names that differ only in Unicode normalization are the same name")
    func canonicallyEquivalentNames() {
        var writer = Self.header()
        writer.string(14, "\u{E9}")
        writer.string(14, "e\u{301}")
        writer.packedVarints(15, [1, 2])
        #expect(
            throws: WireError.malformedDuplicateName(
                message: "Summary", byteCount: writer.bytes.count, field: "count_names")
        ) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test("an unspecified or unknown type throws unknownMeasurementType", arguments: [Int64(0), 7, Int64(Int32.min)])
    func unknownType(wireNumber: Int64) {
        let writer = Self.header(type: wireNumber)
        #expect(
            throws: WireError.unknownMeasurementType(
                message: "Summary", byteCount: writer.bytes.count, wireNumber: Int32(wireNumber))
        ) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test(
        "a window start that overflows EventTime or a period that is not positive throws valueOutOfRange",
        arguments: [
            (5, Self.windowStartLimit + 1, "window_start_seconds"),
            (5, -Self.windowStartLimit - 1, "window_start_seconds"),
            (5, Int64.min, "window_start_seconds"),
            (6, 0, "period_seconds"), (6, -60, "period_seconds"),
        ])
    func outOfRange(field: Int, value: Int64, name: String) {
        var writer = Self.header()
        writer.varint(field, value)  // a later occurrence of a scalar field wins
        #expect(throws: WireError.valueOutOfRange(message: "Summary", byteCount: writer.bytes.count, field: name)) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test(
        "a string that is not UTF-8 throws invalidUTF8 naming the field",
        arguments: [(2, "owner"), (4, "metric"), (14, "count_names")])
    func invalidUTF8(field: Int, name: String) {
        var writer = Self.header()
        writer.lengthDelimited(field, [0xED, 0xA0, 0x80])  // an encoded UTF-16 surrogate
        if field == 14 { writer.packedVarints(15, [1]) }
        #expect(throws: WireError.invalidUTF8(message: "Summary", byteCount: writer.bytes.count, field: name)) {
            try Summary(wireBytes: writer.bytes)
        }
    }

    @Test(
        "bytes protobuf-c cannot parse throw malformed",
        arguments: [[0xFF], [0x28, 0xFF], [0x42, 0x05, 0x61]] as [[UInt8]])
    func unparsable(bytes: [UInt8]) {
        #expect(throws: WireError.malformed(message: "Summary", byteCount: bytes.count)) {
            try Summary(wireBytes: bytes)
        }
    }

    @Test("thousands of seeded random inputs decode or throw, never crash")
    func randomBytes() throws {
        var generator = SplitMix64(seed: 0x5EED_0002)
        let valid = Self.sample.wireBytes
        var thrown = 0
        for round in 0..<4_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int.random(in: 0...128, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            case 1:
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            default:
                bytes = Array(valid.prefix(Int.random(in: 0..<valid.count, using: &generator)))
            }
            do {
                let summary = try Summary(wireBytes: bytes)
                #expect(try Summary(wireBytes: summary.wireBytes).wireBytes == summary.wireBytes)
            } catch {
                thrown += 1
            }
        }
        #expect(thrown > 2_000)
    }
}
