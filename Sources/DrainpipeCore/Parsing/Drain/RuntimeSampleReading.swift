/// The values of one runtime-metrics line (formats.md §3), load or memory:
/// `source=web.2 dyno=heroku.… sample#load_avg_1m=0.42 sample#load_avg_5m=0.31 sample#load_avg_15m=0.27` or
/// `source=web.2 dyno=heroku.… sample#memory_total=301.57MB … sample#memory_pgpgin=184022pages …`.
///
/// The schema's first field is required, every other one optional. A value may carry only its field's unit (which is
/// stripped) or none, and must not exceed the field's maximum. The process type is `source` up to its first `.`, or
/// PROCID's when `source` is absent. Other keys, unknown `sample#` keys included, are ignored; a key this reads may
/// appear only once. The caller has checked that the line is UTF-8.
struct RuntimeSampleReading {
    var processType: String

    /// Appends the fields present on the line, in schema order, to `fields`, which the caller empties first and
    /// discards when this throws.
    /// - Throws: the reason the whole line is rejected.
    init(
        parsing bytes: [UInt8], line: SyslogLine, schema: RuntimeSampleSchema, fields: inout [MeasurementField]
    ) throws(LineRejectionReason) {
        var seenSlots: UInt64 = 0
        var isInSchemaOrder = true
        var source: Range<Int>?
        for pair in LogfmtScanner(bytes, in: line.message) {
            if ASCIIBytes.packedPrefix(bytes, of: pair.key, length: 7) == RuntimeSampleSchema.packedSamplePrefix {
                guard let slot = schema.slot(of: bytes, key: pair.key) else { continue }
                let bit: UInt64 = 1 << UInt64(slot)
                guard seenSlots & bit == 0 else { throw .duplicateField }
                isInSchemaOrder = isInSchemaOrder && seenSlots < bit
                seenSlots |= bit
                let field = schema.fields[slot]
                fields.append(MeasurementField(name: field.name, value: try Self.value(bytes, pair, field: field)))
            } else if ASCIIBytes.packed(bytes, in: pair.key) == RuntimeSampleSchema.packedSourceKey {
                guard source == nil else { throw .duplicateField }
                guard let value = pair.value else { throw .invalidSource }
                source = value
            }
        }
        guard seenSlots & 1 != 0 else { throw .missingField }
        if !isInSchemaOrder {
            let found = fields
            fields.removeAll(keepingCapacity: true)
            for field in schema.fields {
                if let value = found.first(where: { $0.name == field.name }) { fields.append(value) }
            }
        }
        self.processType = try ProcessType.named(bytes, in: source ?? line.processID)
    }

    private static func value(
        _ bytes: [UInt8], _ pair: LogfmtPair, field: RuntimeSampleSchema.Field
    )
        throws(LineRejectionReason) -> Double
    {
        guard let valueRange = pair.value else { throw .missingField }
        let value = try MetricValue(parsing: bytes, in: valueRange)
        guard value.unit.isEmpty || ASCIIBytes.bytes(bytes, in: value.unit, equal: field.unit) else {
            throw .unknownUnit
        }
        guard value.number <= field.maximum else { throw .badNumber }
        return value.number
    }
}

/// The `sample#` fields one kind of runtime-metrics line carries, with their units and sane maxima.
struct RuntimeSampleSchema: Sendable {
    /// One `sample#<name>` key.
    struct Field: Sendable {
        /// The field's name in measurements and summaries (`memory_rss`).
        var name: String
        /// `sample#` + name.
        var key: [UInt8]
        /// The only unit suffix the value may carry; empty for unit-less values.
        var unit: [UInt8]
        /// Larger values are rejected as absurd.
        var maximum: Double

        init(_ name: String, unit: String, maximum: Double) {
            self.name = name
            self.key = Array(("sample#" + name).utf8)
            self.unit = Array(unit.utf8)
            self.maximum = maximum
        }
    }

    /// The first field is required; at most 64.
    var fields: [Field]
    /// The last eight bytes of each field's key, packed by `ASCIIBytes.packed`: a key is compared whole only with
    /// the fields whose keys end the same way (one in today's schemas).
    private var keyEnds: [UInt64]

    init(fields: [Field]) {
        self.fields = fields
        keyEnds = fields.map { ASCIIBytes.packed($0.key, in: Self.lastEightBytes(of: $0.key.indices)) ?? 0 }
    }

    /// The index of the field whose key is `key`, or nil for any other key.
    func slot(of bytes: [UInt8], key: Range<Int>) -> Int? {
        guard let keyEnd = ASCIIBytes.packed(bytes, in: Self.lastEightBytes(of: key)) else { return nil }
        for index in keyEnds.indices where keyEnds[index] == keyEnd {
            if ASCIIBytes.bytes(bytes, in: key, equal: fields[index].key) { return index }
        }
        return nil
    }

    private static func lastEightBytes(of range: Range<Int>) -> Range<Int> {
        Swift.max(range.lowerBound, range.upperBound - 8)..<range.upperBound
    }

    /// `sample#` and `source`, packed by `ASCIIBytes.packed`.
    static let packedSamplePrefix: UInt64 = 0x23_65_6C_70_6D_61_73
    static let packedSourceKey: UInt64 = 0x65_63_72_75_6F_73

    /// Load averages: run-queue lengths without a unit; anything above 100 000 is absurd.
    static let load = RuntimeSampleSchema(
        fields: MeasurementType.dynoLoad.summaryFieldNames.map { Field($0, unit: "", maximum: 100_000) })

    /// Memory in `MB` (at most 1 TiB, far above any dyno size) and cumulative paging counters in `pages` (bounded
    /// only by `MetricValue`'s 15 integer digits).
    static let memory = RuntimeSampleSchema(
        fields: MeasurementType.dynoMemory.summaryFieldNames.map { name in
            name.hasPrefix("memory_pgpg")
                ? Field(name, unit: "pages", maximum: .infinity) : Field(name, unit: "MB", maximum: 1_048_576)
        })
}
