/// The bytes of a summary's sketches (`drainpipe.v1.Summary.sketch`, the `sketch` column).
///
/// Layout: a format byte (1: the cubic index mapping at 1 % relative accuracy), the number of sketches, then per
/// sketch in name order: the name's length and UTF-8 bytes, the zero count, the number of buckets, and per bucket
/// the zigzag-encoded difference to the previous index (the first to 0) and its count. Every number is a protobuf
/// varint. Equal sketches encode to equal bytes.
extension QuantileSketch {
    /// The format byte this build writes and reads.
    package static let encodingFormat: UInt8 = 1

    /// Encodes sketches by field name; empty when there are none (the wire field and the column stay empty).
    package static func encode(_ sketches: [String: QuantileSketch]) -> [UInt8] {
        guard !sketches.isEmpty else { return [] }
        var bytes: [UInt8] = [encodingFormat]
        appendVarint(UInt64(sketches.count), to: &bytes)
        for (name, sketch) in sketches.sorted(by: { $0.key < $1.key }) {
            let nameBytes = Array(name.utf8)
            appendVarint(UInt64(nameBytes.count), to: &bytes)
            bytes += nameBytes
            appendVarint(sketch.zeroCount, to: &bytes)
            appendVarint(UInt64(sketch.bucketIndices.count), to: &bytes)
            var previous: Int64 = 0
            for (index, count) in zip(sketch.bucketIndices, sketch.bucketCounts) {
                let delta = Int64(index) - previous
                appendVarint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)), to: &bytes)
                appendVarint(count, to: &bytes)
                previous = Int64(index)
            }
        }
        return bytes
    }

    /// Decodes what `encode` wrote; nil for anything else (another format, truncation, a repeated or non-UTF-8
    /// name, indices that do not ascend, an empty bucket). Empty bytes are no sketches.
    package static func decode(_ bytes: [UInt8]) -> [String: QuantileSketch]? {
        guard let format = bytes.first else { return [:] }
        guard format == encodingFormat else { return nil }
        var reader = VarintReader(bytes: bytes, position: 1)
        guard let sketchCount = reader.next(), sketchCount <= UInt64(bytes.count) else { return nil }
        var sketches: [String: QuantileSketch] = [:]
        for _ in 0..<sketchCount {
            guard let nameLength = reader.next(), let nameBytes = reader.bytes(count: nameLength),
                let name = String(validating: nameBytes, as: UTF8.self),
                let zeroCount = reader.next(), let bucketCount = reader.next(), bucketCount <= UInt64(bytes.count)
            else { return nil }
            var indices: [Int32] = []
            var counts: [UInt64] = []
            indices.reserveCapacity(Int(bucketCount))
            counts.reserveCapacity(Int(bucketCount))
            var previous: Int64 = 0
            for _ in 0..<bucketCount {
                guard let zigzag = reader.next(), let count = reader.next() else { return nil }
                let delta = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                let (index, overflow) = previous.addingReportingOverflow(delta)
                guard !overflow, let narrow = Int32(exactly: index) else { return nil }
                indices.append(narrow)
                counts.append(count)
                previous = index
            }
            guard let sketch = QuantileSketch(zeroCount: zeroCount, bucketIndices: indices, bucketCounts: counts),
                sketches.updateValue(sketch, forKey: name) == nil
            else { return nil }
        }
        guard reader.isAtEnd else { return nil }
        return sketches
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Reads protobuf varints and byte runs; every read returns nil instead of running past the end.
    private struct VarintReader {
        let bytes: [UInt8]
        var position: Int

        var isAtEnd: Bool { position == bytes.count }

        mutating func next() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        mutating func bytes(count: UInt64) -> ArraySlice<UInt8>? {
            guard count <= UInt64(bytes.count - position) else { return nil }
            defer { position += Int(count) }
            return bytes[position..<position + Int(count)]
        }
    }
}
