import DrainpipeCore

/// Where a batch is written: a shard, and the session of it that writes the batch's owners.
package struct ShardSession: Hashable, Sendable {
    package var shard: Int
    package var session: Int

    package init(shard: Int, session: Int) {
        self.shard = shard
        self.session = session
    }
}

/// What one transaction writes: the summaries for one session of one shard whose windows start on one UTC day.
package struct SummaryBatch<Item: Sendable>: Sendable {
    package var target: ShardSession
    /// The day schema every item's window starts in.
    package var day: DaySchema
    /// In the order they were given.
    package var items: [Item]

    /// Splits `items` into batches by target (from each owner, through `route`) and by the UTC day their window
    /// starts in: the one place a poll becomes transactions.
    ///
    /// - Returns: the batches of each target, oldest day first, keyed by target.
    package static func split(
        _ items: [Item], summary: (Item) -> Summary, route: (_ owner: String) -> ShardSession
    ) -> [ShardSession: [SummaryBatch]] {
        var grouped: [ShardSession: [DaySchema: [Item]]] = [:]
        for item in items {
            let key = summary(item).key
            grouped[route(key.owner), default: [:]][DaySchema(containing: key.windowStart), default: []].append(item)
        }
        var batches: [ShardSession: [SummaryBatch]] = [:]
        for (target, days) in grouped {
            batches[target] = days.sorted { $0.key < $1.key }.map {
                SummaryBatch(target: target, day: $0.key, items: $0.value)
            }
        }
        return batches
    }
}
