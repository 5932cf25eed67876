/// The set of `OriginDigest`s one window counted: open addressing over the digests' own random bits, so adding
/// one costs no further hashing. Grows at 50 % load; never shrinks (it is dropped with its window).
struct OriginSet: Sendable {
    /// Slots of (high, low); (0, 0) marks an empty slot, so a digest that is (0, 0) is stored as `zeroIsPresent`.
    private var slots: [(high: UInt64, low: UInt64)] = []
    private var zeroIsPresent = false
    private(set) var count = 0

    /// Slots held, for the memory estimate.
    var capacity: Int { slots.count }

    /// Adds `digest`; returns false when it was already present.
    mutating func insert(_ digest: OriginDigest) -> Bool {
        guard digest.high != 0 || digest.low != 0 else {
            defer { zeroIsPresent = true }
            if !zeroIsPresent { count += 1 }
            return !zeroIsPresent
        }
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: digest.low) & mask
        while true {
            let slot = slots[index]
            if slot.high == 0 && slot.low == 0 {
                slots[index] = (digest.high, digest.low)
                count += 1
                return true
            }
            if slot.high == digest.high && slot.low == digest.low { return false }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: (0, 0), count: Swift.max(16, old.count * 2))
        let mask = slots.count - 1
        for slot in old where slot.high != 0 || slot.low != 0 {
            var index = Int(truncatingIfNeeded: slot.low) & mask
            while slots[index].high != 0 || slots[index].low != 0 { index = (index + 1) & mask }
            slots[index] = slot
        }
    }
}
