// Builds a drainpipe.v2.MeasurementBatch one measurement at a time and writes its protobuf bytes in Swift, without
// protobuf-c: the ingress's hot path (TopicCatalog.rawRecords), where copying every batch into C memory first and
// keeping the measurements until the batch is complete cost more than the encoding itself.
//
// The bytes are written by `ProtobufBytes` (WireCodec.swift, where the pointer code lives).
//
// Invariant: `encoded()` is byte for byte what `MeasurementBatchWire.encode` (protobuf-c 1.4) packs for the same
// measurements: fields in number order, zero scalars and empty columns left out, repeated scalars packed, strings
// numbered in first-use order and cut at their first NUL, as protobuf-c's `strlen` cuts them. The tests compare both.
import DrainpipeCore

/// One raw wire version 2 batch being filled: the measurements appended so far as columns, ready to encode.
package struct MeasurementBatchWriter: Sendable {
    /// The type of every measurement appended.
    package let type: MeasurementType
    /// The received time of every measurement appended.
    package let receivedAt: EventTime
    /// How many measurements were appended.
    package var count: Int { rows.count }

    private var strings = StringColumn()
    /// The columns every measurement writes one value of, as one row per measurement: one append per measurement
    /// instead of nine, and one array to allocate per batch.
    private var rows: [Row] = []
    private var rowPayloadSizes = RowPayloadSizes()
    private var fieldNames = VarintColumn()
    private var fieldValues: [Double] = []
    private var eventNames = VarintColumn()
    private var platformEventPositions = VarintColumn()
    private var platformEventKinds = VarintColumn()
    private var platformEventDynos = VarintColumn()
    private var platformEventTexts = VarintColumn()
    // The recent strings of each column and their numbers (fields and events by position): consecutive
    // measurements mostly repeat them, and comparing equal strings is cheaper than hashing them.
    private var previousOwner = RecentStrings()
    private var previousProcessType = RecentStrings()
    private var previousMetric = RecentStrings()
    private var previousDrain = RecentStrings()
    private var previousFrame = RecentStrings()
    private var previousFieldNames: [RecentStrings] = []
    private var previousEventNames: [RecentStrings] = []

    /// An empty batch of measurements of `type` received at `receivedAt`, with room for `capacity` measurements
    /// in the columns every measurement (or nearly every one) writes: a typical request's batch at once instead of
    /// growing them 4, 8, 16…, an allocation and a copy each time for a dozen columns. 0 allocates nothing.
    package init(type: MeasurementType, receivedAt: EventTime, reservingCapacity capacity: Int = 32) {
        self.type = type
        self.receivedAt = receivedAt
        guard capacity > 0 else { return }
        rows.reserveCapacity(capacity)
        fieldNames.reserveCapacity(capacity)
        fieldValues.reserveCapacity(capacity)
        strings.reserveCapacity(capacity / 2)
        previousFieldNames.reserveCapacity(8)
        previousEventNames.reserveCapacity(4)
    }

    /// Adds `measurement`, which must have the batch's type and received time, after the ones already appended.
    package mutating func append(_ measurement: Measurement) {
        precondition(
            measurement.type == type && measurement.receivedAt == receivedAt,
            "a batch holds measurements of one type and one received time")
        let position = UInt32(rows.count)
        let owner = previousOwner.number(of: measurement.owner, in: &strings)
        let processType = previousProcessType.number(of: measurement.processType, in: &strings)
        let metric = previousMetric.number(of: measurement.metric, in: &strings)
        for (index, field) in measurement.fields.enumerated() {
            if index == previousFieldNames.count { previousFieldNames.append(RecentStrings()) }
            fieldNames.append(previousFieldNames[index].number(of: field.name, in: &strings))
            fieldValues.append(field.value)
        }
        for (index, event) in measurement.events.enumerated() {
            if index == previousEventNames.count { previousEventNames.append(RecentStrings()) }
            eventNames.append(previousEventNames[index].number(of: event, in: &strings))
        }
        var row = Row(
            owner: owner, processType: processType, metric: metric,
            timeOffset: Self.zigZag(measurement.time.microsecondsSinceEpoch &- receivedAt.microsecondsSinceEpoch),
            fieldCount: UInt32(measurement.fields.count), eventCount: UInt32(measurement.events.count))
        if let origin = measurement.origin {
            row.originDrain = previousDrain.number(of: origin.drainID, in: &strings) + 1
            row.originFrame = previousFrame.number(of: origin.frameID, in: &strings)
            row.originLineIndex = origin.lineIndex
        }
        rowPayloadSizes.add(row)
        rows.append(row)
        if let detail = measurement.platformEvent {
            platformEventPositions.append(position)
            platformEventKinds.append(strings.number(of: detail.kind.rawValue))
            platformEventDynos.append(strings.number(of: detail.dyno))
            platformEventTexts.append(strings.number(of: detail.text))
        }
    }

    /// The number of `string` in the batch's string table, added when new: for a caller that resolves its strings
    /// once and appends with `append(owner:processType:metric:time:fieldName:value:origin:)`. Numbering each
    /// measurement's strings in `append(_:)`'s order (owner, process type, metric, field name, drain, frame) gives
    /// the bytes that appending the measurements gives.
    package mutating func number(of string: String) -> UInt32 {
        strings.number(of: string)
    }

    /// A measurement's origin by the numbers of its strings (`number(of:)`).
    package struct NumberedOrigin: Sendable {
        package var drain: UInt32
        package var frame: UInt32
        package var lineIndex: UInt32

        package init(drain: UInt32, frame: UInt32, lineIndex: UInt32) {
            self.drain = drain
            self.frame = frame
            self.lineIndex = lineIndex
        }
    }

    /// Adds a measurement of one field, without events or platform event (a Graphite datapoint), its strings given
    /// by their numbers (`number(of:)`): the columns `append(_:)` writes for the same measurement.
    package mutating func append(
        owner: UInt32, processType: UInt32, metric: UInt32, time: EventTime, fieldName: UInt32, value: Double,
        origin: NumberedOrigin?
    ) {
        let row = Row(
            owner: owner, processType: processType, metric: metric,
            timeOffset: Self.zigZag(time.microsecondsSinceEpoch &- receivedAt.microsecondsSinceEpoch), fieldCount: 1,
            eventCount: 0, originDrain: origin.map { $0.drain + 1 } ?? 0, originFrame: origin?.frame ?? 0,
            originLineIndex: origin?.lineIndex ?? 0)
        rowPayloadSizes.add(row)
        rows.append(row)
        fieldNames.append(fieldName)
        fieldValues.append(value)
    }

    /// The protobuf bytes of the batch.
    package func encoded() -> [UInt8] {
        let typeNumber = UInt64(bitPattern: Int64(type.wireNumber))
        let receivedMicros = UInt64(bitPattern: receivedAt.microsecondsSinceEpoch)
        // The columns are named one by one, not gathered in arrays: an array of them per batch costs allocations
        // and a reference count per column, as much as encoding a small batch.
        var size = 0
        if typeNumber != 0 { size += ProtobufBytes.tagSize(1) + ProtobufBytes.varintSize(typeNumber) }
        if receivedMicros != 0 { size += ProtobufBytes.tagSize(2) + ProtobufBytes.varintSize(receivedMicros) }
        size += strings.encodedSize
        if !rows.isEmpty { size += rowPayloadSizes.encodedSize }
        size += fieldNames.encodedSize(field: 13)
        if !fieldValues.isEmpty { size += ProtobufBytes.lengthDelimitedSize(field: 14, payload: fieldValues.count * 8) }
        size += eventNames.encodedSize(field: 15) + platformEventPositions.encodedSize(field: 16)
        size += platformEventKinds.encodedSize(field: 17) + platformEventDynos.encodedSize(field: 18)
        size += platformEventTexts.encodedSize(field: 19)
        return wireWritten(size: size) { out in
            if typeNumber != 0 {
                out.tag(1, wireType: 0)
                out.varint(typeNumber)
            }
            if receivedMicros != 0 {
                out.tag(2, wireType: 0)
                out.varint(receivedMicros)
            }
            strings.write(field: 3, to: &out)
            if !rows.isEmpty {
                writeRowColumn(field: 4, payload: rowPayloadSizes.owners, to: &out) { UInt64($0.owner) }
                writeRowColumn(field: 5, payload: rowPayloadSizes.processTypes, to: &out) { UInt64($0.processType) }
                writeRowColumn(field: 6, payload: rowPayloadSizes.metrics, to: &out) { UInt64($0.metric) }
                writeRowColumn(field: 7, payload: rowPayloadSizes.timeOffsets, to: &out) { $0.timeOffset }
                writeRowColumn(field: 8, payload: rowPayloadSizes.fieldCounts, to: &out) { UInt64($0.fieldCount) }
                writeRowColumn(field: 9, payload: rowPayloadSizes.eventCounts, to: &out) { UInt64($0.eventCount) }
                writeRowColumn(field: 10, payload: rowPayloadSizes.originDrains, to: &out) { UInt64($0.originDrain) }
                writeRowColumn(field: 11, payload: rowPayloadSizes.originFrames, to: &out) { UInt64($0.originFrame) }
                writeRowColumn(field: 12, payload: rowPayloadSizes.originLineIndexes, to: &out) {
                    UInt64($0.originLineIndex)
                }
            }
            fieldNames.write(field: 13, to: &out)
            if !fieldValues.isEmpty {
                out.tag(14, wireType: 2)
                out.varint(UInt64(fieldValues.count * 8))
                for value in fieldValues { out.littleEndian(value.bitPattern) }
            }
            eventNames.write(field: 15, to: &out)
            platformEventPositions.write(field: 16, to: &out)
            platformEventKinds.write(field: 17, to: &out)
            platformEventDynos.write(field: 18, to: &out)
            platformEventTexts.write(field: 19, to: &out)
        }
    }

    /// Writes the packed column `field` of the rows, whose varints take `payload` bytes, `value` picking each row's.
    @inline(__always)
    private func writeRowColumn(
        field: UInt8, payload: Int, to out: inout ProtobufBytes, _ value: (Row) -> UInt64
    ) {
        out.tag(field, wireType: 2)
        out.varint(UInt64(payload))
        for row in rows { out.varint(value(row)) }
    }

    /// One measurement's values of the columns every measurement writes (fields 4–12; a measurement without origin
    /// writes zeros there, the drain's number plus one otherwise).
    private struct Row {
        var owner: UInt32
        var processType: UInt32
        var metric: UInt32
        /// Zig-zag microseconds from the batch's received time.
        var timeOffset: UInt64
        var fieldCount: UInt32
        var eventCount: UInt32
        var originDrain: UInt32 = 0
        var originFrame: UInt32 = 0
        var originLineIndex: UInt32 = 0
    }

    /// The varint bytes of each row column so far: each column's payload size.
    private struct RowPayloadSizes {
        var owners = 0
        var processTypes = 0
        var metrics = 0
        var timeOffsets = 0
        var fieldCounts = 0
        var eventCounts = 0
        var originDrains = 0
        var originFrames = 0
        var originLineIndexes = 0

        mutating func add(_ row: Row) {
            owners += ProtobufBytes.varintSize(UInt64(row.owner))
            processTypes += ProtobufBytes.varintSize(UInt64(row.processType))
            metrics += ProtobufBytes.varintSize(UInt64(row.metric))
            timeOffsets += ProtobufBytes.varintSize(row.timeOffset)
            fieldCounts += ProtobufBytes.varintSize(UInt64(row.fieldCount))
            eventCounts += ProtobufBytes.varintSize(UInt64(row.eventCount))
            originDrains += ProtobufBytes.varintSize(UInt64(row.originDrain))
            originFrames += ProtobufBytes.varintSize(UInt64(row.originFrame))
            originLineIndexes += ProtobufBytes.varintSize(UInt64(row.originLineIndex))
        }

        /// The bytes of the nine packed fields (4–12) of at least one row.
        var encodedSize: Int {
            func size(_ field: UInt8, _ payload: Int) -> Int {
                ProtobufBytes.lengthDelimitedSize(field: field, payload: payload)
            }
            return size(4, owners) + size(5, processTypes) + size(6, metrics) + size(7, timeOffsets)
                + size(8, fieldCounts) + size(9, eventCounts) + size(10, originDrains) + size(11, originFrames)
                + size(12, originLineIndexes)
        }
    }

    /// A packed repeated `uint32` column of a variable count per measurement (field names, event names, platform
    /// events) with its payload's size kept up to date.
    private struct VarintColumn: Sendable {
        private var values: [UInt32] = []
        private var payloadSize = 0

        mutating func reserveCapacity(_ capacity: Int) {
            values.reserveCapacity(capacity)
        }

        mutating func append(_ value: UInt32) {
            values.append(value)
            payloadSize += ProtobufBytes.varintSize(UInt64(value))
        }

        func encodedSize(field: UInt8) -> Int {
            values.isEmpty ? 0 : ProtobufBytes.lengthDelimitedSize(field: field, payload: payloadSize)
        }

        func write(field: UInt8, to out: inout ProtobufBytes) {
            guard !values.isEmpty else { return }
            out.tag(field, wireType: 2)
            out.varint(UInt64(payloadSize))
            for value in values { out.varint(UInt64(value)) }
        }
    }

    /// `sint64`'s zig-zag form of `value`: small magnitudes of either sign become small varints.
    private static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// Distinct strings in first-use order, each with its number and the byte count protobuf-c would write.
    private struct StringColumn {
        private var values: [String] = []
        private var lengths: [Int] = []
        /// The numbers of the strings once there are more than `scannedCount`.
        private var numbers: [String: UInt32] = [:]
        private static let scannedCount = 8
        /// The bytes of the strings' fields, field number 3 (a one-byte tag).
        private(set) var encodedSize = 0

        mutating func reserveCapacity(_ capacity: Int) {
            values.reserveCapacity(capacity)
            lengths.reserveCapacity(capacity)
        }

        mutating func number(of string: String) -> UInt32 {
            // A batch mostly holds a handful of strings, mostly literals or short enough to be stored inline, which
            // compare equal without reading their bytes: cheaper than hashing until the table grows.
            // The dictionary is built only once the table outgrows that.
            if values.count <= Self.scannedCount {
                for (number, value) in values.enumerated() where value == string { return UInt32(number) }
            } else if let known = numbers[string] {
                return known
            }
            let number = UInt32(values.count)
            if values.count == Self.scannedCount {
                // Sized for a request's batch at once rather than grown (rehashing every string) as it fills.
                numbers.reserveCapacity(4 * Self.scannedCount)
                for (known, value) in values.enumerated() { numbers[value] = UInt32(known) }
            }
            let length = Self.lengthBeforeNUL(string)
            values.append(string)
            lengths.append(length)
            if values.count > Self.scannedCount { numbers[string] = number }
            encodedSize += ProtobufBytes.lengthDelimitedSize(field: 3, payload: length)
            return number
        }

        /// The bytes of `string` up to its first NUL, or all of them.
        private static func lengthBeforeNUL(_ string: String) -> Int {
            var string = string
            return string.withUTF8 { bytes in bytes.firstIndex(of: 0) ?? bytes.count }
        }

        func write(field: UInt8, to out: inout ProtobufBytes) {
            for (string, length) in zip(values, lengths) {
                out.tag(field, wireType: 2)
                out.varint(UInt64(length))
                out.utf8(string, count: length)
            }
        }
    }

    /// The last two distinct strings one column held and their numbers: a column mostly repeats its last string or
    /// alternates between two (two custom metrics per line, two process types in one partition, a status class
    /// among the usual one), and comparing is cheaper than hashing in the table.
    private struct RecentStrings {
        /// The number of a slot that holds no string yet; a batch's table never reaches it.
        private static let unused = UInt32.max
        // Plain strings with a sentinel number rather than optionals: unwrapping an optional copies its string, a
        // reference count per comparison.
        private var latest = ""
        private var latestNumber = unused
        private var previous = ""
        private var previousNumber = unused

        /// The number of `string` in `table`, asking the table only when neither recent string is `string`.
        mutating func number(of string: String, in table: inout StringColumn) -> UInt32 {
            if latestNumber != Self.unused, latest == string { return latestNumber }
            let number: UInt32
            if previousNumber != Self.unused, previous == string {
                number = previousNumber
            } else {
                number = table.number(of: string)
            }
            swap(&latest, &previous)
            previousNumber = latestNumber
            latest = string
            latestNumber = number
            return number
        }
    }
}
