import DrainpipeCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes

/// Deadlines and the connection cap of the HTTP listener (see README, "Listener limits").
package struct HTTPListenerLimits: Sendable {
    /// How long a kept-alive connection may wait for its next request (`HTTP_IDLE_TIMEOUT`).
    package var idleTimeout: Duration
    /// How long a request head may take: from the accept for a connection's first request, from the first byte of
    /// the head for later ones (`HTTP_HEAD_TIMEOUT`). A silent new connection is closed; a started head gets 408.
    package var headTimeout: Duration
    /// How long a request body may take from the end of its head (`HTTP_BODY_TIMEOUT`); then 408 and close.
    package var bodyTimeout: Duration
    /// Open connections at most (`HTTP_MAX_CONNECTIONS`); see `ConnectionRoster` for who gets a slot.
    package var maximumConnections: Int
    /// How long a connection answered with `Connection: close` is still read (and discarded) after its output is
    /// shut, so the answer reaches a client that is still sending instead of being lost to a TCP reset.
    package var linger: Duration = .seconds(1)
    /// `Retry-After` of a 503 over the cap.
    package var retryAfterSeconds: Int = 1

    package init(idleTimeout: Duration, headTimeout: Duration, bodyTimeout: Duration, maximumConnections: Int) {
        self.idleTimeout = idleTimeout
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.maximumConnections = maximumConnections
    }
}

/// The error a stalled request body ends with when `HTTP_BODY_TIMEOUT` passes; routes reading the body answer 408.
package struct HTTPBodyDeadlineExceeded: Error, Sendable {}

/// Counters of the connection-level refusals of both listeners, labelled by listener and reason.
package struct ListenerMetrics: Sendable {
    private let factory: any MetricsFactory
    private let listener: String

    package init(listener: String, factory: any MetricsFactory) {
        self.listener = listener
        self.factory = factory
    }

    /// `drainpipe_ingress_connections_closed_total{listener, reason}`: refused over a cap, evicted to make room, or
    /// closed at a deadline.
    package func countClosed(reason: String) {
        Counter(
            label: "drainpipe_ingress_connections_closed_total",
            dimensions: [("listener", listener), ("reason", reason)], factory: factory
        ).increment()
    }

    /// `drainpipe_ingress_accept_failures_total{listener}`: the listener could not accept a connection.
    package func countAcceptFailure() {
        Counter(
            label: "drainpipe_ingress_accept_failures_total", dimensions: [("listener", listener)], factory: factory
        ).increment()
    }
}

/// Hummingbird's HTTP/1 child channel with the listener's deadlines and connection cap in front of it.
///
/// Hummingbird 2.28 offers an idle timeout that is reset by every body part and closes without an answer; it has
/// no head or body deadline and no cap that answers (its `AvailableConnectionsDelegate` stops accepting, which
/// leaves new clients in the backlog). So the guard is a NIO handler of its own: `HTTPConnectionGuard` sees the raw
/// bytes and owns the timers, and `HTTPExchangeObserver`, after the HTTP codec, tells it where each request and
/// response stands.
package struct GuardedHTTP1Channel: ServerChildChannel {
    package typealias Value = HTTP1Channel.Value

    private let base: HTTP1Channel
    private let limits: HTTPListenerLimits
    private let roster: ConnectionRoster
    private let metrics: ListenerMetrics
    private let logger: Logger

    package init(
        responder: @escaping HTTPChannelHandler.Responder, limits: HTTPListenerLimits, roster: ConnectionRoster,
        metrics: ListenerMetrics, logger: Logger
    ) {
        base = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [HTTPExchangeObserver()], idleTimeout: nil))
        self.limits = limits
        self.roster = roster
        self.metrics = metrics
        self.logger = logger
    }

    /// A server builder for `Application(router:server:)`.
    package static func builder(
        limits: HTTPListenerLimits, roster: ConnectionRoster, metrics: ListenerMetrics, logger: Logger
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, limits: limits, roster: roster, metrics: metrics, logger: logger)
        }
    }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let connectionGuard = HTTPConnectionGuard(limits: limits, roster: roster, metrics: metrics, logger: self.logger)
        do {
            try channel.pipeline.syncOperations.addHandler(connectionGuard)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger)
    }

    package func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// The first handler of an HTTP connection: takes a slot in the roster (or answers 503 and closes), and closes the
