/// A 128-bit fingerprint of what makes a drain measurement unique: (drain, frame id, line index, type, metric).
///
/// A retried Logplex batch repeats drain, frame id and line index, and a line yields at most one measurement per
/// (type, metric), so equal fingerprints mean the same measurement delivered twice. The hash is fixed (not Swift's
/// per-process seeded `Hasher`), so every process and every replay decides the same; two different measurements
/// share a fingerprint with a probability of about 2⁻¹²⁸ per pair.
struct OriginDigest: Sendable, Hashable {
    let high: UInt64
    let low: UInt64

    fileprivate init(_ parts: (UInt64, UInt64)) {
        (high, low) = parts
    }
}

/// Computes `OriginDigest`s, reusing the hash of (drain, frame id) while consecutive measurements come from the same
/// Logplex batch, as a batch's lines do; the digests are the same as without the reuse.
struct OriginDigester: Sendable {
    private var drainID = ""
    private var frameID = ""
    private var afterFrame = Hasher128()

    /// The digest of a measurement with an origin and a non-empty frame id; nil otherwise.
    mutating func digest(of measurement: Measurement) -> OriginDigest? {
        guard let origin = measurement.origin else { return nil }
        return digest(
            drainID: origin.drainID, frameID: origin.frameID, lineIndex: origin.lineIndex, type: measurement.type,
            metric: measurement.metric)
    }

    /// The digest of a measurement of `type` and `metric` from line `lineIndex` of frame `frameID` of drain
    /// `drainID`; nil when the frame id is empty.
    mutating func digest(
        drainID: String, frameID: String, lineIndex: UInt32, type: MeasurementType, metric: String
    ) -> OriginDigest? {
        guard !frameID.isEmpty else { return nil }
        if frameID != self.frameID || drainID != self.drainID {
            var hasher = Hasher128()
            hasher.combine(drainID)
            hasher.combine(frameID)
            afterFrame = hasher
            self.drainID = drainID
            self.frameID = frameID
        }
        var hasher = afterFrame
        hasher.combine(UInt64(lineIndex) << 32 | UInt64(UInt32(bitPattern: type.wireNumber)))
        hasher.combine(metric)
        return OriginDigest(hasher.finalize())
    }
}

/// Two independent 64-bit multiply-rotate lanes over 8-byte words, each finished with SplitMix64's mixer.
struct Hasher128: Sendable {
    private var first: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var second: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var length: UInt64 = 0

    /// The same as `combine(bytes: text.utf8)`, eight bytes at a time.
    mutating func combine(_ text: String) {
        let bytes = text.utf8.span
        var start = 0
        while start + 8 <= bytes.count {
            var word: UInt64 = 0
            for offset in 0..<8 { word |= UInt64(bytes[start + offset]) << UInt64(8 * offset) }
            combine(word)
            start += 8
        }
        var word: UInt64 = 0
        for offset in 0..<bytes.count - start { word |= UInt64(bytes[start + offset]) << UInt64(8 * offset) }
        // The length ends the string, so ("ab", "c") and ("a", "bc") differ.
        combine(word ^ (UInt64(bytes.count) << 56))
    }

    mutating func combine(bytes: some Collection<UInt8>) {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            word |= UInt64(byte) << shift
            shift += 8
            if shift == 64 {
                combine(word)
                word = 0
                shift = 0
            }
        }
        combine(word ^ (UInt64(bytes.count) << 56))
    }

    mutating func combine(_ word: UInt64) {
        length &+= 1
        first = ((first ^ word) &* 0x1000_0000_01B3 &+ length).rotatedLeft(by: 29)
        second = ((second ^ word.rotatedLeft(by: 17)) &* 0xFF51_AFD7_ED55_8CCD).rotatedLeft(by: 31)
    }

    func finalize() -> (UInt64, UInt64) {
        (Self.mix(first ^ length), Self.mix(second &+ length))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A 128-bit fingerprint of a request body, as 32 hex digits: the batch identity of a Graphite-over-HTTP post sent
/// without an `Idempotency-Key`, so the retry of the same bytes yields the same origins (`DrainOrigin`).
package enum BatchDigest {
    package static func hex(of bytes: some Collection<UInt8>) -> String {
        var hasher = Hasher128()
        hasher.combine(bytes: bytes)
        let (high, low) = hasher.finalize()
        return hexDigits(high) + hexDigits(low)
    }

    private static func hexDigits(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
