/// Eight bytes read as one little-endian integer, to look for a byte value in all of them at once (SWAR).
enum ByteWord {
    /// A byte value repeated in every byte of a word.
    struct Pattern {
        var repeated: UInt64

        init(_ byte: UInt8) { repeated = UInt64(byte) &* 0x0101_0101_0101_0101 }

        static var space: Pattern { Pattern(ASCIIBytes.space) }
        static var equals: Pattern { Pattern(ASCIIBytes.equals) }
        static var quote: Pattern { Pattern(ASCIIBytes.quote) }
        static var backslash: Pattern { Pattern(ASCIIBytes.backslash) }
        static var hash: Pattern { Pattern(ASCIIBytes.hash) }
    }

    /// The index of the first `first` or `second` byte from `start` on, when one lies in the whole words before
    /// `end`; otherwise the start of the fewer than eight bytes left. No byte before the result is either, so the
    /// caller finishes the search byte by byte from there.
    @inline(__always)
    static func firstIndex(
        in span: Span<UInt8>, from start: Int, end: Int, ofEither first: Pattern, or second: Pattern
    ) -> Int {
        var position = start
        while end - position >= 8 {
            let word = load(span, at: position)
            let matches = zeroBytes(word ^ first.repeated) | zeroBytes(word ^ second.repeated)
            if matches != 0 { return position + matches.trailingZeroBitCount / 8 }
            position += 8
        }
        return position
    }

    /// Like `firstIndex(in:from:end:ofEither:or:)` for one byte value.
    @inline(__always)
    static func firstIndex(in span: Span<UInt8>, from start: Int, end: Int, of byte: Pattern) -> Int {
        firstIndex(in: span, from: start, end: end, ofEither: byte, or: byte)
    }

    /// Like `firstIndex(in:from:end:ofEither:or:)`, for the first byte outside `ASCIIBytes.isPrintable` (a space, a
    /// control byte, DEL or a non-ASCII byte).
    @inline(__always)
    static func firstNonPrintableIndex(in span: Span<UInt8>, from start: Int, end: Int) -> Int {
        var position = start
        while end - position >= 8 {
            let word = load(span, at: position)
            // Bytes below 0x21 borrow, bytes above 0x7E reach or keep the high bit when 1 is added.
            let below = (word &- 0x2121_2121_2121_2121) & ~word
            let above = (word &+ 0x0101_0101_0101_0101) | word
            let matches = (below | above) & 0x8080_8080_8080_8080
            if matches != 0 { return position + matches.trailingZeroBitCount / 8 }
            position += 8
        }
        return position
    }

    /// The eight bytes at `index`, the first in the lowest bits.
    @inline(__always)
    static func load(_ span: Span<UInt8>, at index: Int) -> UInt64 {
        precondition(index >= 0 && index <= span.count - 8)
        // Written out so the compiler sees one eight-byte load.
        var word = UInt64(span[index])
        word |= UInt64(span[index + 1]) << 8
        word |= UInt64(span[index + 2]) << 16
        word |= UInt64(span[index + 3]) << 24
        word |= UInt64(span[index + 4]) << 32
        word |= UInt64(span[index + 5]) << 40
        word |= UInt64(span[index + 6]) << 48
        word |= UInt64(span[index + 7]) << 56
        return word
    }

    /// The high bit set in the lowest byte of `word` that is zero, and maybe in higher bytes (a borrow can mark
    /// one after a zero byte); none when no byte is zero. Only the lowest set bit is exact, which is all callers use.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }
}