/// connection at the idle, head and body deadlines.
///
/// Each phase only moves the connection's deadline (a timestamp); one scheduled check per connection compares it with
/// the clock. A check is never armed further ahead than the shortest of the three timeouts, so a deadline a later
/// phase sets is never earlier than the armed check, and a request costs no timer scheduled or cancelled: a check
/// that finds the deadline moved on re-arms itself (at most once per shortest timeout), one that finds none stops.
final class HTTPConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        /// Over the cap: the 503 is written and everything read is discarded until the close.
        case refused
        /// Between requests; `headStarted` once a byte of the next head arrived.
        case awaitingHead(headStarted: Bool)
        /// A request is being read or answered.
        case exchanging
        /// Answered with `Connection: close`: output shut, input discarded until the linger ends.
        case closing
    }

    private let limits: HTTPListenerLimits
    private let roster: ConnectionRoster
    private let metrics: ListenerMetrics
    private let logger: Logger
    private var phase = Phase.awaitingHead(headStarted: false)
    private var connectionID: UInt64?
    /// When the current phase's deadline passes; nil while the application works on the request.
    private var deadline: NIODeadline?
    /// The deadline is the end of the linger: no later phase moves it.
    private var lingering = false
    /// The scheduled check and when it runs.
    private var check: (task: Scheduled<Void>, at: NIODeadline)?
    private let idleTimeout: TimeAmount
    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    /// The shortest of the idle, head and body timeouts: how far ahead a check may be armed.
    private let checkInterval: TimeAmount
    private var readingBody = false
    private var requestsInProgress = 0
    private var requestsServed = 0
    private var closeAfterResponse = false
    private var context: ChannelHandlerContext?
    var observer: HTTPExchangeObserver?

    init(limits: HTTPListenerLimits, roster: ConnectionRoster, metrics: ListenerMetrics, logger: Logger) {
        self.limits = limits
        self.roster = roster
        self.metrics = metrics
        self.logger = logger
        idleTimeout = Self.timeAmount(limits.idleTimeout)
        headTimeout = Self.timeAmount(limits.headTimeout)
        bodyTimeout = Self.timeAmount(limits.bodyTimeout)
        checkInterval = min(idleTimeout, headTimeout, bodyTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopChecking()
        self.context = nil
        observer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let (admission, evicted) = roster.admit(source: channel.remoteAddress?.ipAddress ?? "-") {
            channel.close(promise: nil)
        }
        if evicted { metrics.countClosed(reason: "evicted") }
        switch admission {
        case .admitted(let id):
            connectionID = id
            setDeadline(after: headTimeout)
            context.fireChannelActive()
        case .refused:
            metrics.countClosed(reason: "over_cap")
            phase = .refused
            write(
                status: "503 Service Unavailable", extraHeaders: "Retry-After: \(limits.retryAfterSeconds)\r\n",
                text: "Too many connections; retry shortly.", context: context)
            context.fireChannelActive()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopChecking()
        if let connectionID { roster.remove(connectionID) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .refused, .closing:
            return
        case .awaitingHead(headStarted: false):
            phase = .awaitingHead(headStarted: true)
            // A connection's first head is timed from the accept; a later one from its first byte.
            if requestsServed > 0 { setDeadline(after: headTimeout) }
        case .awaitingHead(headStarted: true), .exchanging:
            break
        }
        context.fireChannelRead(data)
    }

    // MARK: - What the observer reports

    /// - Parameter closeRequested: the request said `Connection: close`; the connection closes after the answer.
    func headReceived(closeRequested: Bool) {
        if closeRequested { closeAfterResponse = true }
        phase = .exchanging
        requestsInProgress += 1
        requestsServed += 1
        readingBody = true
        roster.setBusy(connectionID ?? 0, true)
        setDeadline(after: bodyTimeout)
    }

    func requestEnded() {
        readingBody = false
        // No deadline while the application works on it: the delivery timeout bounds that.
        if !lingering { deadline = nil }
        if requestsInProgress == 0 { becomeIdle() }
    }

    func responseHeadWritten(closesConnection: Bool) {
        if closesConnection { closeAfterResponse = true }
    }

    func responseEnded() {
        requestsInProgress = max(0, requestsInProgress - 1)
        if closeAfterResponse {
            lingerAndClose()
        } else if !readingBody && requestsInProgress == 0 {
            becomeIdle()
        }
    }

    // MARK: - Deadlines

    private func becomeIdle() {
        guard case .exchanging = phase else { return }
        phase = .awaitingHead(headStarted: false)
        roster.setBusy(connectionID ?? 0, false)
        setDeadline(after: idleTimeout)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .microseconds(Int64(clamping: duration.wholeMicroseconds))
    }

    /// Sets the deadline `delay` from now; moves the check earlier only when it would run after the deadline.
    private func setDeadline(after delay: TimeAmount) {
        guard !lingering else { return }
        let now = NIODeadline.now()
        let deadline = now + delay
        self.deadline = deadline
        if let check, check.at <= deadline { return }
        armCheck(at: min(deadline, now + checkInterval))
    }

    private func armCheck(at instant: NIODeadline) {
        guard let context else { return }
        check?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: instant) { [self] in
            check = nil
            checkDeadline()
        }
        check = (task, instant)
    }

    private func stopChecking() {
        check?.task.cancel()
        check = nil
        deadline = nil
    }

    /// Acts on a passed deadline, or re-arms the check for one still ahead.
    private func checkDeadline() {
        guard let deadline else { return }
        let now = NIODeadline.now()
        if now < deadline {
            armCheck(at: min(deadline, now + checkInterval))
        } else {
            self.deadline = nil
            deadlinePassed()
        }
    }

    private func deadlinePassed() {
        guard let context else { return }
        if lingering {
            context.close(promise: nil)
            return
        }
        switch phase {
        case .awaitingHead(headStarted: false):
            metrics.countClosed(reason: requestsServed == 0 ? "silent" : "idle")
            context.close(promise: nil)
        case .awaitingHead(headStarted: true):
            metrics.countClosed(reason: "head_timeout")
            write(
                status: "408 Request Timeout", extraHeaders: "",
                text: "The request head did not arrive in time.", context: context)
        case .exchanging where readingBody:
            metrics.countClosed(reason: "body_timeout")
            closeAfterResponse = true
            observer?.failBody()
            // The route answers 408 and the connection closes after it; a route that does not answer is closed.
            setDeadline(after: Self.timeAmount(limits.linger * 5))
            phase = .exchanging
            readingBody = false
        case .exchanging, .refused, .closing:
            context.close(promise: nil)
        }
    }

    /// Writes a whole response straight to the socket (no request is being answered), then lingers and closes.
    private func write(status: String, extraHeaders: String, text: String, context: ChannelHandlerContext) {
        let body = text + "\n"
        let response =
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\(extraHeaders)\r\n\(body)"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
        lingerAndClose()
    }

    /// Shuts the output (the answer is flushed first), discards what still arrives, and closes after the linger.
    private func lingerAndClose() {
        guard let context, !lingering else { return }
        if case .refused = phase {} else { phase = .closing }
        context.flush()
        context.channel.close(mode: .output, promise: nil)
        setDeadline(after: Self.timeAmount(limits.linger))
        lingering = true
    }
}

/// Sits after the HTTP codec and reports heads, ends and answers to the connection's `HTTPConnectionGuard`; fails
/// the body stream when the guard's body deadline passes.
final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var connectionGuard: HTTPConnectionGuard?
    private var context: ChannelHandlerContext?

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connectionGuard = try? context.pipeline.syncOperations.handler(type: HTTPConnectionGuard.self)
        connectionGuard?.observer = self
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connectionGuard = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            connectionGuard?.headReceived(closeRequested: head.headerFields[.connection]?.lowercased() == "close")
        case .body: break
        case .end: connectionGuard?.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            connectionGuard?.responseHeadWritten(
                closesConnection: head.headerFields[.connection]?.lowercased() == "close")
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            connectionGuard?.responseEnded()
        }
    }

    /// Ends the request body stream with `HTTPBodyDeadlineExceeded`.
    func failBody() {
        context?.fireErrorCaught(HTTPBodyDeadlineExceeded())
    }
}
