import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Synchronization

/// One thing a process needs before it can do its work, checked by ``ReadinessMonitor``.
package struct ReadinessCheck: Sendable {
    /// Names the dependency in `/readyz` answers, e.g. `kafka` or `shard 1`.
    package var name: String
    /// Nil when the dependency answered, else why not; must give up within the monitor's interval.
    package var problem: @Sendable () async -> String?

    package init(name: String, problem: @escaping @Sendable () async -> String?) {
        self.name = name
        self.problem = problem
    }
}

/// Answers `GET /readyz` of a process from checks run in the background, so a probe never waits on a broker or
/// database: 200 `ready` when the last round of every check passed, else 503 with one line per failing check.
///
/// Until the first round has finished every check reports "not checked yet", so a process that just started is not
/// ready. Runs as a service: one round at start, then one every `interval`, the checks of a round concurrently.
package final class ReadinessMonitor: Service {
    private let checks: [ReadinessCheck]
    private let interval: Duration
    private let problems: Mutex<[String]>

    package init(checks: [ReadinessCheck], interval: Duration = .seconds(5)) {
        self.checks = checks
        self.interval = interval
        problems = Mutex(checks.map { "\($0.name): not checked yet" })
    }

    /// The failing checks of the last round, in the order of `checks`; empty when ready.
    package var currentProblems: [String] { problems.withLock { $0 } }

    /// Runs one round of checks now and keeps its result.
    package func checkNow() async {
        let found = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await check.problem().map { "\(check.name): \($0)" }) }
            }
            var found = [String?](repeating: nil, count: checks.count)
            for await (index, problem) in group { found[index] = problem }
            return found.compactMap { $0 }
        }
        problems.withLock { $0 = found }
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await checkNow()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// Registers `GET /readyz` answered from the last round.
    package func register(on router: Router<BasicRequestContext>) {
        router.get("/readyz") { _, _ in Self.answer(problems: self.currentProblems) }
    }

    /// 200 `ready`, or 503 listing `problems` one per line; shared with the sinks' readiness.
    package static func answer(problems: [String]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        let body = problems.isEmpty ? "ready\n" : problems.joined(separator: "\n") + "\n"
        return Response(
            status: problems.isEmpty ? .ok : .serviceUnavailable, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
