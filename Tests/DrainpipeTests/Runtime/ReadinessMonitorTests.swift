import DrainpipeTestSupport
import HTTPTypes
import Hummingbird
import Testing

@testable import Drainpipe

/// `/readyz` answered from the last round of background checks.
@Suite("Readiness monitor")
struct ReadinessMonitorTests {
    @Test("not ready before the first round; then the failing checks by name, in order, or ready")
    func rounds() async {
        let brokerDown = SynchronizedBox(true)
        let monitor = ReadinessMonitor(checks: [
            ReadinessCheck(name: "kafka") { brokerDown.value ? "no broker answered" : nil },
            ReadinessCheck(name: "shard 0") { nil },
            ReadinessCheck(name: "shard 1") { "connection refused" },
        ])
        #expect(
            monitor.currentProblems == [
                "kafka: not checked yet", "shard 0: not checked yet", "shard 1: not checked yet",
            ])
        await monitor.checkNow()
        #expect(monitor.currentProblems == ["kafka: no broker answered", "shard 1: connection refused"])
        let answer = ReadinessMonitor.answer(problems: monitor.currentProblems)
        #expect(answer.status == .serviceUnavailable)

        brokerDown.update { $0 = false }
        await monitor.checkNow()
        #expect(monitor.currentProblems == ["shard 1: connection refused"])
        #expect(ReadinessMonitor.answer(problems: []).status == .ok)
    }
}
