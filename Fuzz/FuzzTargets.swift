// libFuzzer entry point for `deploy/fuzz` (FUZZING.md). Compiled by swiftc -sanitize=fuzzer,address together
// with the sources of DrainpipeCore, DrainpipeWire and DrainpipeZlib as one module, so it reaches their `package`
// API. `FUZZ_TARGET` picks what each input feeds; every target must return without trapping on any bytes.
//
// The pointer parameters are libFuzzer's C calling convention; this file is the only unsafe code outside the C
// wrappers, and it lives outside Sources/ because no product links it.

#if canImport(Glibc)
    import Glibc
#endif

/// The target this process fuzzes (`octet-frames`, `drain`, `graphite`, `gzip`, `wire`).
private let target: String = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""

private let receivedAt = EventTime(secondsSinceEpoch: 1_709_647_440)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch target {
    case "octet-frames":
        // Every accepted frame lies inside the body, and frames do not overlap.
        var end = 0
        for step in OctetFrameReader(body: bytes) {
            if case .message(let frame) = step {
                precondition(frame.lowerBound >= end && frame.upperBound <= bytes.count, "frame outside the body")
                end = frame.upperBound
            }
        }
    case "drain":
        let parsed = DrainParser().parse(
            body: bytes, owner: "fuzz", drainID: "fuzz/d", frameID: "f", receivedAt: receivedAt)
        precondition(parsed.measurements.allSatisfy { $0.owner == "fuzz" }, "a measurement of another owner")
    case "graphite":
        let parsed = GraphiteLineParser().parseLines(bytes, receivedAt: receivedAt)
        precondition(parsed.points.allSatisfy { $0.value.isFinite }, "a non-finite datapoint")
    case "gzip":
        if let inflated = try? ZlibInflater.inflateGzip(bytes, limit: 1 << 20) {
            precondition(inflated.count <= 1 << 20, "inflated past the limit")
        }
    case "wire":
        // Whatever decodes re-encodes to bytes that decode to the same value.
        if let measurement = try? Measurement(wireBytes: bytes) {
            precondition((try? Measurement(wireBytes: measurement.wireBytes)) != nil, "a measurement does not re-decode")
        }
        if let summary = try? Summary(wireBytes: bytes) {
            precondition((try? Summary(wireBytes: summary.wireBytes)) != nil, "a summary does not re-decode")
        }
        if let batch = try? MeasurementBatchWire.decode(bytes), let first = batch.first {
            let again = MeasurementBatchWire.encode(batch, type: first.type, receivedAt: first.receivedAt)
            precondition((try? MeasurementBatchWire.decode(again))?.count == batch.count, "a batch does not re-decode")
        }
    default:
        fatalError("set FUZZ_TARGET to octet-frames, drain, graphite, gzip or wire")
    }
    return 0
}

/// `FUZZ_WRITE_SEEDS=<dir>`: writes wire seeds made by the real encoders (a measurement with an origin, a summary
/// with a sketch, a batch of two measurements) before fuzzing starts, so the `wire` corpus starts from valid messages.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: OpaquePointer?, _ argv: OpaquePointer?) -> CInt {
    guard let directory = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    let measurement = Measurement(
        type: .routerRequests, owner: "shop", processType: "web", metric: "router", time: receivedAt,
        receivedAt: receivedAt,
        fields: [MeasurementField(name: "connect_ms", value: 1), MeasurementField(name: "service_ms", value: 48)],
        events: ["H12"], origin: DrainOrigin(drainID: "shop/d.1", frameID: "f-1", lineIndex: 3))
    var sketch = QuantileSketch()
    sketch.add(48)
    let summary = Summary(
        key: SeriesKey(
            type: .routerRequests, owner: "shop", processType: "web", metric: "router",
            windowStart: receivedAt, periodSeconds: 60),
        version: 2, fields: ["service_ms": FieldStatistics(value: 48)], counts: ["H12": 1],
        sketches: ["service_ms": sketch])
    var other = measurement
    other.processType = "worker"
    other.events = []
    other.origin = nil
    let batch = MeasurementBatchWire.encode(
        [measurement, other], type: measurement.type, receivedAt: measurement.receivedAt)
    for (name, bytes) in [("measurement", measurement.wireBytes), ("summary", summary.wireBytes), ("batch", batch)] {
        guard let file = fopen("\(directory)/\(name).bin", "wb") else { continue }
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    return 0
}
