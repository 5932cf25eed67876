/// Writes protobuf wire format by hand, so tests can pin the schema's bytes and build messages the codec never
/// writes (mismatched arrays, repeated names, invalid UTF-8).
struct ProtobufTestWriter {
    private(set) var bytes: [UInt8] = []

    /// A varint-typed field (int32, int64, uint32, uint64, bool, enum); negative numbers take ten bytes.
    mutating func varint(_ field: Int, _ value: UInt64) {
        tag(field, wireType: 0)
        appendVarint(value)
    }

    mutating func varint(_ field: Int, _ value: Int64) {
        varint(field, UInt64(bitPattern: value))
    }

    /// A length-delimited field holding `raw` (string, bytes, packed repeated).
    mutating func lengthDelimited(_ field: Int, _ raw: [UInt8]) {
        tag(field, wireType: 2)
        appendVarint(UInt64(raw.count))
        bytes += raw
    }

    mutating func string(_ field: Int, _ value: String) {
        lengthDelimited(field, Array(value.utf8))
    }

    /// A repeated double field in packed form, as proto3 writes it.
    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        var payload: [UInt8] = []
        for value in values {
            payload += (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> ($0 * 8)) }
        }
        lengthDelimited(field, payload)
    }

    /// A repeated varint field in packed form, as proto3 writes it.
    mutating func packedVarints(_ field: Int, _ values: [UInt64]) {
        var inner = ProtobufTestWriter()
        for value in values { inner.appendVarint(value) }
        lengthDelimited(field, inner.bytes)
    }

    private mutating func tag(_ field: Int, wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}
