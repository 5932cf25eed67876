import DrainpipeCore
import Testing

@Suite("JumpConsistentHash and ShardRouter")
struct ShardRouterTests {
    @Test("matches the reference implementation's golden values for keys 0…19 over 100 buckets")
    func golden100() {
        let expected = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83]
        #expect((0..<20).map { JumpConsistentHash.bucket(forKey: UInt64($0), bucketCount: 100) } == expected)
    }

    @Test(
        "matches published values for large keys and bucket counts",
        arguments: [
            (10_863_919_174_838_991, 11, 6), (2_016_238_256_797_177_309, 11, 3),
            (1_673_758_223_894_951_030, 11, 5), (2, 100_001, 80343), (2201, 100_001, 22152), (2202, 100_001, 15018),
            (123_456, 1000, 984),
        ] as [(UInt64, Int, Int)])
    func published(key: UInt64, buckets: Int, expected: Int) {
        #expect(JumpConsistentHash.bucket(forKey: key, bucketCount: buckets) == expected)
    }

    @Test(
        "matches published tables for 1…n buckets",
        arguments: [
            (1, [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17]),
            (0xdead_beef, [0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16]),
            (0x0ddc_0ffe_ebad_f00d, [0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15]),
        ] as [(UInt64, [Int])])
    func tables(key: UInt64, expected: [Int]) {
        let actual = expected.indices.map { JumpConsistentHash.bucket(forKey: key, bucketCount: $0 + 1) }
        #expect(actual == expected)
    }

    @Test(
        "hashes owners with FNV-1a 64",
        arguments: [("", 0xcbf2_9ce4_8422_2325), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)]
            as [(String, UInt64)])
    func fnv(text: String, expected: UInt64) {
        #expect(ShardRouter.fnv1a64(text) == expected)
    }

    /// Deterministic owner names shaped like app UUIDs.
    private static let owners = (0..<20_000).map { "app-\($0 * 7919)-\(($0 * 104_729) % 65_521)" }

    @Test("spreads owners evenly over the shards", arguments: [2, 3, 8])
    func distribution(shardCount: Int) {
        let router = ShardRouter(shardCount: shardCount)
        var perShard = [Int](repeating: 0, count: shardCount)
        for owner in Self.owners { perShard[router.shard(forOwner: owner)] += 1 }
        let fair = Double(Self.owners.count) / Double(shardCount)
        #expect(perShard.allSatisfy { abs(Double($0) - fair) < fair * 0.05 }, "per shard: \(perShard)")
    }

    @Test(
        "growing from n to n + 1 shards moves about 1 / (n + 1) of the owners, all to the new shard", arguments: 1...7)
    func growth(from shardCount: Int) {
        let before = ShardRouter(shardCount: shardCount)
        let after = ShardRouter(shardCount: shardCount + 1)
        var moved = 0
        for owner in Self.owners {
            let old = before.shard(forOwner: owner)
            let new = after.shard(forOwner: owner)
            guard old != new else { continue }
            moved += 1
            #expect(new == shardCount, "an owner moved between existing shards")
        }
        let expected = Double(Self.owners.count) / Double(shardCount + 1)
        #expect(abs(Double(moved) - expected) < expected * 0.1, "moved \(moved), expected about \(Int(expected))")
    }

    @Test("one shard takes every owner")
    func single() {
        #expect(Self.owners.prefix(100).allSatisfy { ShardRouter(shardCount: 1).shard(forOwner: $0) == 0 })
    }
}
