import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeWorkloads
import Foundation

/// `drainpipe load`: sends realistic Logplex drain batches (router, runtime, error, l2met and plain app lines) to an
/// ingress.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Send sample Logplex drain requests of mixed line kinds for every owner in a tenants file.",
        discussion: """
            Each request mixes router requests and errors, runtime load and memory samples, R-codes, l2met metric \
            lines and ordinary app output (see DrainTrafficGenerator), so every measurement type shows up. Lines \
            are stamped up to --spread seconds in the past, in shuffled order, so late data is exercised too. \
            Platform events come at chosen times, so charts get a few readable markers: the first request of each \
            owner carries a deploy (release, then every dyno restarting) and a scale, and every --deploy-every \
            seconds another deploy follows. Releases count from 100 × seed (v101, v102… with seed 1), so two runs \
            with different seeds never repeat a version.

            With --senders N it is a benchmark in log-shuttle's shape instead: N senders (log-shuttle's outlets) \
            each post --lines-line batches of the first owner over one kept-alive connection, each waiting for its \
            answer, for --duration seconds; it prints lines/s, request latency p50/p99 and, with --ingress-pid, the \
            ingress's CPU seconds per million lines.
            """)

    @Option(help: "The drain endpoint.")
    var url = "http://127.0.0.1:5000/logs"

    @Option(help: "The tenants file whose owners' drain credentials are used.")
    var tenants = "deploy/local-tenants.yaml"

    @Option(help: "Stop after this many seconds; 0 sends one round of requests.")
    var duration = 0

    @Option(help: "Requests per owner per second.")
    var rate = 1

    @Option(help: "Lines per request.")
    var lines = 100

    @Option(help: "Seconds into the past lines may be stamped (keep it below the late bound of 300 s).")
    var spread = 120

    @Option(help: "Seed of the random generator, for repeatable workloads.")
    var seed: UInt64 = 1

    @Option(help: "Seconds between two deploys (with restarts) of each owner.")
    var deployEvery = 600

    @Option(help: "Concurrent senders posting back to back (log-shuttle's outlets); 0 paces requests by --rate.")
    var senders = 0

    @Option(help: "With --senders: the ingress's process id, to report its CPU seconds per million lines.")
    var ingressPid: Int?

    @Option(help: "With --senders: distinct request bodies generated beforehand and sent round-robin.")
    var distinctBodies = 16

    func run() async throws {
        let directory = try TenantDirectory(contentsOf: tenants)
        let owners = directory.owners.filter { !$0.drainCredentials.isEmpty }
        guard !owners.isEmpty, let endpoint = URL(string: url) else {
            throw ValidationError("Need a valid --url and a tenants file with at least one drain credential.")
        }
        var generator = SplitMix64(seed: seed)
        var traffic = DrainTrafficGenerator(seed: seed, processTypes: ["web", "worker"], dynoEvents: false)
        let clock = SystemWallClock()
        if senders > 0 {
            try await runClosedLoop(
                endpoint: endpoint, owner: owners[0], clock: clock, generator: &generator, traffic: &traffic)
            return
        }
        guard let host = endpoint.host else { throw ValidationError("--url needs a host.") }
        let port = endpoint.port ?? 80
        let target = endpoint.path.isEmpty ? "/" : endpoint.path
        let start = Date()
        var sent = 0
        var failed = 0
        var lineCount = 0
        var statuses: [Int: Int] = [:]
        var round = 0
        // One kept-alive connection for every owner's requests, opened again after it failed.
        var connection: KeepAliveHTTPClient?
        repeat {
            let roundStart = Date()
            for _ in 0..<max(1, rate) {
                for owner in owners {
                    let writer = makeBody(now: clock.now(), round: round, generator: &generator, traffic: &traffic)
                    let frameID = String(format: "%016llX%016llX", generator.next(), generator.next())
                    do {
                        let client: KeepAliveHTTPClient
                        if let connection {
                            client = connection
                        } else {
                            client = try await KeepAliveHTTPClient.connect(host: host, port: port)
                            connection = client
                        }
                        let answer = try await client.postDrain(
                            target, body: writer.body, frames: writer.frameCount, frameID: frameID,
                            authorization: "Basic " + Data(owner.drainCredentials[0].utf8).base64EncodedString(),
                            drainToken: owner.drainTokens.first)
                        statuses[answer.status, default: 0] += 1
                        if answer.status == 204 { lineCount += writer.frameCount } else { failed += 1 }
                    } catch {
                        connection = nil
                        failed += 1
                        statuses[0, default: 0] += 1
                    }
                    sent += 1
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            let statusText = statuses.keys.sorted().map { "\($0 == 0 ? "error" : String($0))×\(statuses[$0]!)" }.joined(
                separator: " ")
            say(
                String(
                    format: "load: %d requests, %d lines accepted, %.0f lines/s, %@", sent, lineCount,
                    Double(lineCount) / max(elapsed, 0.001), statusText))
            round += 1
            let pause = 1 - Date().timeIntervalSince(roundStart)
            if duration > 0, pause > 0 { try await Task.sleep(for: .milliseconds(Int(pause * 1000))) }
        } while duration > 0 && Date().timeIntervalSince(start) < Double(duration)
        if failed > 0 { throw ExitCode(1) }
    }

    /// The log-shuttle-shaped benchmark (`--senders`).
    private func runClosedLoop(
        endpoint: URL, owner: TenantDirectory.Owner, clock: SystemWallClock, generator: inout SplitMix64,
        traffic: inout DrainTrafficGenerator
    ) async throws {
        guard let host = endpoint.host, duration > 0 else {
            throw ValidationError("--senders needs a --url with a host and a --duration above 0.")
        }
        let bodies = (1...max(1, distinctBodies)).map { round in
            let writer = makeBody(now: clock.now(), round: round, generator: &generator, traffic: &traffic)
            return (bytes: writer.body, frames: writer.frameCount)
        }
        let load = ClosedLoopDrainLoad(
            host: host, port: endpoint.port ?? 80, path: endpoint.path.isEmpty ? "/" : endpoint.path,
            authorization: "Basic " + Data(owner.drainCredentials[0].utf8).base64EncodedString(),
            drainToken: owner.drainTokens.first, senders: senders, duration: .seconds(duration), bodies: bodies,
            ingressPID: ingressPid)
        progress("load: \(senders) senders posting \(lines)-line batches for \(duration) s")
        let outcome = try await load.run()
        let statusText = outcome.statuses.keys.sorted().map { "\($0)×\(outcome.statuses[$0]!)" }.joined(separator: " ")
        let latency = outcome.latencies
        say(
            String(
                format: "load: %d senders × %d-line posts: %d requests, %.0f lines/s, latency p50 %.2f ms, "
                    + "p99 %.2f ms, max %.2f ms, %@",
                senders, lines, outcome.requests, Double(outcome.acceptedLines) / max(outcome.wallSeconds, 0.001),
                (latency.percentile(50) ?? 0) * 1000, (latency.percentile(99) ?? 0) * 1000,
                (latency.seconds.max() ?? 0) * 1000, statusText))
        if let cpu = outcome.ingressCPUSeconds, outcome.acceptedLines > 0 {
            say(
                String(
                    format: "load: ingress CPU %.2f s for %d lines = %.2f s per million lines", cpu,
                    outcome.acceptedLines, cpu / Double(outcome.acceptedLines) * 1_000_000))
        }
        if outcome.failures > 0 { throw ExitCode(1) }
    }

    /// The first release number of this run, less one: 100 × seed.
    private var releaseBase: Int { Int(seed % 10_000) * 100 }

    /// The body of one request in round `round`: `lines` lines, plus a deploy and a scale when the round calls for
    /// them.
    private func makeBody(
        now: EventTime, round: Int, generator: inout SplitMix64, traffic: inout DrainTrafficGenerator
    ) -> LogplexFrameWriter {
        var writer = LogplexFrameWriter()
        for _ in 0..<lines {
            let time = now - .milliseconds(Int64(generator.next() % UInt64(max(1, spread) * 1000)))
            traffic.appendLine(to: &writer, time: time)
        }
        if round % max(1, deployEvery) == 0 {
            let deploy = round / max(1, deployEvery)
            DrainTrafficGenerator.appendDeploy(
                to: &writer, time: round == 0 ? now - .seconds(90) : now, version: releaseBase + deploy + 1,
                commit: String(format: "%07llx", generator.next() % 0x1000_0000))
        }
        if round == 0 {
            DrainTrafficGenerator.appendScale(to: &writer, time: now - .seconds(30), formation: "web=2, worker=1")
        }
        return writer
    }
}
