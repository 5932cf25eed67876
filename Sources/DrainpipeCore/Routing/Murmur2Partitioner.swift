/// Kafka's default partitioner for keyed records: `toPositive(murmur2(key)) % partitionCount`.
///
/// Bit-for-bit the Java client's `Utils.murmur2` and `Utils.toPositive` (librdkafka's `murmur2_random`), so a
/// producer in any language puts a key in the same partition as Drainpipe does.
package enum Murmur2Partitioner {
    /// The partition of a record whose key is these bytes (a string key's UTF-8, as Kafka's serializer writes it).
    ///
    /// `partitionCount` must be positive; topic declarations are validated before any record is partitioned.
    package static func partition(forKey key: some Collection<UInt8>, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        return toPositive(murmur2(key)) % partitionCount
    }

    /// The same for a key in an array, the producers' case. A concrete entry point, so the hash loop is compiled
    /// for arrays here: called generically from another module it cost a protocol-witness call per key byte, a
    /// sixth of the ingress's CPU (issue 15).
    package static func partition(forKey key: [UInt8], partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        return toPositive(murmur2(key)) % partitionCount
    }

    /// 32-bit MurmurHash2 with Kafka's seed `0x9747b28c`, as a signed Java `int`.
    package static func murmur2(_ data: some Collection<UInt8>) -> Int32 {
        let multiplier: UInt32 = 0x5bd1_e995
        let shift: UInt32 = 24
        var hash: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)

        var word: UInt32 = 0
        var wordBytes: UInt32 = 0
        for byte in data {
            word |= UInt32(byte) << (8 * wordBytes)
            wordBytes += 1
            if wordBytes == 4 {
                word = word &* multiplier
                word ^= word >> shift
                word = word &* multiplier
                hash = hash &* multiplier
                hash ^= word
                word = 0
                wordBytes = 0
            }
        }
        if wordBytes > 0 {
            hash ^= word
            hash = hash &* multiplier
        }

        hash ^= hash >> 13
        hash = hash &* multiplier
        hash ^= hash >> 15
        return Int32(bitPattern: hash)
    }

    /// Kafka's `Utils.toPositive`: clears the sign bit (not the absolute value).
    package static func toPositive(_ number: Int32) -> Int32 {
        number & 0x7fff_ffff
    }
}
