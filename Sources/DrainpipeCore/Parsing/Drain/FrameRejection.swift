/// Why bytes of a drain body could not be cut into an octet-counted frame.
package enum FrameRejectionReason: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The length runs past the end of the body.
    case truncatedFrame
    /// The frame does not start with a decimal length (or the length has a leading zero).
    case badLengthPrefix
    /// The length is zero.
    case zeroLength
    /// The length is not followed by a space.
    case missingSpace

    /// Singular noun phrase, e.g. for "1 truncated frame".
    package var description: String {
        switch self {
        case .truncatedFrame: "truncated frame"
        case .badLengthPrefix: "bad length prefix"
        case .zeroLength: "zero length"
        case .missingSpace: "missing space"
        }
    }

    /// Plural noun phrase, e.g. for "2 truncated frames".
    package var pluralDescription: String {
        switch self {
        case .truncatedFrame: "truncated frames"
        case .badLengthPrefix: "bad length prefixes"
        case .zeroLength: "zero lengths"
        case .missingSpace: "missing spaces"
        }
    }
}

/// Bytes of a drain body that were skipped because they could not be framed.
package struct FrameRejection: Sendable, Hashable {
    /// Why the bytes at `byteOffset` could not be framed.
    package var reason: FrameRejectionReason
    /// Offset in the body where the unframeable bytes start.
    package var byteOffset: Int
    /// How many bytes were skipped before the next plausible frame or the end of the body.
    package var skippedByteCount: Int

    /// A rejection of `skippedByteCount` bytes from `byteOffset`.
    package init(reason: FrameRejectionReason, byteOffset: Int, skippedByteCount: Int) {
        self.reason = reason
        self.byteOffset = byteOffset
        self.skippedByteCount = skippedByteCount
    }
}
