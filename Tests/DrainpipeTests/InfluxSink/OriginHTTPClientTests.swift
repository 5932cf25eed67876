import DrainpipeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import Drainpipe

/// The influx-sink's HTTP client against a loopback server that misbehaves on request: keep-alive reuse, a fresh
/// connection after a dropped or silent one, the deadlines, and the status mapping of ``InfluxClient``.
@Suite("influx-sink HTTP client")
struct OriginHTTPClientTests {
    @Test("answers on one kept-alive connection; `Connection: close` makes the next request connect again")
    func reusesConnections() async throws {
        let server = try await MisbehavingServer.start()
        defer { server.stop() }
        let client = server.client()
        for _ in 0..<3 {
            let response = try await client.send(.POST, "/write?db=x", headers: [], body: Array("a v=1\n".utf8))
            #expect(response.status == 204)
        }
        #expect(server.connections == 1)
        #expect(server.bodies == Array(repeating: "a v=1\n", count: 3))
        server.behaviour = .answer(status: 200, body: "{}", close: true)
        _ = try await client.send(.POST, "/query", headers: [], body: [])
        server.behaviour = .answer(status: 204, body: "", close: false)
        _ = try await client.send(.POST, "/query", headers: [], body: [])
        #expect(server.connections == 2)
    }

    @Test("a query's form body encodes `;` and `+`, which InfluxDB's form parser would drop or read as a space")
    func queryFormEncoding() {
        #expect(
            InfluxClient.formEncoded(#"SELECT "v" FROM "m";SELECT 1+1 WHERE a='é~'"#)
                == "SELECT%20%22v%22%20FROM%20%22m%22%3BSELECT%201%2B1%20WHERE%20a%3D%27%C3%A9~%27")
    }

