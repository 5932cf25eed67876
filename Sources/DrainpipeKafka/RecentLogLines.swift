import Synchronization

/// The texts librdkafka logged most recently, so an error event repeating one of them is not logged a second time.
///
/// librdkafka reports one broker problem twice: first as a log line (at the level it chose, e.g. `FAIL … Disconnected`)
/// and then as an error event with the same text. Only the first is logged at its level; the repeat goes to `debug`.
/// Errors that librdkafka does not also log (e.g. `_ALL_BROKERS_DOWN`) are never in the list, so they stay visible.
final class RecentLogLines: Sendable {
    private let lines = Mutex<[String]>([])
    private let capacity: Int

    init(capacity: Int = 32) {
        self.capacity = capacity
    }

    /// Remembers a logged text, forgetting the oldest beyond the capacity.
    func remember(_ text: String) {
        lines.withLock { lines in
            if lines.count == capacity { lines.removeFirst() }
            lines.append(text)
        }
    }

    /// Whether `text` was logged recently (a logged line equal to it, or ending with it after a prefix such as
    /// `[thrd:…]: `); a match is forgotten, so the next occurrence of the problem logs again.
    func takeRepeat(of text: String) -> Bool {
        guard !text.isEmpty else { return false }
        return lines.withLock { lines in
            guard let index = lines.lastIndex(where: { $0.hasSuffix(text) }) else { return false }
            lines.remove(at: index)
            return true
        }
    }
}
