/// Chooses the Postgres shard that stores an owner's summaries: jump consistent hash of the owner's 64-bit
/// FNV-1a hash (over its UTF-8 bytes).
///
/// The mapping is stable across processes, platforms and releases, and adding a shard moves only about
/// 1 / (new shard count) of the owners, all of them to the new shard.
package struct ShardRouter: Sendable, Hashable {
    package let shardCount: Int

    /// - Precondition: `shardCount` is positive (there is at least one database URL).
    package init(shardCount: Int) {
        precondition(shardCount > 0, "a ShardRouter needs at least one shard")
        self.shardCount = shardCount
    }

    /// The shard index, in `0..<shardCount`, that stores `owner`'s summaries.
    package func shard(forOwner owner: String) -> Int {
        JumpConsistentHash.bucket(forKey: Self.fnv1a64(owner), bucketCount: shardCount)
    }

    /// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3), over the UTF-8 bytes of `text`.
    package static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