    @Test("a connection dropped before the answer fails the request; the next one connects afresh and is answered")
    func freshConnectionAfterADrop() async throws {
        let server = try await MisbehavingServer.start()
        defer { server.stop() }
        let client = server.client()
        server.behaviour = .drop
        await #expect(throws: OriginHTTPClient.Failure.self) {
            try await client.send(.POST, "/write", headers: [], body: [1, 2, 3])
        }
        server.behaviour = .answer(status: 204, body: "", close: false)
        #expect(try await client.send(.POST, "/write", headers: [], body: [1]).status == 204)
        #expect(server.connections == 2)
    }

    @Test("a silent server: the request deadline fails the request and closes the connection; the next succeeds")
    func requestDeadline() async throws {
        let server = try await MisbehavingServer.start()
        defer { server.stop() }
        let client = server.client(requestTimeout: .milliseconds(300))
        server.behaviour = .silent
        do {
            _ = try await client.send(.POST, "/write", headers: [], body: [1])
            Issue.record("a silent server answered")
        } catch {
            #expect(error.description.contains("no answer within 0.3 s"), "\(error)")
        }
        server.behaviour = .answer(status: 204, body: "", close: false)
        #expect(try await client.send(.POST, "/write", headers: [], body: [1]).status == 204)
        #expect(server.connections == 2)
    }

    @Test("idle connections closed by a restarted server are replaced without failing a request")
    func serverRestart() async throws {
        let server = try await MisbehavingServer.start()
        defer { server.stop() }
        let client = server.client()
        #expect(try await client.send(.POST, "/write", headers: [], body: [1]).status == 204)
        server.closeAllConnections()
        for _ in 0..<3 {
            #expect(try await client.send(.POST, "/write", headers: [], body: [1]).status == 204)
        }
        #expect(server.connections == 2)
    }

    @Test("a kept connection the server closes at any moment is replaced; no request waits past its deadline")
    func serverClosesKeptConnections() async throws {
        let server = try await MisbehavingServer.start()
        defer { server.stop() }
        let client = server.client(requestTimeout: .seconds(5))
        var failures = 0
        for _ in 0..<200 {
            #expect(try await client.send(.POST, "/write", headers: [], body: [1]).status == 204)
            // Closed while the client may or may not have noticed yet: a request on that connection either never
            // starts (the connection is gone) or is sent once more on a fresh one; it never waits forever.
            server.closeAllConnections()
            do {
                _ = try await client.send(.POST, "/write", headers: [], body: [1])
            } catch {
                failures += 1
            }
        }
        #expect(failures == 0)
    }

    @Test("nothing listening: the request fails with a reason naming the origin, not hanging")
    func refusedConnection() async throws {
        let server = try await MisbehavingServer.start()
        let port = server.port
        server.stop()
        let client = OriginHTTPClient(
            host: "127.0.0.1", port: port, connectTimeout: .seconds(2), requestTimeout: .seconds(5))
        do {
            _ = try await client.send(.POST, "/write", headers: [], body: [1])
            Issue.record("a closed port answered")
        } catch {
            #expect(error.description.hasPrefix("127.0.0.1:\(port): cannot connect"), "\(error)")
        }
    }

    @Test("InfluxClient: 204 written, 400 and 413 rejected, 5xx/401/404 and no answer unavailable; basic auth, gzip")
    func statusMapping() async throws {
        let server = try await MisbehavingServer.start()
        defer { server.stop() }
        let url = try InfluxURL(environmentValue: "http://ops:s%40cret@127.0.0.1:\(server.port)/metrics")
        let client = InfluxClient(url: url, gzip: true, timeout: .seconds(1))
        #expect(await client.write(Array("a v=1\n".utf8)) == .written)
        #expect(server.lastHead?.uri == "/write?db=metrics&precision=s")
        #expect(server.lastHead?.headers["Authorization"] == [try #require(url.authorization)])
        #expect(server.lastHead?.headers["Content-Encoding"] == ["gzip"])
        for status in [400, 413] {
            server.behaviour = .answer(status: status, body: #"{"error":"bad line"}"#, close: false)
            #expect(await client.write([1]) == .rejected(reason: "HTTP \(status): bad line"))
        }
        for status in [500, 503, 401, 404] {
            server.behaviour = .answer(status: status, body: "down", close: false)
            #expect(await client.write([1]) == .unavailable(reason: "HTTP \(status): down"))
        }
        server.behaviour = .silent
        guard case .unavailable(let reason) = await client.write([1]) else {
            Issue.record("a silent server counted as an answer")
            return
        }
        #expect(reason.contains("no answer within 1.0 s") && !reason.contains("s@cret"))
        server.behaviour = .answer(status: 200, body: #"{"results":[{"statement_id":0}]}"#, close: false)
        let results = try await client.query("SHOW DATABASES")
        #expect(results.count == 1 && server.bodies.last == "q=SHOW%20DATABASES")
    }
}

/// A loopback HTTP/1.1 server whose answer to every request is ``behaviour``, counting the connections it accepted.
private final class MisbehavingServer: Sendable {
    enum Behaviour: Sendable {
        case answer(status: Int, body: String, close: Bool)
        /// Reads the request and closes the connection without a byte.
        case drop
        /// Reads the request and never answers.
        case silent
    }

    private struct State {
        var behaviour = Behaviour.answer(status: 204, body: "", close: false)
        var connections = 0
        var open: [any Channel] = []
        var bodies: [String] = []
        var lastHead: HTTPRequestHead?
    }

    private let state = Mutex(State())
    private let listener = Mutex<(any Channel)?>(nil)

    /// The port it listens on (loopback).
    var port: Int { listener.withLock { $0?.localAddress?.port ?? 0 } }

    static func start() async throws -> MisbehavingServer {
        let server = MisbehavingServer()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    server.state.withLock {
                        $0.connections += 1
                        $0.open.append(channel)
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server.listener.withLock { $0 = channel }
        return server
    }

    var behaviour: Behaviour {
        get { state.withLock { $0.behaviour } }
        set { state.withLock { $0.behaviour = newValue } }
    }
    var connections: Int { state.withLock { $0.connections } }
    var bodies: [String] { state.withLock { $0.bodies } }
    var lastHead: HTTPRequestHead? { state.withLock { $0.lastHead } }

    func client(requestTimeout: Duration = .seconds(5)) -> OriginHTTPClient {
        OriginHTTPClient(host: "127.0.0.1", port: port, connectTimeout: .seconds(2), requestTimeout: requestTimeout)
    }

    /// Closes every accepted connection, as a server going away does, and waits until they are closed.
    func closeAllConnections() {
        let open = state.withLock { state in
            defer { state.open = [] }
            return state.open
        }
        for channel in open { try? channel.close().wait() }
    }

    func stop() {
        closeAllConnections()
        try? listener.withLock { $0 }?.close().wait()
    }

    func received(_ head: HTTPRequestHead, _ body: ByteBuffer) -> Behaviour {
        state.withLock { state in
            state.lastHead = head
            state.bodies.append(String(buffer: body))
            return state.behaviour
        }
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: MisbehavingServer
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(server: MisbehavingServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let requestHead):
                head = requestHead
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                guard let head else { return }
                switch server.received(head, body) {
                case .answer(let status, let text, let close):
                    var headers = HTTPHeaders([("Content-Length", "\(text.utf8.count)")])
                    if close { headers.add(name: "Connection", value: "close") }
                    let responseHead = HTTPResponseHead(
                        version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
                    context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                    if !text.isEmpty {
                        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                    }
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    if close { context.close(promise: nil) }
                case .drop:
                    context.close(promise: nil)
                case .silent:
                    break
                }
            }
        }
    }
}
