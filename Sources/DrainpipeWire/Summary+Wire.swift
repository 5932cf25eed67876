// Summary ↔ drainpipe.v1.Summary (Sources/CWireSchema/proto/drainpipe/v1/summary.proto).
//
// Invariants: every Drainpipe__V1__Summary this file unpacks is freed by the `defer` right after its nil check, and
// every value is copied into Swift before that; a message being packed points only at `WireArena` memory, which
// outlives the `…__pack` call. Fields and counts are written in sorted name order, so equal summaries encode to
// equal bytes.
internal import CWireSchema
import DrainpipeCore

extension Summary {
    /// Decodes a summary from its `drainpipe.v1.Summary` protobuf bytes.
    ///
    /// - Throws: `WireError` when the bytes do not parse, the type is unknown, parallel arrays differ in length,
    ///   a name repeats, a string is not UTF-8, the window start overflows `EventTime`, the period is not
    ///   positive, the sketch bytes are not `QuantileSketch.encode`'s format, or an event kind is unknown.
    package init(wireBytes: [UInt8]) throws(WireError) {
        let decoder = WireDecoder(message: "Summary", byteCount: wireBytes.count)
        let unpacked = wireUnpack(wireBytes) { drainpipe__v1__summary__unpack(nil, $0, $1) }
        guard let message = unpacked else { throw decoder.malformed }
        defer { drainpipe__v1__summary__free_unpacked(message, nil) }
        try self.init(copying: message.pointee, with: decoder)
    }

    /// The `drainpipe.v1.Summary` protobuf bytes of this summary, identical for equal summaries.
    ///
    /// Fields and counts go out sorted by name. Names are written as their own code points, so two names Swift
    /// treats as equal (`"\u{E9}"`, `"e\u{301}"`) give different bytes. The window start is written in whole
    /// seconds (rounded down), as aggregator windows always are.
    package var wireBytes: [UInt8] {
        let sortedFields = fields.sorted { $0.key < $1.key }
        let fieldNames = sortedFields.map(\.key)
        let statistics = sortedFields.map(\.value)
        let sortedCounts = counts.sorted { $0.key < $1.key }
        return withWireArena { arena in
            var message = Drainpipe__V1__Summary()
            drainpipe__v1__summary__init(&message)
            message.type = Drainpipe__V1__MeasurementType(rawValue: UInt32(bitPattern: key.type.wireNumber))
            message.owner = arena.cString(key.owner)
            message.process_type = arena.cString(key.processType)
            message.metric = arena.cString(key.metric)
            message.window_start_seconds = key.windowStart.secondsSinceEpoch
            message.period_seconds = key.periodSeconds
            message.version = version
            message.n_field_names = fieldNames.count
            message.field_names = arena.cStrings(fieldNames)
            message.n_counts = statistics.count
            message.counts = arena.array(statistics.map(\.count))
            message.n_sums = statistics.count
            message.sums = arena.array(statistics.map(\.sum))
            message.n_sums_of_squares = statistics.count
            message.sums_of_squares = arena.array(statistics.map(\.sumOfSquares))
            message.n_minimums = statistics.count
            message.minimums = arena.array(statistics.map(\.minimum))
            message.n_maximums = statistics.count
            message.maximums = arena.array(statistics.map(\.maximum))
            message.n_count_names = sortedCounts.count
            message.count_names = arena.cStrings(sortedCounts.map(\.key))
            message.n_count_values = sortedCounts.count
            message.count_values = arena.array(sortedCounts.map(\.value))
            let sketchBytes = QuantileSketch.encode(sketches)
            message.sketch = ProtobufCBinaryData(len: sketchBytes.count, data: arena.array(sketchBytes))
            let events = platformEvents.events
            message.n_event_times_micros = events.count
            message.event_times_micros = arena.array(events.map(\.time.microsecondsSinceEpoch))
            message.n_event_kinds = events.count
            message.event_kinds = arena.cStrings(events.map(\.kind.rawValue))
            message.n_event_dynos = events.count
            message.event_dynos = arena.cStrings(events.map(\.dyno))
            message.n_event_texts = events.count
            message.event_texts = arena.cStrings(events.map(\.text))
            message.events_overflow = platformEvents.overflow
            return wirePacked(size: drainpipe__v1__summary__get_packed_size(&message)) {
                drainpipe__v1__summary__pack(&message, $0)
            }
        }
    }

