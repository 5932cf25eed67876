import DrainpipeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 client for one plain-HTTP origin (the influx-sink's InfluxDB), on swift-nio.
///
/// One request per connection at a time; a connection whose answer allowed it goes back to a few idle ones kept
/// for reuse (keep-alive), and any failure closes the connection it happened on, so the next request starts on a
/// fresh one. Connecting has a deadline of its own; the whole exchange (sending the body, waiting for and reading
/// the answer) has another, after which the connection is closed. A request on a reused connection that the server
/// had closed meanwhile (an idle connection across a restart) is sent once more on a fresh connection: the
/// influx-sink's requests are idempotent (a point written twice is the same point).
package final class OriginHTTPClient: Sendable {
    /// An answer: status, headers and the whole body.
    package struct Response: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]
    }

    /// Why no answer came; `description` names the origin and never carries credentials or bodies.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    private let host: String
    private let port: Int
    private let connectTimeout: TimeAmount
    private let requestTimeout: TimeAmount
    private let idle = Mutex<[any Channel]>([])
    private static let maximumIdleConnections = 4
    /// Answers larger than this fail the request (InfluxDB's are a few kilobytes to a few megabytes).
    static let maximumBodyBytes = 64 << 20

    package init(host: String, port: Int, connectTimeout: Duration, requestTimeout: Duration) {
        self.host = host
        self.port = port
        self.connectTimeout = .nanoseconds(Int64(connectTimeout.wholeMicroseconds) * 1_000)
        self.requestTimeout = .nanoseconds(Int64(requestTimeout.wholeMicroseconds) * 1_000)
    }

    deinit {
        for channel in idle.withLock({ $0 }) { channel.close(promise: nil) }
    }

    /// `host:port`, for messages.
    package var origin: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Sends one request (`target` is the path and query) and waits for its whole answer.
    package func send(
        _ method: HTTPMethod, _ target: String, headers: [(String, String)], body: [UInt8]
    ) async throws(Failure) -> Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
        head.headers.add(name: "Host", value: origin)
        head.headers.add(name: "Content-Length", value: "\(body.count)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let reused = takeIdleConnection()
        if let reused {
            do {
                return try await exchange(head, body, on: reused)
            } catch let failure as ExchangeFailure where failure.closedBeforeAnswer {
                // The server closed the idle connection; a fresh one below.
            } catch {
                throw Failure(description: "\(origin): \(error)")
            }
        }
        let channel: any Channel
        do {
            channel = try await connect()
        } catch {
            throw Failure(description: "\(origin): cannot connect: \(error)")
        }
        do {
            return try await exchange(head, body, on: channel)
        } catch {
            throw Failure(description: "\(origin): \(error)")
        }
    }

    private func connect() async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
    }

    /// One request and its answer on `channel`; keeps the channel for reuse when the answer allows it, closes it
    /// on any failure or timeout.
    private func exchange(_ head: HTTPRequestHead, _ body: [UInt8], on channel: any Channel) async throws -> Response {
        let answer = channel.eventLoop.makePromise(of: Response.self)
        // The deadline and a failed write complete the answer here, not through the pipeline's handler: a
        // connection that closed after it was taken from the idle ones has no handlers left to hear of either, and
        // the request would wait forever. A promise completed twice keeps its first result.
        let seconds = Double(requestTimeout.nanoseconds) / 1e9
        let timeout = channel.eventLoop.scheduleTask(in: requestTimeout) {
            answer.fail(ExchangeFailure(description: "no answer within \(seconds) s"))
            channel.close(promise: nil)
        }
        answer.futureResult.whenComplete { _ in timeout.cancel() }
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            answer.fail(ExchangeFailure(description: "cannot send: \(error)", closedBeforeAnswer: true))
        }
        channel.writeAndFlush(
            ExchangeHandler.Exchange(head: head, body: channel.allocator.buffer(bytes: body), answer: answer),
            promise: written)
        do {
            let response = try await answer.futureResult.get()
            let keepAlive = !response.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            if keepAlive && channel.isActive {
                keepIdle(channel)
            } else {
                channel.close(promise: nil)
            }
            return response
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    private func takeIdleConnection() -> (any Channel)? {
        while let channel = idle.withLock({ $0.popLast() }) {
            if channel.isActive { return channel }
            channel.close(promise: nil)
        }
        return nil
    }

    private func keepIdle(_ channel: any Channel) {
        let kept = idle.withLock { idle in
            guard idle.count < Self.maximumIdleConnections else { return false }
            idle.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }
}

/// Why an exchange ended without an answer.
private struct ExchangeFailure: Error, CustomStringConvertible {
    var description: String
    /// The connection closed (or failed) before any byte of the answer: the request may not have reached the server.
    var closedBeforeAnswer = false
}

/// The last handler of a client connection: writes one ``Exchange`` at a time and completes its promise with the
/// answer, or fails it when the connection closes or errs first (and closes the connection).
private final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// A request to send and the promise of its answer.
    struct Exchange: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer
        var answer: EventLoopPromise<OriginHTTPClient.Response>
    }

    private var pending: Exchange?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.answer.fail(ExchangeFailure(description: "a request is already in flight on this connection"))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        pending = exchange
        head = nil
        body.clear()
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if exchange.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= OriginHTTPClient.maximumBodyBytes else {
                fail(ExchangeFailure(description: "an answer over \(OriginHTTPClient.maximumBodyBytes) bytes"), context)
                return
            }
            body.writeBuffer(&part)
        case .end:
            guard let exchange = pending, let head else { return }
            // 1xx answers are informational; the real one follows.
            if head.status.code < 200 {
                self.head = nil
                return
            }
            pending = nil
            self.head = nil
            exchange.answer.succeed(
                .init(status: Int(head.status.code), headers: head.headers, body: Array(buffer: body)))
            body.clear()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if pending != nil {
            failPending(
                ExchangeFailure(
                    description: "the connection closed before the answer",
                    closedBeforeAnswer: head == nil && body.readableBytes == 0))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let closedBeforeAnswer = head == nil && body.readableBytes == 0
        fail(ExchangeFailure(description: "\(error)", closedBeforeAnswer: closedBeforeAnswer), context)
    }

    private func fail(_ failure: ExchangeFailure, _ context: ChannelHandlerContext) {
        failPending(failure)
        context.close(promise: nil)
    }

    private func failPending(_ failure: ExchangeFailure) {
        guard let exchange = pending else { return }
        pending = nil
        exchange.answer.fail(failure)
    }
}
