import DrainpipeWorkloads
import Foundation

/// Runs the rounds of the `drainpipe bench*` benchmarks and prints their figures in one format.
struct BenchmarkHarness {
    /// Rounds per benchmark unless one asks for its own number.
    let rounds: Int

    /// Runs `body` `rounds` times (at least once), `reset` untimed before each round, and announces the stage on
    /// standard error.
    func run(
        _ name: String, count: Int, unit: String, cpuClock: CPUClock? = .thread, rounds: Int? = nil,
        reset: () -> Void = {}, measuring body: () throws -> Void
    ) rethrows -> BenchmarkResult {
        let rounds = max(1, rounds ?? self.rounds)
        announce(name, rounds: rounds)
        var result = BenchmarkResult(name, count: count, unit: unit, cpuClock: cpuClock)
        for _ in 0..<rounds {
            reset()
            try result.time(body)
        }
        return result
    }

    /// Runs `body` once per round, numbered from 1, announcing each round on standard error: for a benchmark that
    /// times several things in every round (with `BenchmarkResult.time`), so that the machine's noise
    /// falls on all of them alike.
    func forEachRound(_ body: (Int) throws -> Void) rethrows {
        let rounds = max(1, rounds)
        for round in 1...rounds {
            progress("bench: round \(round) of \(rounds)")
            try body(round)
        }
    }

    private func announce(_ name: String, rounds: Int) {
        progress("bench: \(name.trimmingCharacters(in: .whitespaces)), \(rounds) round\(rounds == 1 ? "" : "s")")
    }
}

/// Which CPU time a benchmark reads beside the wall clock.
enum CPUClock {
    /// The measuring thread's: all of a body that runs on it alone, and steady on a busy machine.
    case thread
    /// The whole process's: for a body that runs threads or tasks of its own.
    case process

    var label: String {
        switch self {
        case .thread: "thread CPU"
        case .process: "process CPU"
        }
    }

    /// CPU seconds used so far.
    func seconds() -> Double {
        var spec = timespec()
        clock_gettime(self == .thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// The rounds of one benchmark: wall-clock and CPU seconds of each, over `count` `unit`s per round.
struct BenchmarkResult {
    let name: String
    let count: Int
    let unit: String
    /// The CPU time read beside the wall clock; nil for a figure timed outside the harness.
    let cpuClock: CPUClock?
    private(set) var wall = TimeSamples()
    private(set) var cpu = TimeSamples()

    init(_ name: String, count: Int, unit: String, cpuClock: CPUClock? = .thread) {
        self.name = name
        self.count = count
        self.unit = unit
        self.cpuClock = cpuClock
    }

    /// Times one round of `body`; returns its wall-clock seconds.
    @discardableResult
    mutating func time(_ body: () throws -> Void) rethrows -> Double {
        let round = startRound()
        try body()
        return finish(round)
    }

    /// Where a round began, by the wall clock and the CPU clock.
    struct RoundStart {
        fileprivate let wall: ContinuousClock.Instant
        fileprivate let cpuSeconds: Double?
    }

    /// Starts timing a round that cannot be passed to ``time(_:)``, such as an asynchronous one; ``finish(_:)``
    /// records it.
    func startRound() -> RoundStart {
        RoundStart(wall: .now, cpuSeconds: cpuClock?.seconds())
    }

    /// Records the round begun at `start`; returns its wall-clock seconds.
    @discardableResult
    mutating func finish(_ start: RoundStart) -> Double {
        let elapsed = (ContinuousClock.now - start.wall).inSeconds
        if let cpuClock, let cpuStart = start.cpuSeconds { cpu.record(cpuClock.seconds() - cpuStart) }
        wall.record(elapsed)
        return elapsed
    }

    /// Records a round timed elsewhere, by the wall clock only.
    mutating func record(wallSeconds: Double) {
        wall.record(wallSeconds)
    }

    /// `count` per second in the best round by the wall clock.
    var bestRate: Double { rate(in: wall.best) }

    /// "name: 200000 lines in 0.131 s = 1526718 lines/s (thread CPU 0.116 s = 1724138 lines/s)", then with several
    /// rounds ", best of 5; median 1490000 lines/s (thread CPU 1700000 lines/s)".
    var line: String {
        var line = "\(name): \(count) \(unit) in \(Self.seconds(wall.best)) = \(rateFigure(wall.best))"
        if let cpuClock, let best = cpu.best {
            line += " (\(cpuClock.label) \(Self.seconds(best)) = \(rateFigure(best)))"
        }
        guard wall.count > 1 else { return line }
        line += ", best of \(wall.count); median \(rateFigure(wall.median))"
        if let cpuClock, let median = cpu.median { line += " (\(cpuClock.label) \(rateFigure(median)))" }
        return line
    }

    /// "label: 1.08× (thread CPU 1.10×)": the best rate as a multiple of the baseline's best rate, by the wall clock
    /// and, where both read the same CPU clock, by CPU time.
    func ratio(to baseline: BenchmarkResult, label: String) -> String {
        var line = label + ": " + Self.multiple(Throughput.ratio(bestRate, to: baseline.bestRate))
        if let cpuClock, cpuClock == baseline.cpuClock, let best = cpu.best, let baselineBest = baseline.cpu.best {
            let cpuRatio = Throughput.ratio(rate(in: best), to: baseline.rate(in: baselineBest))
            line += " (\(cpuClock.label) \(Self.multiple(cpuRatio)))"
        }
        return line
    }

    private func rate(in seconds: Double?) -> Double { Throughput.rate(count, in: seconds ?? .nan) }

    private func rateFigure(_ seconds: Double?) -> String { String(format: "%.0f", rate(in: seconds)) + " \(unit)/s" }

    static func seconds(_ value: Double?) -> String { String(format: "%.3f s", value ?? .nan) }

    private static func multiple(_ ratio: Double) -> String { String(format: "%.2f×", ratio) }
}

extension TimeSamples {
    /// "p50 … ms, p99 … ms, max … ms".
    var millisecondPercentiles: String {
        guard let p50 = percentile(50), let p99 = percentile(99), let max = percentile(100) else { return "no samples" }
        return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", p50 * 1000, p99 * 1000, max * 1000)
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
