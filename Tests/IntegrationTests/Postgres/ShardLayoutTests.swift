import Logging
import Testing

@testable import Drainpipe
@testable import DrainpipePostgres

/// A changed `DATABASE_SHARD_URLS` (a shard added, removed or moved) is refused with a message, never followed
/// silently: each shard remembers its position and the list's length.
@Suite("Shard layout")
struct ShardLayoutTests {
    static func database(_ shards: [ScratchDatabase]) -> ShardedDatabase {
        ShardedDatabase(shards: shards.map(\.url), logger: Logger(label: "drainpipe.tests.layout"))
    }

    static func mismatch(_ shards: [ScratchDatabase]) async throws -> ShardLayout.Mismatch? {
        do {
            try await database(shards).verifyLayout(names: shards.map(\.name), logger: Logger(label: "layout"))
            return nil
        } catch let mismatch as ShardLayout.Mismatch {
            return mismatch
        }
    }

    @Test("the first start records each shard's position; the same list passes again; a changed list is refused")
    func changedListRefused() async throws {
        let shards = try (0..<3).map { _ in try ScratchDatabase.create("layout") }
        defer { for shard in shards { try? shard.drop() } }
        let (a, b, c) = (shards[0], shards[1], shards[2])

        #expect(try await Self.mismatch([a, b]) == nil)
        #expect(try await Self.mismatch([a, b]) == nil)

        let grown = try #require(try await Self.mismatch([a, b, c]))
        #expect(grown.shard == a.name)
        #expect(grown.expected == ShardLayout(index: 0, count: 3))
        #expect(grown.recorded == ShardLayout(index: 0, count: 2))
        #expect(grown.description.contains("shard 1 of 3") && grown.description.contains("shard 1 of 2"))

        let reordered = try #require(try await Self.mismatch([b, a]))
        #expect(reordered.shard == b.name && reordered.recorded == ShardLayout(index: 1, count: 2))

        let shrunk = try #require(try await Self.mismatch([a]))
        #expect(shrunk.recorded == ShardLayout(index: 0, count: 2))

        // A deliberate reshard: the operator clears the records, and the new list is recorded.
        for shard in [a, b] { try shard.connect().execute("DELETE FROM public.drainpipe_shard_layout") }
        #expect(try await Self.mismatch([a, b, c]) == nil)
        #expect(try await Self.mismatch([a, b, c]) == nil)
    }
}
