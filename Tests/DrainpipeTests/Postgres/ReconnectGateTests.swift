import Drainpipe
import Testing

@Suite("ReconnectGate")
struct ReconnectGateTests {
    private let start = ContinuousClock.now

    @Test("stays open until a failure, then closes for exactly its interval")
    func closesForTheInterval() {
        var gate = ReconnectGate(interval: .seconds(5))
        #expect(gate.closedUntil(now: start) == nil)
        let newOutage = gate.recordFailure(at: start)
        #expect(newOutage)
        #expect(gate.closedUntil(now: start) == start + .seconds(5))
        #expect(gate.closedUntil(now: start + .milliseconds(4999)) == start + .seconds(5))
        #expect(gate.closedUntil(now: start + .seconds(5)) == nil)
    }

    @Test("a failure of the next attempt closes it again without counting as a new outage; a success reopens it")
    func reclosesAndReopens() {
        var gate = ReconnectGate(interval: .seconds(1))
        gate.recordFailure(at: start)
        let reclosedAsNewOutage = gate.recordFailure(at: start + .seconds(1))
        #expect(!reclosedAsNewOutage)
        #expect(gate.closedUntil(now: start + .milliseconds(1500)) == start + .seconds(2))
        gate.recordSuccess()
        #expect(gate.closedUntil(now: start + .milliseconds(1500)) == nil)
        let afterSuccess = gate.recordFailure(at: start + .seconds(3))
        #expect(afterSuccess)
    }

    @Test("closes on lost or refused connections and statement timeouts, not on bad data or constraint errors")
    func whichFailuresClose() {
        #expect(ReconnectGate.closes(on: .connectFailed(host: "h:5432", reason: "refused")))
        #expect(ReconnectGate.closes(on: .connectionLost(reason: "eof")))
        #expect(ReconnectGate.closes(on: .queryFailed(sqlState: .queryCanceled, message: "statement timeout")))
        #expect(ReconnectGate.closes(on: .copyRejected(table: "t", sqlState: .queryCanceled, detail: "statement timeout")))
        #expect(!ReconnectGate.closes(on: .queryFailed(sqlState: .uniqueViolation, message: "m")))
        #expect(!ReconnectGate.closes(on: .invalidValue(table: "t", reason: "r")))
    }
}
