import Testing

@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("MeasurementBatchWriter: the ingress's raw wire version 2 encoder")
struct MeasurementBatchWriterTests {
    static let received = EventTime(microsecondsSinceEpoch: 1_700_000_000_200_000)

    static func written(_ measurements: [Measurement], type: MeasurementType, receivedAt: EventTime) -> [UInt8] {
        var writer = MeasurementBatchWriter(type: type, receivedAt: receivedAt)
        for measurement in measurements { writer.append(measurement) }
        #expect(writer.count == measurements.count)
        return writer.encoded()
    }

    /// Seeded random batches of every type: shared and distinct strings (empty, non-ASCII, long), zero to five
    /// fields and events (names repeating within a measurement), with and without origins and platform events, times
    /// on both sides of the received time, and extreme values.
    static func randomBatch(
        _ random: inout SplitMix64, type: MeasurementType, receivedAt: EventTime, count: Int
    ) -> [Measurement] {
        let vocabulary = [
            "", "web", "worker", "app-a", "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", "status_2xx", "H12", "connect_ms",
            "prod.us-east.checkout.app.host-1.latency_ms", "crème brûlée", "日本語のテキスト", "🚀",
            String(repeating: "long-", count: 60),
        ]
        func string() -> String {
            random.next() % 4 == 0
                ? "s\(random.next() % 1_000)" : vocabulary[Int(random.next() % UInt64(vocabulary.count))]
        }
        let values: [Double] = [0, -0.0, 1, -1.5e300, 1e-300, 42.125, .greatestFiniteMagnitude, 3]
        return (0..<count).map { _ in
            let fields = (0..<Int(random.next() % 6)).map { _ in
                MeasurementField(name: string(), value: values[Int(random.next() % UInt64(values.count))])
            }
            let events = (0..<Int(random.next() % 6)).map { _ in string() }
            let origin: DrainOrigin? =
                random.next() % 5 == 0
                ? nil
                : DrainOrigin(
                    drainID: string(), frameID: string(), lineIndex: UInt32(truncatingIfNeeded: random.next()))
            var detail: PlatformEventDetail?
            if type == .platformEvents, random.next() % 3 != 0 {
                let kinds = PlatformEventKind.allCases
                detail = PlatformEventDetail(
                    kind: kinds[Int(random.next() % UInt64(kinds.count))], dyno: string(), text: string())
            }
            let offset = Int64(truncatingIfNeeded: random.next() % 2_000_000_000_000) - 1_000_000_000_000
            let time =
                random.next() % 7 == 0
                ? receivedAt : EventTime(microsecondsSinceEpoch: receivedAt.microsecondsSinceEpoch + offset)
            return Measurement(
                type: type, owner: string(), processType: string(), metric: string(), time: time,
                receivedAt: receivedAt, fields: fields, events: events, origin: origin, platformEvent: detail)
        }
    }

    @Test("writes the bytes protobuf-c packs, and they decode to the measurements, for seeded random batches")
    func sameBytesAsProtobufC() throws {
        var random = SplitMix64(seed: 0xBA7C4)
        let receivedTimes = [
            Self.received, EventTime(microsecondsSinceEpoch: 0), EventTime(microsecondsSinceEpoch: -5),
        ]
        for round in 0..<300 {
            let type = MeasurementType.allCases[round % MeasurementType.allCases.count]
            let receivedAt = receivedTimes[round % receivedTimes.count]
            let batch = Self.randomBatch(&random, type: type, receivedAt: receivedAt, count: Int(random.next() % 40))
            let written = Self.written(batch, type: type, receivedAt: receivedAt)
            #expect(written == MeasurementBatchWire.encode(batch, type: type, receivedAt: receivedAt), "round \(round)")
            guard !batch.isEmpty else { continue }
            #expect(try MeasurementBatchWire.decode(written) == batch, "round \(round)")
        }
    }

    @Test(
        """
        single-field measurements appended by the numbers of their strings (the Graphite path) give protobuf-c's \
        bytes when the strings are numbered in append(_:)'s order
        """)
    func appendByNumbersIsProtobufC() throws {
        var random = SplitMix64(seed: 0x6EA9)
        for round in 0..<200 {
            let receivedAt = round % 2 == 0 ? Self.received : EventTime(microsecondsSinceEpoch: 0)
            let batch = Self.randomBatch(&random, type: .customMetrics, receivedAt: receivedAt, count: 1 + round % 40)
                .map { measurement in
                    var datapoint = measurement
                    datapoint.fields = [MeasurementField(name: measurement.fields.first?.name ?? "value", value: 2.5)]
                    datapoint.events = []
                    return datapoint
                }
            var writer = MeasurementBatchWriter(type: .customMetrics, receivedAt: receivedAt)
            for measurement in batch {
                let owner = writer.number(of: measurement.owner)
                let processType = writer.number(of: measurement.processType)
                let metric = writer.number(of: measurement.metric)
                let field = writer.number(of: measurement.fields[0].name)
                let origin = measurement.origin.map { origin in
                    MeasurementBatchWriter.NumberedOrigin(
                        drain: writer.number(of: origin.drainID), frame: writer.number(of: origin.frameID),
                        lineIndex: origin.lineIndex)
                }
                writer.append(
                    owner: owner, processType: processType, metric: metric, time: measurement.time, fieldName: field,
                    value: measurement.fields[0].value, origin: origin)
            }
            #expect(writer.count == batch.count)
            let encoded = writer.encoded()
            #expect(encoded == MeasurementBatchWire.encode(batch, type: .customMetrics, receivedAt: receivedAt))
            #expect(try MeasurementBatchWire.decode(encoded) == batch, "round \(round)")
        }
    }

    @Test("a string with a NUL is cut there, as protobuf-c cuts it")
    func cutsAtNul() throws {
        let measurement = Measurement(
            type: .customMetrics, owner: "app\u{0}hidden", processType: "web", metric: "\u{0}", time: Self.received,
            receivedAt: Self.received, fields: [MeasurementField(name: "value", value: 1)])
        let written = Self.written([measurement], type: .customMetrics, receivedAt: Self.received)
        #expect(written == MeasurementBatchWire.encode([measurement], type: .customMetrics, receivedAt: Self.received))
        let decoded = try MeasurementBatchWire.decode(written)
        #expect(decoded.map(\.owner) == ["app"] && decoded.map(\.metric) == [""])
    }

    @Test("a batch of the ingress's router measurements is byte for byte protobuf-c's")
    func routerBatch() {
        let batch = MeasurementBatchWireTests.routerBatch
        #expect(
            Self.written(batch, type: .routerRequests, receivedAt: Self.received)
                == MeasurementBatchWire.encode(batch, type: .routerRequests, receivedAt: Self.received))
    }
}
