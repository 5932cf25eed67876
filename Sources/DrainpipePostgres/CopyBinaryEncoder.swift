/// Encodes rows in the binary format of `COPY … FROM STDIN (FORMAT binary)`: a signature header, then per row a
/// field count and each field as a length and the value in the column type's binary form (NULL as length -1), then
/// a trailer.
///
/// Values are never escaped: text is its UTF-8 bytes, so any string round-trips as long as it holds no NUL, which
/// Postgres text cannot store (the server refuses it). Each value's type must match its column exactly (an `int4`
/// column takes ``appendInt32(_:)``, never ``appendInt64(_:)``).
package struct CopyBinaryEncoder: Sendable {
    /// The header and every row so far, without the trailer; see ``finished``.
    package private(set) var bytes: [UInt8]
    package private(set) var rowCount = 0

    package init() {
        // "PGCOPY\n\377\r\n\0", then 32-bit flags (no OIDs) and a 32-bit header-extension length, both zero.
        bytes = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    }

    /// Everything to send: the header, the rows and the trailer.
    package var finished: [UInt8] { bytes + [0xFF, 0xFF] }

    /// Starts a row of `fieldCount` fields; exactly that many `append…` calls must follow.
    package mutating func beginRow(fieldCount: Int) {
        appendBigEndian(UInt16(truncatingIfNeeded: fieldCount))
        rowCount += 1
    }

    package mutating func appendNull() {
        appendBigEndian(UInt32.max)  // length -1
    }

    /// A `text` value: its UTF-8 bytes.
    package mutating func appendText(_ text: String) {
        appendBigEndian(UInt32(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    /// An `int4` value.
    package mutating func appendInt32(_ value: Int32) {
        appendBigEndian(UInt32(4))
        appendBigEndian(UInt32(bitPattern: value))
    }

    /// An `int8` value.
    package mutating func appendInt64(_ value: Int64) {
        appendBigEndian(UInt32(8))
        appendBigEndian(UInt64(bitPattern: value))
    }

    /// A `float8` value, NaN and infinities included.
    package mutating func appendDouble(_ value: Double) {
        appendBigEndian(UInt32(8))
        appendBigEndian(value.bitPattern)
    }

    /// A `timestamptz` value given in microseconds since 1970-01-01 UTC (Postgres counts from 2000-01-01).
    package mutating func appendTimestamp(microsecondsSinceUnixEpoch: Int64) {
        appendInt64(microsecondsSinceUnixEpoch - Self.postgresEpochOffsetMicroseconds)
    }

    /// A `jsonb` value: format version 1, then the JSON text.
    package mutating func appendJSONB(_ json: String) {
        appendBigEndian(UInt32(json.utf8.count + 1))
        bytes.append(1)
        bytes.append(contentsOf: json.utf8)
    }

    /// A `bytea` value: the bytes as they are.
    package mutating func appendBytes(_ value: [UInt8]) {
        appendBigEndian(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// Microseconds from 1970-01-01 to 2000-01-01.
    private static let postgresEpochOffsetMicroseconds: Int64 = 946_684_800_000_000

    private mutating func appendBigEndian<Value: FixedWidthInteger & UnsignedInteger>(_ value: Value) {
        var shift = Value.bitWidth - 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
            shift -= 8
        }
    }
}
