import DrainpipeCore
import Synchronization

/// Each owner's ``PathCatalog``, loaded from the store and reused for `lifetime`.
///
/// A catalog lists the series with a summary between the start of the range it was loaded for and its load time;
/// it serves later requests whose range starts no earlier, until it is `lifetime` old. So a series that appears for
/// the first time is found by wildcards (and resolved by name) at most `lifetime` later; new minutes of a known
/// series are read from the store on every request. Requests that miss the cache while a load that serves them is
/// under way wait for that load instead of listing the owner's series again (a dashboard's charts ask at once). A
/// catalog holds one owner only, so what one token's requests load or time never depends on another owner's series.
package final class PathCatalogCache: Sendable {
    private struct Entry: Sendable {
        var catalog: PathCatalog
        var coveredFrom: EventTime
        var loadedAt: EventTime
    }

    /// A load under way: the start of the range it lists, and the task listing it.
    private struct Load: Sendable {
        var from: EventTime
        var task: Task<Entry, any Error>
    }

    private let store: any SeriesCatalogStore
    private let clock: any WallClock
    private let lifetime: Duration
    private let entries = Mutex<[String: Entry]>([:])
    private let loads = Mutex<[String: Load]>([:])

    package init(store: any SeriesCatalogStore, clock: any WallClock, lifetime: Duration = .seconds(5)) {
        self.store = store
        self.clock = clock
        self.lifetime = lifetime
    }

    /// The catalog of `owner` covering series with data since `from`.
    package func catalog(owner: TenantDirectory.Owner, from: EventTime) async throws -> PathCatalog {
        let segment = GraphiteNaming.ownerSegment(id: owner.id, name: owner.name)
        let key = owner.id + "\u{1F}" + segment
        let now = clock.now()
        let cached = entries.withLock { $0[key] }
        if let cached, cached.coveredFrom <= from, now - lifetime < cached.loadedAt, cached.loadedAt <= now {
            return cached.catalog
        }
        let load = loads.withLock { loads in
            if let running = loads[key], running.from <= from { return running }
            let started = Load(
                from: from,
                task: Task { [store] in
                    let listed = try await store.storedSeries(owner: owner.id, from: from, to: now + .seconds(60))
                    var catalog = PathCatalog(owner: owner.id, ownerSegment: segment)
                    for (series, events) in listed.sorted(by: { $0.key < $1.key }) {
                        catalog.insert(series, eventNames: events)
                    }
                    return Entry(catalog: catalog, coveredFrom: from, loadedAt: now)
                })
            loads[key] = started
            return started
        }
        defer {
            loads.withLock { loads in
                if loads[key]?.task == load.task { loads[key] = nil }
            }
        }
        let entry = try await load.task.value
        entries.withLock { entries in
            if let current = entries[key], current.loadedAt > entry.loadedAt { return }
            entries[key] = entry
        }
        return entry.catalog
    }
}