    private init(copying message: Drainpipe__V1__Summary, with decoder: WireDecoder) throws(WireError) {
        // Whole seconds whose microseconds, and `EventTime.secondsSinceEpoch` of those, cannot overflow.
        let limit = (Int64.max - 999_999) / 1_000_000
        guard (-limit...limit).contains(message.window_start_seconds) else {
            throw decoder.outOfRange(field: "window_start_seconds")
        }
        guard message.period_seconds > 0 else { throw decoder.outOfRange(field: "period_seconds") }
        let key = SeriesKey(
            type: try decoder.measurementType(rawValue: message.type.rawValue),
            owner: try decoder.string(message.owner, field: "owner"),
            processType: try decoder.string(message.process_type, field: "process_type"),
            metric: try decoder.string(message.metric, field: "metric"),
            windowStart: EventTime(secondsSinceEpoch: message.window_start_seconds),
            periodSeconds: message.period_seconds)

        let fieldNames = try decoder.strings(message.field_names, count: message.n_field_names, field: "field_names")
        let fieldCount = fieldNames.count
        let counts = try decoder.values(
            message.counts, count: message.n_counts, field: "counts", parallelTo: fieldCount)
        let sums = try decoder.values(message.sums, count: message.n_sums, field: "sums", parallelTo: fieldCount)
        let sumsOfSquares = try decoder.values(
            message.sums_of_squares, count: message.n_sums_of_squares, field: "sums_of_squares", parallelTo: fieldCount)
        let minimums = try decoder.values(
            message.minimums, count: message.n_minimums, field: "minimums", parallelTo: fieldCount)
        let maximums = try decoder.values(
            message.maximums, count: message.n_maximums, field: "maximums", parallelTo: fieldCount)
        var fields: [String: FieldStatistics] = [:]
        fields.reserveCapacity(fieldCount)
        for index in 0..<fieldCount {
            let statistics = FieldStatistics(
                count: counts[index], sum: sums[index], sumOfSquares: sumsOfSquares[index],
                minimum: minimums[index], maximum: maximums[index])
            guard fields.updateValue(statistics, forKey: fieldNames[index]) == nil else {
                throw decoder.duplicateName(field: "field_names")
            }
        }

        let countNames = try decoder.strings(message.count_names, count: message.n_count_names, field: "count_names")
        let countValues = try decoder.values(
            message.count_values, count: message.n_count_values, field: "count_values", parallelTo: countNames.count)
        var eventCounts: [String: UInt64] = [:]
        eventCounts.reserveCapacity(countNames.count)
        for (name, value) in zip(countNames, countValues) {
            guard eventCounts.updateValue(value, forKey: name) == nil else {
                throw decoder.duplicateName(field: "count_names")
            }
        }

        let sketchBytes =
            message.sketch.len == 0
            ? [] : Array(UnsafeBufferPointer(start: message.sketch.data, count: message.sketch.len))
        guard let sketches = QuantileSketch.decode(sketchBytes) else { throw decoder.malformed }

        self.init(
            key: key, version: message.version, fields: fields, counts: eventCounts, sketches: sketches,
            platformEvents: try Self.platformEvents(copying: message, with: decoder))
    }

    /// The event log of `message`: four parallel arrays and the overflow. The log keeps its own order and bound, so
    /// a message listing events out of order or too many decodes to the log a merge of those events would give.
    private static func platformEvents(
        copying message: Drainpipe__V1__Summary, with decoder: WireDecoder
    ) throws(WireError) -> PlatformEventLog {
        let times = try decoder.values(
            message.event_times_micros, count: message.n_event_times_micros, field: "event_times_micros",
            parallelTo: message.n_event_times_micros)
        let kinds = try decoder.strings(message.event_kinds, count: message.n_event_kinds, field: "event_kinds")
        let dynos = try decoder.strings(message.event_dynos, count: message.n_event_dynos, field: "event_dynos")
        let texts = try decoder.strings(message.event_texts, count: message.n_event_texts, field: "event_texts")
        for (field, count) in [
            ("event_kinds", kinds.count), ("event_dynos", dynos.count), ("event_texts", texts.count),
        ]
        where count != times.count {
            throw .malformedParallelArrays(
                message: decoder.message, byteCount: decoder.byteCount, field: field, count: count,
                expected: times.count)
        }
        var events: [PlatformEvent] = []
        events.reserveCapacity(times.count)
        for index in times.indices {
            guard let kind = PlatformEventKind(rawValue: kinds[index]) else {
                throw decoder.outOfRange(field: "event_kinds")
            }
            events.append(
                PlatformEvent(
                    time: EventTime(microsecondsSinceEpoch: times[index]), kind: kind, dyno: dynos[index],
                    text: texts[index]))
        }
        return PlatformEventLog(events: events, overflow: message.events_overflow)
    }
}
