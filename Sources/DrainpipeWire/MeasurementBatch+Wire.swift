// [Measurement] ↔ drainpipe.v2.MeasurementBatch (Sources/CWireSchema/proto/drainpipe/v2/measurement_batch.proto).
//
// Invariants: every Drainpipe__V2__MeasurementBatch this file unpacks is freed by the `defer` right after its nil
// check, and every value is copied into Swift before that; a message being packed points only at `WireArena`
// memory, which outlives the `…__pack` call. Each distinct string is copied to C once per batch when packing and
// into Swift once per batch when unpacking; the measurements share the Swift copies.
internal import CWireSchema
import DrainpipeCore

/// The raw-record codec of wire version 2: one `drainpipe.v2.MeasurementBatch` carries many measurements.
package enum MeasurementBatchWire {
    /// The protobuf bytes of `measurements`, which must all have the type `type` and the received time
    /// `receivedAt` (the ingress stamps a whole request with one); they decode in the same order.
    package static func encode(
        _ measurements: some Collection<Measurement>, type: MeasurementType, receivedAt: EventTime
    ) -> [UInt8] {
        var columns = Columns(capacity: measurements.count)
        for measurement in measurements {
            precondition(
                measurement.type == type && measurement.receivedAt == receivedAt,
                "a batch holds measurements of one type and one received time")
            columns.append(measurement, receivedAt: receivedAt)
        }
        return withWireArena { arena in
            var message = Drainpipe__V2__MeasurementBatch()
            drainpipe__v2__measurement_batch__init(&message)
            message.type = Drainpipe__V1__MeasurementType(rawValue: UInt32(bitPattern: type.wireNumber))
            message.received_micros = receivedAt.microsecondsSinceEpoch
            message.n_strings = columns.strings.count
            message.strings = arena.cStrings(columns.strings.values)
            message.n_owners = columns.owners.count
            message.owners = arena.array(columns.owners)
            message.n_process_types = columns.processTypes.count
            message.process_types = arena.array(columns.processTypes)
            message.n_metrics = columns.metrics.count
            message.metrics = arena.array(columns.metrics)
            message.n_time_offsets_micros = columns.timeOffsets.count
            message.time_offsets_micros = arena.array(columns.timeOffsets)
            message.n_field_counts = columns.fieldCounts.count
            message.field_counts = arena.array(columns.fieldCounts)
            message.n_event_counts = columns.eventCounts.count
            message.event_counts = arena.array(columns.eventCounts)
            message.n_origin_drains = columns.originDrains.count
            message.origin_drains = arena.array(columns.originDrains)
            message.n_origin_frames = columns.originFrames.count
            message.origin_frames = arena.array(columns.originFrames)
            message.n_origin_line_indexes = columns.originLineIndexes.count
            message.origin_line_indexes = arena.array(columns.originLineIndexes)
            message.n_field_names = columns.fieldNames.count
            message.field_names = arena.array(columns.fieldNames)
            message.n_field_values = columns.fieldValues.count
            message.field_values = arena.array(columns.fieldValues)
            message.n_event_names = columns.eventNames.count
            message.event_names = arena.array(columns.eventNames)
            message.n_platform_event_positions = columns.platformEventPositions.count
            message.platform_event_positions = arena.array(columns.platformEventPositions)
            message.n_platform_event_kinds = columns.platformEventKinds.count
            message.platform_event_kinds = arena.array(columns.platformEventKinds)
            message.n_platform_event_dynos = columns.platformEventDynos.count
            message.platform_event_dynos = arena.array(columns.platformEventDynos)
            message.n_platform_event_texts = columns.platformEventTexts.count
            message.platform_event_texts = arena.array(columns.platformEventTexts)
            return wirePacked(size: drainpipe__v2__measurement_batch__get_packed_size(&message)) {
                drainpipe__v2__measurement_batch__pack(&message, $0)
            }
        }
    }

    /// The measurements of a `drainpipe.v2.MeasurementBatch`, in their order.
    ///
    /// - Throws: `WireError` when the bytes do not parse, the type is unknown, a column has the wrong number of
    ///   entries, a string index is out of range, a string is not UTF-8, or a platform event's kind is unknown.
    package static func decode(_ wireBytes: [UInt8]) throws(WireError) -> [Measurement] {
        try decodeColumns(wireBytes).measurements
    }

    /// The measurements of a `drainpipe.v2.MeasurementBatch` as the batch's columns, without a `Measurement` each.
    ///
    /// - Throws: `WireError`, exactly when and as `decode` throws.
    package static func decodeColumns(_ wireBytes: [UInt8]) throws(WireError) -> MeasurementColumns {
        let decoder = WireDecoder(message: messageName, byteCount: wireBytes.count)
        let unpacked = wireUnpack(wireBytes) { drainpipe__v2__measurement_batch__unpack(nil, $0, $1) }
        guard let message = unpacked else { throw decoder.malformed }
        defer { drainpipe__v2__measurement_batch__free_unpacked(message, nil) }
        return try columns(copying: message.pointee, with: decoder)
    }

    /// The schema's name of the message, for errors.
    static let messageName = "MeasurementBatch"

    /// An upper bound of the bytes `measurement` adds to a batch, counting its strings as if none were shared.
    package static func estimatedBytes(of measurement: Measurement) -> Int {
        var bytes = 40 + measurement.owner.utf8.count + measurement.processType.utf8.count
        bytes += measurement.metric.utf8.count
        for field in measurement.fields { bytes += 20 + field.name.utf8.count }
        for event in measurement.events { bytes += 10 + event.utf8.count }
        if let origin = measurement.origin { bytes += 30 + origin.drainID.utf8.count + origin.frameID.utf8.count }
        if let detail = measurement.platformEvent {
            bytes += 40 + detail.kind.rawValue.utf8.count + detail.dyno.utf8.count + detail.text.utf8.count
        }
        return bytes
    }

    private static func columns(
        copying message: Drainpipe__V2__MeasurementBatch, with decoder: WireDecoder
    ) throws(WireError) -> MeasurementColumns {
        let type = try decoder.measurementType(rawValue: message.type.rawValue)
        let strings = try decoder.strings(message.strings, count: message.n_strings, field: "strings")
        let count = message.n_owners
        let column = Column(decoder: decoder, count: count, strings: strings.count)
        let owners = try column.indexes(message.owners, count: message.n_owners, field: "owners")
        let processTypes = try column.indexes(
            message.process_types, count: message.n_process_types, field: "process_types")
        let metrics = try column.indexes(message.metrics, count: message.n_metrics, field: "metrics")
        let timeOffsets = try decoder.buffer(
            message.time_offsets_micros, count: message.n_time_offsets_micros, field: "time_offsets_micros",
            parallelTo: count)
        let fieldCounts = try decoder.buffer(
            message.field_counts, count: message.n_field_counts, field: "field_counts", parallelTo: count)
        let eventCounts = try decoder.buffer(
            message.event_counts, count: message.n_event_counts, field: "event_counts", parallelTo: count)
        let drains = try decoder.buffer(
            message.origin_drains, count: message.n_origin_drains, field: "origin_drains", parallelTo: count)
        let frames = try column.indexes(message.origin_frames, count: message.n_origin_frames, field: "origin_frames")
        let lineIndexes = try decoder.buffer(
            message.origin_line_indexes, count: message.n_origin_line_indexes, field: "origin_line_indexes",
            parallelTo: count)
        let fieldTotal = fieldCounts.reduce(0) { $0 + Int($1) }
        let eventTotal = eventCounts.reduce(0) { $0 + Int($1) }
        let concatenated = Column(decoder: decoder, count: fieldTotal, strings: strings.count)
        let fieldNames = try concatenated.indexes(
            message.field_names, count: message.n_field_names, field: "field_names")
        let fieldValues = try decoder.buffer(
            message.field_values, count: message.n_field_values, field: "field_values", parallelTo: fieldTotal)
        let eventNames = try Column(decoder: decoder, count: eventTotal, strings: strings.count).indexes(
            message.event_names, count: message.n_event_names, field: "event_names")
        let platformEvents = try Self.platformEvents(
            copying: message, strings: strings, measurementCount: count, with: decoder)
        for drain in drains where Int(drain) > strings.count { throw decoder.outOfRange(field: "origin_drains") }
        return MeasurementColumns(
            type: type, receivedAt: EventTime(microsecondsSinceEpoch: message.received_micros), strings: strings,
            owners: Array(owners), processTypes: Array(processTypes), metrics: Array(metrics),
            times: timeOffsets.map { EventTime(microsecondsSinceEpoch: message.received_micros &+ $0) },
            fieldCounts: Array(fieldCounts), fieldNames: Array(fieldNames), fieldValues: Array(fieldValues),
            eventCounts: Array(eventCounts), eventNames: Array(eventNames), originDrains: Array(drains),
            originFrames: Array(frames), originLineIndexes: Array(lineIndexes),
            platformEventPositions: platformEvents.map(\.position), platformEvents: platformEvents.map(\.detail))
    }

    /// The platform events of a batch with the positions of their measurements, checked to ascend.
    private static func platformEvents(
        copying message: Drainpipe__V2__MeasurementBatch, strings: [String], measurementCount: Int,
        with decoder: WireDecoder
    ) throws(WireError) -> [(position: Int, detail: PlatformEventDetail)] {
        let positions = try decoder.buffer(
            message.platform_event_positions, count: message.n_platform_event_positions,
            field: "platform_event_positions", parallelTo: message.n_platform_event_positions)
        let column = Column(decoder: decoder, count: positions.count, strings: strings.count)
        let kinds = try column.indexes(
            message.platform_event_kinds, count: message.n_platform_event_kinds, field: "platform_event_kinds")
        let dynos = try column.indexes(
            message.platform_event_dynos, count: message.n_platform_event_dynos, field: "platform_event_dynos")
        let texts = try column.indexes(
            message.platform_event_texts, count: message.n_platform_event_texts, field: "platform_event_texts")
        var events: [(position: Int, detail: PlatformEventDetail)] = []
        var previous = -1
        for index in 0..<positions.count {
            let position = Int(positions[index])
            guard position > previous, position < measurementCount else {
                throw decoder.outOfRange(field: "platform_event_positions")
            }
            previous = position
            guard let kind = PlatformEventKind(rawValue: strings[Int(kinds[index])]) else {
                throw decoder.outOfRange(field: "platform_event_kinds")
            }
            let detail = PlatformEventDetail(
                kind: kind, dyno: strings[Int(dynos[index])], text: strings[Int(texts[index])])
            events.append((position, detail))
        }
        return events
    }

    /// Checks the columns of string indexes that run parallel to one count.
    private struct Column {
        let decoder: WireDecoder
        let count: Int
        let strings: Int

        /// The entries of a column of string indexes: `count` of them, each below the number of strings.
        func indexes(
            _ pointer: UnsafeMutablePointer<UInt32>?, count actual: Int, field: String
        ) throws(WireError) -> UnsafeBufferPointer<UInt32> {
            let entries = try decoder.buffer(pointer, count: actual, field: field, parallelTo: count)
            for entry in entries where Int(entry) >= strings { throw decoder.outOfRange(field: field) }
            return entries
        }
    }

    /// The columns of a batch being built, with each distinct string numbered once.
    private struct Columns {
        var strings = StringTable()
        var owners: [UInt32] = []
        var processTypes: [UInt32] = []
        var metrics: [UInt32] = []
        var timeOffsets: [Int64] = []
        var fieldCounts: [UInt32] = []
        var eventCounts: [UInt32] = []
        var originDrains: [UInt32] = []
        var originFrames: [UInt32] = []
        var originLineIndexes: [UInt32] = []
        var fieldNames: [UInt32] = []
        var fieldValues: [Double] = []
        var eventNames: [UInt32] = []
        var platformEventPositions: [UInt32] = []
        var platformEventKinds: [UInt32] = []
        var platformEventDynos: [UInt32] = []
        var platformEventTexts: [UInt32] = []
        // The previous measurement's strings and their numbers, column by column: consecutive measurements mostly
        // repeat them, and comparing equal strings is cheaper than hashing them.
        private var previousOwner = RecentString()
        private var previousProcessType = RecentString()
        private var previousMetric = RecentString()
        private var previousDrain = RecentString()
        private var previousFrame = RecentString()
        private var previousFieldNames: [RecentString] = []

        init(capacity: Int) {
            owners.reserveCapacity(capacity)
            processTypes.reserveCapacity(capacity)
            metrics.reserveCapacity(capacity)
            timeOffsets.reserveCapacity(capacity)
            fieldCounts.reserveCapacity(capacity)
            eventCounts.reserveCapacity(capacity)
            originDrains.reserveCapacity(capacity)
            originFrames.reserveCapacity(capacity)
            originLineIndexes.reserveCapacity(capacity)
        }

        mutating func append(_ measurement: Measurement, receivedAt: EventTime) {
            owners.append(previousOwner.number(of: measurement.owner, in: &strings))
            processTypes.append(previousProcessType.number(of: measurement.processType, in: &strings))
            metrics.append(previousMetric.number(of: measurement.metric, in: &strings))
            timeOffsets.append(measurement.time.microsecondsSinceEpoch &- receivedAt.microsecondsSinceEpoch)
            fieldCounts.append(UInt32(measurement.fields.count))
            for (position, field) in measurement.fields.enumerated() {
                if position == previousFieldNames.count { previousFieldNames.append(RecentString()) }
                fieldNames.append(previousFieldNames[position].number(of: field.name, in: &strings))
                fieldValues.append(field.value)
            }
            eventCounts.append(UInt32(measurement.events.count))
            for event in measurement.events { eventNames.append(strings.number(of: event)) }
            if let origin = measurement.origin {
                originDrains.append(previousDrain.number(of: origin.drainID, in: &strings) + 1)
                originFrames.append(previousFrame.number(of: origin.frameID, in: &strings))
                originLineIndexes.append(origin.lineIndex)
            } else {
                originDrains.append(0)
                originFrames.append(0)
                originLineIndexes.append(0)
            }
            if let detail = measurement.platformEvent {
                platformEventPositions.append(UInt32(owners.count - 1))
                platformEventKinds.append(strings.number(of: detail.kind.rawValue))
                platformEventDynos.append(strings.number(of: detail.dyno))
                platformEventTexts.append(strings.number(of: detail.text))
            }
        }
    }

    /// The string one column held last and its number.
    private struct RecentString {
        private var value: String?
        private var number: UInt32 = 0

        /// The number of `string` in `table`, asking the table only when the column's last string differs.
        mutating func number(of string: String, in table: inout StringTable) -> UInt32 {
            if let value, value == string { return number }
            value = string
            number = table.number(of: string)
            return number
        }
    }

    /// Distinct strings in first-use order, each with its number.
    private struct StringTable {
        private(set) var values: [String] = []
        private var numbers: [String: UInt32] = [:]

        var count: Int { values.count }

        mutating func number(of string: String) -> UInt32 {
            if let known = numbers[string] { return known }
            let number = UInt32(values.count)
            values.append(string)
            numbers[string] = number
            return number
        }
    }
}
