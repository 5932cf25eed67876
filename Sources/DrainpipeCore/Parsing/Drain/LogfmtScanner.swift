/// One `key=value` (or bare `key`) of a logfmt message, as byte ranges into the body.
package struct LogfmtPair: Sendable, Hashable {
    /// The key; empty for a token that starts with `=`.
    package var key: Range<Int>
    /// The value without surrounding quotes (escapes are left as they are); nil for a bare key without `=`.
    package var value: Range<Int>?

    /// A pair from its ranges.
    package init(key: Range<Int>, value: Range<Int>?) {
        self.key = key
        self.value = value
    }
}

/// Splits a logfmt message (`at=info dyno=web.2 fwd="1.2.3.4"`) into pairs without copying.
///
/// Pairs are separated by spaces only, so an LF inside a frame stays inside a value and makes it invalid rather
/// than silently starting a new pair. A quoted value runs to the next unescaped `"` (or the end).
///
/// Keys and values are searched eight bytes at a time (`ByteWord`), then byte by byte from the first candidate, so
/// the long values of router lines (`request_id`, `path`, `host`) cost a few word tests each.
package struct LogfmtScanner: IteratorProtocol, Sequence {
    private let bytes: [UInt8]
    private var position: Int
    private let end: Int

    /// Scans the message in `range` of `bytes`.
    package init(_ bytes: [UInt8], in range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = Swift.min(range.upperBound, bytes.count)
    }

    /// The next pair, or nil at the end of the message.
    @inline(__always)
    package mutating func next() -> LogfmtPair? {
        // The span is handed over and the position written back after: a span of `bytes` held here would keep
        // `self` borrowed (or need a retained copy of the array) while the position changes.
        var position = self.position
        let pair = Self.pair(in: bytes.span, from: &position, end: end)
        self.position = position
        return pair
    }

    /// The pair starting at `position` (after any spaces), which is moved past it.
    @inline(__always)
    private static func pair(in span: Span<UInt8>, from position: inout Int, end: Int) -> LogfmtPair? {
        while position < end, span[position] == ASCIIBytes.space { position += 1 }
        guard position < end else { return nil }
        let keyStart = position
        position = ByteWord.firstIndex(in: span, from: position, end: end, ofEither: .equals, or: .space)
        while position < end, span[position] != ASCIIBytes.equals, span[position] != ASCIIBytes.space {
            position += 1
        }
        let key = keyStart..<position
        guard position < end, span[position] == ASCIIBytes.equals else { return LogfmtPair(key: key, value: nil) }
        position += 1
        if position < end, span[position] == ASCIIBytes.quote {
            position += 1
            let valueStart = position
            position = ByteWord.firstIndex(in: span, from: position, end: end, ofEither: .quote, or: .backslash)
            while position < end, span[position] != ASCIIBytes.quote {
                position += span[position] == ASCIIBytes.backslash ? 2 : 1
            }
            position = Swift.min(position, end)
            let value = valueStart..<position
            if position < end { position += 1 }
            return LogfmtPair(key: key, value: value)
        }
        let valueStart = position
        position = ByteWord.firstIndex(in: span, from: position, end: end, of: .space)
        while position < end, span[position] != ASCIIBytes.space { position += 1 }
        return LogfmtPair(key: key, value: valueStart..<position)
    }
}
