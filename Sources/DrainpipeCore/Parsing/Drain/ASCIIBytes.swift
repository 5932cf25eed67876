/// Byte constants and range comparisons shared by the drain parsers.
///
/// Every parser works on ranges of one body array, so no line or key is ever copied into a `String` to be inspected.
package enum ASCIIBytes {
    static let tab: UInt8 = 0x09
    package static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let plus: UInt8 = 0x2B
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30
    static let colon: UInt8 = 0x3A
    static let lessThan: UInt8 = 0x3C
    static let equals: UInt8 = 0x3D
    static let greaterThan: UInt8 = 0x3E
    static let upperT: UInt8 = 0x54
    static let upperZ: UInt8 = 0x5A
    static let backslash: UInt8 = 0x5C
    static let underscore: UInt8 = 0x5F

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    /// Printable US-ASCII without space (RFC 5424 `PRINTUSASCII`), the alphabet of syslog header fields.
    @inline(__always)
    static func isPrintable(_ byte: UInt8) -> Bool { byte &- 0x21 < 0x5E }

    /// Letters, digits, `_` and `-`: the bytes of a Heroku process type.
    static func isProcessTypeByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == underscore || byte == minus
    }

    /// Whether the bytes in `range` equal `literal`.
    @inline(__always)
    static func bytes(_ bytes: [UInt8], in range: Range<Int>, equal literal: [UInt8]) -> Bool {
        guard range.count == literal.count else { return false }
        var index = range.lowerBound
        for byte in literal {
            guard bytes[index] == byte else { return false }
            index += 1
        }
        return true
    }

    /// The bytes in `range` packed little-endian into an integer (`"GET"` → `0x544547`), for switching over short
    /// tokens without comparing arrays; nil when the range is longer than 8 bytes or holds a NUL byte (which would
    /// make `"ab\0"` pack like `"ab"`).
    @inline(__always)
    static func packed(_ bytes: [UInt8], in range: Range<Int>) -> UInt64? {
        let length = range.count
        guard length <= 8 else { return nil }
        if length > 0, bytes.count - range.lowerBound >= 8 {
            // One word holds the range: keep its first `length` bytes, and refuse them if one is NUL.
            let word = ByteWord.load(bytes.span, at: range.lowerBound)
            let highBits: UInt64 = 0x8080_8080_8080_8080 >> UInt64(64 - 8 * length)
            guard ByteWord.zeroBytes(word) & highBits == 0 else { return nil }
            return length == 8 ? word : word & ((1 << UInt64(8 * length)) - 1)
        }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for index in range {
            let byte = bytes[index]
            guard byte != 0 else { return nil }
            value |= UInt64(byte) << shift
            shift += 8
        }
        return value
    }

    /// The first `length` bytes of `range` packed like `packed(_:in:)`; nil when the range is shorter.
    @inline(__always)
    static func packedPrefix(_ bytes: [UInt8], of range: Range<Int>, length: Int) -> UInt64? {
        guard range.count >= length else { return nil }
        return packed(bytes, in: range.lowerBound..<(range.lowerBound + length))
    }

    /// Whether the bytes in `range` equal those in `other`, another range of the same array.
    static func bytes(_ bytes: [UInt8], in range: Range<Int>, equalBytesIn other: Range<Int>) -> Bool {
        guard range.count == other.count else { return false }
        return bytes[range].elementsEqual(bytes[other])
    }

    /// Whether the bytes in `range` begin with `literal`.
    static func bytes(_ bytes: [UInt8], in range: Range<Int>, startWith literal: [UInt8]) -> Bool {
        guard range.count >= literal.count else { return false }
        return Self.bytes(bytes, in: range.lowerBound..<(range.lowerBound + literal.count), equal: literal)
    }

    /// Whether `range` is `<process type>.<digits>`, the shape of a Heroku dyno name (`web.2`, `run.8411`).
    static func isDynoName(_ bytes: [UInt8], in range: Range<Int>) -> Bool {
        var index = range.lowerBound
        while index < range.upperBound, isProcessTypeByte(bytes[index]) { index += 1 }
        guard index > range.lowerBound, index < range.upperBound, bytes[index] == dot else { return false }
        index += 1
        guard index < range.upperBound else { return false }
        while index < range.upperBound {
            guard isDigit(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    /// Whether `range` holds well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
    ///
    /// An all-ASCII range (every platform line) is settled by one branch-free pass the compiler can vectorise.
    static func isValidUTF8(_ bytes: [UInt8], in range: Range<Int>) -> Bool {
        var combined: UInt8 = 0
        for byte in bytes[range] { combined |= byte }
        if combined < 0x80 { return true }

        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lowest: UInt8 = 0x80
            var highest: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lowest = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                highest = 0x9F
            case 0xF0:
                length = 4
                lowest = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                highest = 0x8F
            default: return false
            }
            guard end - index >= length else { return false }
            let second = bytes[index + 1]
            guard second >= lowest, second <= highest else { return false }
            var continuation = index + 2
            while continuation < index + length {
                guard bytes[continuation] & 0xC0 == 0x80 else { return false }
                continuation += 1
            }
            index += length
        }
        return true
    }
}
