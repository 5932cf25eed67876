import Hummingbird
import Synchronization

/// Whether one sink loop can do its work: its partitions are assigned and its store took the last write.
///
/// `GET /readyz` of a sink process answers 200 `ready` when every loop is, and 503 naming each loop that is not
/// (not yet assigned, or its store failing and why) — while the primary loop hands a failing store's work to the
/// retry topics, it is not ready in this sense, though its offsets keep moving.
package final class SinkReadiness: Sendable {
    package let name: String
    private let destination: any SummaryDestination
    private let assigned = Mutex(false)

    package init(name: String, destination: any SummaryDestination) {
        self.name = name
        self.destination = destination
    }

    func markAssigned() {
        assigned.withLock { $0 = true }
    }

    /// Nil when ready, else why not.
    package var problem: String? {
        guard assigned.withLock({ $0 }) else { return "\(name): partitions not assigned yet" }
        if case .failing(let reason) = destination.health { return "\(name): store failing: \(reason)" }
        return nil
    }

    /// Registers `GET /readyz` over `loops`.
    package static func register(_ loops: [SinkReadiness], on router: Router<BasicRequestContext>) {
        router.get("/readyz") { _, _ in ReadinessMonitor.answer(problems: loops.compactMap(\.problem)) }
    }
}
