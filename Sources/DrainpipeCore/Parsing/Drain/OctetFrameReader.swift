/// One step of reading a drain body: a frame's message bytes or a run of bytes that could not be framed.
package enum OctetFrame: Sendable, Hashable {
    /// The byte range of one syslog message, without its trailing LF (and a CR before it).
    case message(Range<Int>)
    case rejected(FrameRejection)
}

/// Every frame and rejection of one drain body, in body order.
package struct DrainBody: Sendable, Hashable {
    /// Message byte ranges into the body, each without its trailing LF.
    package var frames: [Range<Int>]
    /// Runs of bytes that could not be framed.
    package var rejections: [FrameRejection]

    /// A body with the given frames and rejections.
    package init(frames: [Range<Int>] = [], rejections: [FrameRejection] = []) {
        self.frames = frames
        self.rejections = rejections
    }
}

/// Cuts a Logplex drain body into RFC 6587 octet-counted frames (`MSG-LEN SP SYSLOG-MSG`, formats.md §1.3).
///
/// Whitespace between frames and after the last one is skipped silently, so a sender that does not count its LF
/// loses nothing. On bad framing (non-numeric, zero or leading-zero length, missing space, a length past the end of
/// the body) the reader reports a rejection and resynchronises at the next position right after an LF where
/// `DIGITS SP "<" DIGITS ">"` begins, or at the end of the body. It never traps on any input.
package struct OctetFrameReader: IteratorProtocol, Sequence {
    private let body: [UInt8]
    private var position: Int

    /// A reader positioned at the start of `body`.
    package init(body: [UInt8]) {
        self.body = body
        self.position = 0
    }

    /// Reads a whole body at once.
    package static func read(_ body: [UInt8]) -> DrainBody {
        var result = DrainBody()
        for step in OctetFrameReader(body: body) {
            switch step {
            case .message(let range): result.frames.append(range)
            case .rejected(let rejection): result.rejections.append(rejection)
            }
        }
        return result
    }

    /// The next frame or rejection, or nil when only whitespace is left.
    package mutating func next() -> OctetFrame? {
        let end = body.count
        while position < end, Self.isWhitespace(body[position]) { position += 1 }
        guard position < end else { return nil }

        let start = position
        var index = start
        var length = 0
        var overshoots = false
        while index < end, ASCIIBytes.isDigit(body[index]) {
            if !overshoots {
                length = length * 10 + Int(body[index] &- ASCIIBytes.zero)
                overshoots = length > end
            }
            index += 1
        }
        guard index > start else { return reject(.badLengthPrefix, at: start) }
        if body[start] == ASCIIBytes.zero { return reject(length == 0 ? .zeroLength : .badLengthPrefix, at: start) }
        guard index < end else { return reject(.truncatedFrame, at: start) }
        guard body[index] == ASCIIBytes.space else { return reject(.missingSpace, at: start) }

        let messageStart = index + 1
        guard !overshoots, length <= end - messageStart else { return reject(.truncatedFrame, at: start) }
        let messageEnd = messageStart + length
        position = messageEnd

        var contentEnd = messageEnd
        if body[contentEnd - 1] == ASCIIBytes.lineFeed {
            contentEnd -= 1
            if contentEnd > messageStart, body[contentEnd - 1] == ASCIIBytes.carriageReturn { contentEnd -= 1 }
        }
        return .message(messageStart..<contentEnd)
    }

    // MARK: - Resynchronisation

    private mutating func reject(_ reason: FrameRejectionReason, at start: Int) -> OctetFrame {
        let resume = resynchronisationPoint(after: start)
        position = resume
        return .rejected(FrameRejection(reason: reason, byteOffset: start, skippedByteCount: resume - start))
    }

    /// The first position after `start` that follows an LF and begins `DIGITS SP "<" DIGITS ">"`, else the end.
    private func resynchronisationPoint(after start: Int) -> Int {
        let end = body.count
        var index = start
        while index < end {
            if body[index] == ASCIIBytes.lineFeed, looksLikeFrameStart(at: index + 1) { return index + 1 }
            index += 1
        }
        return end
    }

    private func looksLikeFrameStart(at start: Int) -> Bool {
        let end = body.count
        var index = start
        while index < end, ASCIIBytes.isDigit(body[index]) { index += 1 }
        guard index > start, index + 2 < end, body[index] == ASCIIBytes.space, body[index + 1] == ASCIIBytes.lessThan
        else { return false }
        index += 2
        let priorityStart = index
        while index < end, ASCIIBytes.isDigit(body[index]) { index += 1 }
        return index > priorityStart && index < end && body[index] == ASCIIBytes.greaterThan
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == ASCIIBytes.space || byte == ASCIIBytes.lineFeed || byte == ASCIIBytes.carriageReturn
            || byte == ASCIIBytes.tab
    }
}
