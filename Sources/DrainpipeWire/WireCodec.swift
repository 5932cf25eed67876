// Shared helpers for the protobuf-c wrappers (Measurement+Wire.swift, Summary+Wire.swift) and the protobuf writer of
// MeasurementBatchWriter.swift.
//
// Invariants:
// - Every C string or array a message being packed points at is allocated by a `WireArena` and freed only when
//   `withWireArena` returns, after `…__pack` has finished; nothing it hands out may escape that closure.
// - `WireDecoder` only reads memory of an unpacked message that its caller frees afterwards; every value it
//   returns is an owned Swift copy, except `buffer`'s views, which the caller uses before it frees the message.
// - Strings are NUL-terminated in protobuf-c, so a Swift string containing U+0000 is cut at the NUL on the wire.
internal import CWireSchema
import DrainpipeCore

// MARK: - Packing

/// Runs `body` with an arena whose allocations stay valid until `body` returns, then frees them.
func withWireArena<Value>(_ body: (inout WireArena) -> Value) -> Value {
    var arena = WireArena()
    defer { arena.deallocateAll() }
    return body(&arena)
}

/// C copies of the strings and arrays one message points at while it is packed.
struct WireArena: ~Copyable {
    private var allocations: [UnsafeMutableRawPointer] = []

    fileprivate init() {}

    /// A NUL-terminated copy of `string`, freed with the arena.
    mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = string.utf8CString
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        utf8.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: $0.count) }
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    /// A C array of NUL-terminated copies of `strings`, or nil when empty; freed with the arena.
    mutating func cStrings(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !strings.isEmpty else { return nil }
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count)
        allocations.append(UnsafeMutableRawPointer(array))
        for (index, string) in strings.enumerated() {
            (array + index).initialize(to: cString(string))
        }
        return array
    }

    /// A C array holding `values`, or nil when empty; freed with the arena.
    mutating func array<Element: BitwiseCopyable>(_ values: [Element]) -> UnsafeMutablePointer<Element>? {
        guard !values.isEmpty else { return nil }
        let array = UnsafeMutablePointer<Element>.allocate(capacity: values.count)
        values.withUnsafeBufferPointer { array.initialize(from: $0.baseAddress!, count: $0.count) }
        allocations.append(UnsafeMutableRawPointer(array))
        return array
    }

    fileprivate mutating func deallocateAll() {
        for allocation in allocations { allocation.deallocate() }
        allocations.removeAll()
    }
}

/// New bytes of exactly `size`, filled by `pack` (a protobuf-c `…__pack` call that returns the count written).
func wirePacked(size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
    guard size > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, initializedCount in
        initializedCount = pack(buffer.baseAddress!)
        precondition(initializedCount == size, "protobuf-c packed \(initializedCount) bytes, announced \(size)")
    }
}

/// New bytes of exactly `size`, filled by `write` through protobuf's wire encoding (MeasurementBatchWriter).
func wireWritten(size: Int, _ write: (inout ProtobufBytes) -> Void) -> [UInt8] {
    guard size > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, initializedCount in
        var out = ProtobufBytes(buffer.baseAddress!, end: buffer.baseAddress! + size)
        write(&out)
        initializedCount = out.written(since: buffer.baseAddress!)
        precondition(initializedCount == size, "wrote \(initializedCount) bytes, announced \(size)")
    }
}

/// Writes protobuf's wire encoding into memory `wireWritten` sized beforehand; only `wireWritten` makes one.
struct ProtobufBytes {
    private var cursor: UnsafeMutablePointer<UInt8>
    /// Writing stops with a trap here rather than past the memory, should a size have been computed wrong.
    private let end: UnsafeMutablePointer<UInt8>

    fileprivate init(_ start: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>) {
        cursor = start
        self.end = end
    }

    /// The bytes a varint of `value` takes.
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// The bytes of a length-delimited field (tag, length, payload) whose payload has `payload` bytes.
    static func lengthDelimitedSize(field: UInt8, payload: Int) -> Int {
        tagSize(field) + varintSize(UInt64(payload)) + payload
    }

    fileprivate func written(since start: UnsafeMutablePointer<UInt8>) -> Int {
        cursor - start
    }

    /// The bytes of a field's tag.
    static func tagSize(_ field: UInt8) -> Int {
        varintSize(UInt64(field) << 3)
    }

