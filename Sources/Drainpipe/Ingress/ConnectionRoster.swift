import Synchronization

/// The open connections of one listener, kept under a global cap and a per-source-address cap.
///
/// A connection is *evictable* while it has not proved it is doing work (HTTP: no request in progress; Graphite: not
/// yet authenticated). When the global cap is reached, a new connection takes the slot of the connection that has been
/// evictable the longest, which is closed; only when every slot is busy is the new connection refused. So idle and
/// silent connections can never lock out a well-behaved client, however many an attacker opens, while the number of
/// descriptors stays at the cap. The per-source cap is checked first and never evicts.
package final class ConnectionRoster: Sendable {
    /// What a listener does with a new connection.
    package enum Admission: Sendable, Equatable {
        case admitted(id: UInt64)
        case refused(Refusal)
    }

    package enum Refusal: Sendable, Equatable {
        /// Every slot is held by a connection doing work.
        case overGlobalCap
        /// The peer address already holds its share.
        case overSourceCap
    }

    private struct Entry {
        var source: String
        /// Monotonic sequence number of the moment it last became evictable; nil while busy.
        var evictableSince: UInt64?
        var close: @Sendable () -> Void
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var countBySource: [String: Int] = [:]
        var nextID: UInt64 = 1
        var sequence: UInt64 = 0
    }

    package let maximumConnections: Int
    /// Nil: no per-source cap (the HTTP listener sits behind a router, whose few addresses carry every client).
    package let maximumConnectionsPerSource: Int?
    private let state = Mutex(State())

    package init(maximumConnections: Int, maximumConnectionsPerSource: Int? = nil) {
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerSource = maximumConnectionsPerSource
    }

    /// Admits a connection from `source` (evictable at first), evicting the longest-evictable one at the global cap.
    ///
    /// - Parameter close: closes the connection when it is evicted; called outside the roster's lock.
    /// - Returns: the admission, and whether a connection was evicted to make room.
    package func admit(source: String, close: @escaping @Sendable () -> Void) -> (Admission, evicted: Bool) {
        let (admission, evicted) = state.withLock { state -> (Admission, Entry?) in
            if let perSource = maximumConnectionsPerSource, state.countBySource[source, default: 0] >= perSource {
                return (.refused(.overSourceCap), nil)
            }
            var evicted: Entry?
            if state.entries.count >= maximumConnections {
                let oldest = state.entries.compactMap { id, entry in entry.evictableSince.map { (id, $0) } }
                    .min { $0.1 < $1.1 }
                guard let (victim, _) = oldest else { return (.refused(.overGlobalCap), nil) }
                evicted = Self.remove(victim, from: &state)
            }
            let id = state.nextID
            state.nextID += 1
            state.sequence += 1
            state.entries[id] = Entry(source: source, evictableSince: state.sequence, close: close)
            state.countBySource[source, default: 0] += 1
            return (.admitted(id: id), evicted)
        }
        evicted?.close()
        return (admission, evicted != nil)
    }

    /// Marks the connection busy (not evictable) or idle again (evictable from now).
    package func setBusy(_ id: UInt64, _ busy: Bool) {
        state.withLock { state in
            // One hash lookup: the HTTP listener calls this twice per request.
            guard let index = state.entries.index(forKey: id) else { return }
            if busy {
                state.entries.values[index].evictableSince = nil
            } else if state.entries.values[index].evictableSince == nil {
                state.sequence += 1
                state.entries.values[index].evictableSince = state.sequence
            }
        }
    }

    /// Whether the connection is still open and evictable (for a Graphite connection: not yet authenticated).
    package func isEvictable(_ id: UInt64) -> Bool {
        state.withLock { $0.entries[id]?.evictableSince != nil }
    }

    /// Forgets a closed connection; a connection already evicted is forgotten once.
    package func remove(_ id: UInt64) {
        _ = state.withLock { Self.remove(id, from: &$0) }
    }

    /// The connections held now.
    package var count: Int { state.withLock { $0.entries.count } }

    private static func remove(_ id: UInt64, from state: inout State) -> Entry? {
        guard let entry = state.entries.removeValue(forKey: id) else { return nil }
        let remaining = state.countBySource[entry.source, default: 1] - 1
        state.countBySource[entry.source] = remaining > 0 ? remaining : nil
        return entry
    }
}
