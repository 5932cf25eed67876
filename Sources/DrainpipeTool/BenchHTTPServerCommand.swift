import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `drainpipe bench-http-server`: the ingress's HTTP stack with an empty drain handler, to price the HTTP layer.
struct BenchHTTPServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-http-server",
        abstract: "Serve POST /logs with an empty 204 through the ingress's HTTP stack, for benchmarks.",
        discussion: """
            The listener, connection guard, refusal middleware and router are the ingress's own, and the handler \
            reads the whole body as the drain route does, then answers 204 without parsing or producing anything. \
            `wrk` against it and against a real ingress (deploy/bench-ingress) shows what the HTTP layer costs per \
            request. Never a production route: this command serves nothing else. Stop it with Ctrl-C or SIGTERM.
            """)

    @Option(help: "The port to listen on.")
    var port = 15090

    @Option(help: "Largest body read, in bytes.")
    var maximumBodyBytes = 4 << 20

    func run() async throws {
        let observability = Observability.bootstrap(
            process: "bench-http-server", dyno: "local.1",
            logLevel: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "warning")
        var problems: [ConfigurationError.Problem] = []
        let limits = IngressLimits(environment: Environment(ProcessInfo.processInfo.environment), noting: &problems)
        guard problems.isEmpty else { throw ValidationError("\(problems)") }
        let server = GuardedHTTP1Channel.builder(
            limits: limits.http, roster: ConnectionRoster(maximumConnections: limits.http.maximumConnections),
            metrics: ListenerMetrics(listener: "http", factory: observability.metrics), logger: observability.logger)
        let maximumBodyBytes = maximumBodyBytes
        let application = HTTPApplication.make(port: HTTPPort(port), observability: observability, server: server) {
            router in
            router.post("/logs") { request, _ -> Response in
                var request = request
                _ = try await request.collectBody(upTo: maximumBodyBytes)
                return Response(status: .noContent)
            }
        }
        say("empty drain handler on http://127.0.0.1:\(port)/logs")
        try await observability.run([application])
    }
}
