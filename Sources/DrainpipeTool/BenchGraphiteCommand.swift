import ArgumentParser
import DrainpipeWorkloads
import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `drainpipe bench-graphite`: many Graphite TCP clients connecting and sending at once against a running ingress.
struct BenchGraphiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-graphite",
        abstract:
            "Open many Graphite plaintext connections at once, send datapoints, report connect times and updates/s.",
        discussion: """
            Every connection connects at the same moment, sends `AUTH <token>` and its lines in writes of \
            --lines-per-write, then closes. With --metrics-url the run also waits until ingress's \
            drainpipe_graphite_datapoints_total counter (datapoints acknowledged by Kafka) has grown by every line sent.
            """)

    @Option(help: "Ingress host.")
    var host = "127.0.0.1"
    @Option(help: "Graphite TCP port of ingress.")
    var port = 2003
    @Option(help: "Graphite token of the tenant (tenants file, graphite_tokens).")
    var token = "local-graphite-ops"
    @Option(help: "Concurrent connections.")
    var connections = 600
    @Option(help: "Datapoints each connection sends.")
    var linesPerConnection = 1_000
    @Option(help: "Datapoints per socket write.")
    var linesPerWrite = 100
    @Option(help: "Distinct metric paths each connection cycles through (1 000 or more: every line a new path).")
    var pathsPerConnection = 10
    @Option(help: "Ingress's Prometheus endpoint, e.g. http://127.0.0.1:5000/metrics, to wait for durability.")
    var metricsURL: String?

    func validate() throws {
        guard pathsPerConnection > 0 else { throw ValidationError("--paths-per-connection must be at least 1") }
    }

    func run() async throws {
        let total = connections * linesPerConnection
        var before: Int?
        if let metricsURL { before = try await Self.acknowledgedDatapoints(at: metricsURL) }
        let now = Int(Date().timeIntervalSince1970)
        let clock = ContinuousClock()
        let barrier = Barrier(parties: connections)
        let probes = ProbeLog()
        progress("bench: \(connections) connections connecting at once, then sending")
        var sendStarted = clock.now
        var sendDuration = Duration.zero
        let (stormTimes, probeTimes) = try await withThrowingTaskGroup(of: Duration?.self) { group in
            for connection in 0..<connections {
                group.addTask {
                    try await send(connection: connection, timestamp: now, clock: clock, barrier: barrier)
                }
            }
            // Probes: one fresh connection every 5 ms while the senders send, to measure connect time under load.
            group.addTask {
                await barrier.waitForAll()
                while probes.isSending {
                    let started = clock.now
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connect(host: host, port: port).get()
                    let connected = clock.now - started
                    probes.record(connected)
                    try await channel.close()
                    try await Task.sleep(for: .milliseconds(5))
                }
                return nil
            }
            await barrier.waitForAll()
            sendStarted = clock.now
            var storm: [Duration] = []
            for try await time in group {
                if let time { storm.append(time) }
                if storm.count == connections, probes.isSending {
                    sendDuration = clock.now - sendStarted
                    probes.stop()
                }
            }
            return (storm, probes.times)
        }
        var sent = BenchmarkResult(
            "connections: \(connections), datapoints written to sockets after all connected", count: total,
            unit: "datapoints", cpuClock: nil)
        sent.record(wallSeconds: sendDuration.inSeconds)
        say(sent.line)
        let storm = TimeSamples(stormTimes.map(\.inSeconds))
        say("connect time, all \(connections) connecting at once: \(storm.millisecondPercentiles)")
        let probed = TimeSamples(probeTimes.map(\.inSeconds))
        say(
            "connect time, \(probeTimes.count) probe connections while the \(connections) send: "
                + probed.millisecondPercentiles)
        guard let metricsURL, let before else { return }
        progress("bench: waiting for Kafka to acknowledge all \(total) datapoints")
        while try await Self.acknowledgedDatapoints(at: metricsURL) - before < total {
            guard clock.now - sendStarted < .seconds(300) else {
                say("gave up waiting for Kafka acknowledgements after 300 s")
                throw ExitCode.failure
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        var durable = BenchmarkResult(
            "durable (acknowledged by Kafka)", count: total, unit: "datapoints", cpuClock: nil)
        durable.record(wallSeconds: (clock.now - sendStarted).inSeconds)
        say(durable.line + " = " + String(format: "%.0f", durable.bestRate * 60) + " per minute")
    }

    /// One client: connects (returning how long that took), waits until every client is connected, then sends.
    private func send(
        connection: Int, timestamp: Int, clock: ContinuousClock, barrier: Barrier
    ) async throws -> Duration {
        let connectStarted = clock.now
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch {
            await barrier.arriveAndWait()  // never leave the others waiting
            throw error
        }
        let connectTime = clock.now - connectStarted
        var batches: [ByteBuffer] = [ByteBuffer(string: "AUTH \(token)\n")]
        var line = 0
        while line < linesPerConnection {
            var batch = ""
            let end = min(linesPerConnection, line + linesPerWrite)
            while line < end {
                let path = "bench.local.svc\(connection % 20).app.h\(connection).m\(line % pathsPerConnection)"
                batch += "\(path) \(line % 997) \(timestamp)\n"
                line += 1
            }
            batches.append(ByteBuffer(string: batch))
        }
        await barrier.arriveAndWait()
        try await channel.executeThenClose { inbound, outbound in
            for batch in batches { try await outbound.write(batch) }
            outbound.finish()
            for try await _ in inbound {}
        }
        return connectTime
    }

    /// The `drainpipe_graphite_datapoints_total` counter of a Prometheus text page.
    static func acknowledgedDatapoints(at url: String) async throws -> Int {
        guard let address = URL(string: url) else { throw ValidationError("--metrics-url is not a URL") }
        let (data, _) = try await URLSession.shared.data(from: address)
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("drainpipe_graphite_datapoints_total ") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return 0
    }
}

/// Holds the clients until every one of them is connected, so they all start sending at the same moment.
private final class Barrier: Sendable {
    private let state: Mutex<(remaining: Int, waiting: [CheckedContinuation<Void, Never>])>

    init(parties: Int) {
        state = Mutex((parties, []))
    }

    /// Called once by each client: counts it and waits for the others.
    func arriveAndWait() async { await wait(arriving: true) }

    /// Waits for all clients without being one.
    func waitForAll() async { await wait(arriving: false) }

    private func wait(arriving: Bool) async {
        await withCheckedContinuation { continuation in
            let released: [CheckedContinuation<Void, Never>] = state.withLock { state in
                if arriving { state.remaining -= 1 }
                state.waiting.append(continuation)
                guard state.remaining <= 0 else { return [] }
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in released { waiter.resume() }
        }
    }
}

/// Connect times of the probe connections, and whether the senders are still sending.
private final class ProbeLog: Sendable {
    private let state = Mutex<(isSending: Bool, times: [Duration])>((true, []))

    var isSending: Bool { state.withLock { $0.isSending } }
    var times: [Duration] { state.withLock { $0.times } }

    func record(_ time: Duration) { state.withLock { $0.times.append(time) } }
    func stop() { state.withLock { $0.isSending = false } }
}
