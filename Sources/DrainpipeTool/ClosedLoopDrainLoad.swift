import DrainpipeCore
import DrainpipeWorkloads
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// `drainpipe load --senders N`: log-shuttle's shape. N senders each keep one HTTP/1.1 connection and post a drain
/// batch, wait for its answer, and post the next, for a fixed time; prints lines/s, request latency percentiles and,
/// given the ingress's process id, the ingress's CPU seconds per million lines (from `/proc/<pid>/stat`).
///
/// The bodies are generated before the clock starts (a few distinct ones, reused round-robin, each request with its
/// own `Logplex-Frame-Id`), so the client's own cost is one write and one small read per request.
struct ClosedLoopDrainLoad {
    var host: String
    var port: Int
    var path: String
    var authorization: String
    var drainToken: String?
    var senders: Int
    var duration: Duration
    var bodies: [(bytes: [UInt8], frames: Int)]
    var ingressPID: Int?

    /// What the run measured.
    struct Outcome {
        var acceptedLines = 0
        var requests = 0
        var failures = 0
        var statuses: [Int: Int] = [:]
        var latencies = TimeSamples()
        var wallSeconds = 0.0
        var ingressCPUSeconds: Double?
    }

    func run() async throws -> Outcome {
        let clock = ContinuousClock()
        let cpuBefore = ingressPID.flatMap(Self.cpuSeconds(ofProcess:))
        let started = clock.now
        let deadline = started + duration
        let results = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for sender in 0..<senders {
                group.addTask { try await send(as: sender, until: deadline, clock: clock) }
            }
            var total = Outcome()
            for try await outcome in group {
                total.acceptedLines += outcome.acceptedLines
                total.requests += outcome.requests
                total.failures += outcome.failures
                total.statuses.merge(outcome.statuses, uniquingKeysWith: +)
                for seconds in outcome.latencies.seconds { total.latencies.record(seconds) }
            }
            return total
        }
        var outcome = results
        outcome.wallSeconds = (clock.now - started).inSeconds
        if let cpuBefore, let cpuAfter = ingressPID.flatMap(Self.cpuSeconds(ofProcess:)) {
            outcome.ingressCPUSeconds = cpuAfter - cpuBefore
        }
        return outcome
    }

    /// One sender: one kept-alive connection, one request at a time.
    private func send(
        as sender: Int, until deadline: ContinuousClock.Instant, clock: ContinuousClock
    ) async throws
        -> Outcome
    {
        var outcome = Outcome()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var responses = HTTPResponseReader(inbound.makeAsyncIterator())
            var index = sender
            while clock.now < deadline {
                let body = bodies[index % bodies.count]
                let request = KeepAliveHTTPClient.drainRequest(
                    path, host: "\(host):\(port)", body: body.bytes, frames: body.frames, frameID: "\(sender)-\(index)",
                    authorization: authorization, drainToken: drainToken)
                let sent = clock.now
                try await outbound.write(request)
                let status = try await responses.next().status
                outcome.latencies.record((clock.now - sent).inSeconds)
                outcome.requests += 1
                outcome.statuses[status, default: 0] += 1
                if (200..<300).contains(status) { outcome.acceptedLines += body.frames } else { outcome.failures += 1 }
                index += senders
            }
        }
        return outcome
    }

    /// utime + stime of a process, in seconds (`/proc/<pid>/stat` fields 14 and 15, in clock ticks).
    static func cpuSeconds(ofProcess pid: Int) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
