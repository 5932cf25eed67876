import Drainpipe
import Testing

@Suite("ReconnectGate")
struct ReconnectGateTests {
    private let start = ContinuousClock.now

    @Test("stays open until a failure, then closes for exactly its interval")
    func closesForTheInterval() {
        var gate = ReconnectGate(interval: .seconds(5), maximumInterval: .seconds(60))
        #expect(gate.closedUntil(now: start) == nil)
        let newOutage = gate.recordFailure(at: start)
        #expect(newOutage)
        #expect(gate.closedUntil(now: start) == start + .seconds(5))
        #expect(gate.closedUntil(now: start + .milliseconds(4999)) == start + .seconds(5))
        #expect(gate.closedUntil(now: start + .seconds(5)) == nil)
    }

    @Test("each further failure in a row doubles the wait up to the maximum; a success resets it")
    func backsOffAndReopens() {
        var gate = ReconnectGate(interval: .seconds(1), maximumInterval: .seconds(5))
        var now = start
        var waits: [Duration] = []
        var newOutages: [Bool] = []
        for _ in 0..<5 {
            newOutages.append(gate.recordFailure(at: now))
            let reopens = gate.closedUntil(now: now) ?? now
            waits.append(reopens - now)
            now = reopens
        }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(newOutages == [true, false, false, false, false])
        gate.recordSuccess()
        #expect(gate.closedUntil(now: now) == nil)
        let afterSuccess = gate.recordFailure(at: now)
        #expect(afterSuccess)
        #expect(gate.closedUntil(now: now) == now + .seconds(1))
    }
}