    mutating func tag(_ field: UInt8, wireType: UInt8) {
        varint(UInt64(field) << 3 | UInt64(wireType))
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        precondition(end - cursor >= Self.varintSize(value), "protobuf bytes written past their size")
        var rest = value
        while rest >= 0x80 {
            cursor.pointee = UInt8(truncatingIfNeeded: rest) | 0x80
            cursor += 1
            rest >>= 7
        }
        cursor.pointee = UInt8(rest)
        cursor += 1
    }

    mutating func littleEndian(_ value: UInt64) {
        precondition(end - cursor >= 8, "protobuf bytes written past their size")
        var bytes = value.littleEndian
        withUnsafeBytes(of: &bytes) { cursor.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: 8) }
        cursor += 8
    }

    /// The first `count` UTF-8 bytes of `string`.
    mutating func utf8(_ string: String, count: Int) {
        guard count > 0 else { return }
        precondition(end - cursor >= count && string.utf8.count >= count, "protobuf bytes written past their size")
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { stored in
            cursor.update(from: stored.baseAddress!, count: count)
        }
        if copied == nil {
            var index = 0
            for byte in string.utf8.prefix(count) {
                cursor[index] = byte
                index += 1
            }
        }
        cursor += count
    }
}

/// Calls a protobuf-c `…__unpack(allocator, length, data)` function on `bytes`.
///
/// The result, when not nil, is owned by the caller, who must pass it to the matching `…__free_unpacked`.
func wireUnpack<Message>(
    _ bytes: [UInt8], with unpack: (Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?
) -> UnsafeMutablePointer<Message>? {
    bytes.withUnsafeBufferPointer { unpack($0.count, $0.baseAddress) }
}

// MARK: - Unpacking

/// Copies and validates the fields of one unpacked message, throwing errors that name it.
struct WireDecoder {
    /// The message type as the schema names it, for errors.
    let message: String
    /// The size of the input, for errors.
    let byteCount: Int

    /// The measurement type a generated `Drainpipe__V1__MeasurementType` value (its `rawValue`) stands for.
    func measurementType(rawValue: UInt32) throws(WireError) -> MeasurementType {
        let wireNumber = Int32(bitPattern: rawValue)
        guard let type = MeasurementType(wireNumber: wireNumber) else {
            throw .unknownMeasurementType(message: message, byteCount: byteCount, wireNumber: wireNumber)
        }
        return type
    }

    /// The UTF-8 text of a C string field; protobuf-c gives every unset string field an empty string.
    func string(_ pointer: UnsafePointer<CChar>?, field: String) throws(WireError) -> String {
        guard let pointer else { return "" }
        guard let string = String(validatingCString: pointer) else {
            throw .invalidUTF8(message: message, byteCount: byteCount, field: field)
        }
        return string
    }

    /// The UTF-8 texts of a repeated string field.
    func strings(
        _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int, field: String
    ) throws(WireError) -> [String] {
        guard count > 0 else { return [] }
        guard let pointer else { throw malformed }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for element in UnsafeBufferPointer(start: pointer, count: count) {
            strings.append(try string(element, field: field))
        }
        return strings
    }

    /// The values of a repeated scalar field, which must have as many entries as its names field.
    func values<Element>(
        _ pointer: UnsafeMutablePointer<Element>?, count: Int, field: String, parallelTo expected: Int
    ) throws(WireError) -> [Element] {
        guard count == expected else {
            throw .malformedParallelArrays(
                message: message, byteCount: byteCount, field: field, count: count, expected: expected)
        }
        guard count > 0 else { return [] }
        guard let pointer else { throw malformed }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// The entries of a repeated scalar field in the unpacked message's own memory, valid only until the message is
    /// freed; it must have `expected` entries.
    func buffer<Element>(
        _ pointer: UnsafeMutablePointer<Element>?, count: Int, field: String, parallelTo expected: Int
    ) throws(WireError) -> UnsafeBufferPointer<Element> {
        guard count == expected else {
            throw .malformedParallelArrays(
                message: message, byteCount: byteCount, field: field, count: count, expected: expected)
        }
        guard count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        guard let pointer else { throw malformed }
        return UnsafeBufferPointer(start: pointer, count: count)
    }

    /// An error for a value outside the range its field allows.
    func outOfRange(field: String) -> WireError {
        .valueOutOfRange(message: message, byteCount: byteCount, field: field)
    }

    /// An error for a name listed twice.
    func duplicateName(field: String) -> WireError {
        .malformedDuplicateName(message: message, byteCount: byteCount, field: field)
    }

    /// An error for bytes protobuf-c could not unpack.
    var malformed: WireError { .malformed(message: message, byteCount: byteCount) }
}
