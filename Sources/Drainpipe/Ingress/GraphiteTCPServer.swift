import DrainpipeCore
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Carbon's plaintext line receiver for tenants: `path value timestamp` lines over TCP (port 2003 by default).
///
/// **Tenant.** A connection starts with the preamble line `AUTH <graphite token>`; without one, the peer's IP
/// address must be mapped to a tenant (`graphite_sources` in the tenants file) and the first line is data. Anything
/// else gets one line `ERR <reason>` and is closed. The tenant's rules are looked up again for every batch, so a
/// SIGHUP reload applies to open connections: one whose token or address no longer names its tenant is closed.
///
/// **Durability and back-pressure.** Carbon has no acknowledgements, so the connection sees none. Every read from the
/// socket (up to 64 KiB, the first one too) is parsed as one batch and produced with `acks=all`. While a batch is with
/// Kafka at most two more reads wait in memory; after that the socket is not read until Kafka acknowledged the batch,
/// so a slow broker slows senders down through TCP flow control instead of growing memory. When Kafka does not
/// acknowledge within the delivery timeout the connection is closed: the sender's reconnect-and-resend logic takes
/// over, and the datapoints of that batch may be lost or written twice. Over a tenant's cap a batch is dropped and
/// counted, and the connection stays open.
///
/// **Lines.** A line longer than `maximumLineBytes` (16 384, like Carbon) closes the connection and is counted;
/// every other bad line is dropped and counted by reason while the connection stays open.
///
/// **Limits.** The first line (`AUTH` or, for a mapped address, data) must arrive within `authTimeout`, and a
/// connection that sends nothing for `idleTimeout` is closed. Connections are capped globally and per source address
/// (`ConnectionRoster`): at the global cap a new connection takes the slot of the longest-waiting unauthenticated
/// one; over a cap with no such slot, or over the per-source cap, it gets `ERR too many connections` and is closed.
package struct GraphiteTCPServer: Service {
    /// The listener's deadlines and caps (see README, "Listener limits").
    package struct Limits: Sendable {
        /// `GRAPHITE_AUTH_TIMEOUT`: from the accept to the end of the first line.
        package var authTimeout: Duration
        /// `GRAPHITE_IDLE_TIMEOUT`: the longest silence of an authenticated connection.
        package var idleTimeout: Duration
        /// `GRAPHITE_MAX_CONNECTIONS`.
        package var maximumConnections: Int
        /// `GRAPHITE_MAX_CONNECTIONS_PER_SOURCE`.
        package var maximumConnectionsPerSource: Int

        package init(
            authTimeout: Duration, idleTimeout: Duration, maximumConnections: Int, maximumConnectionsPerSource: Int
        ) {
            self.authTimeout = authTimeout
            self.idleTimeout = idleTimeout
            self.maximumConnections = maximumConnections
            self.maximumConnectionsPerSource = maximumConnectionsPerSource
        }

        /// Generous limits for tests of other behaviour.
        package static let lenient = Limits(
            authTimeout: .seconds(60), idleTimeout: .seconds(600), maximumConnections: 10_000,
            maximumConnectionsPerSource: 10_000)
    }

    /// An accepted connection: its channel and its place in the roster (or why it has none).
    private struct Accepted: Sendable {
        var connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var admission: ConnectionRoster.Admission
    }

    private let host: String
    private let port: Int
    private let ingestor: GraphiteIngestor
    private let maximumLineBytes: Int
    private let limits: Limits
    private let roster: ConnectionRoster
    private let listenerMetrics: ListenerMetrics
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onBound: @Sendable (Int) -> Void

    /// - Parameter onBound: called with the bound port once listening (useful with port 0).
    package init(
        host: String = "0.0.0.0", port: Int, ingestor: GraphiteIngestor, maximumLineBytes: Int = 16_384,
        limits: Limits = .lenient, metrics: any MetricsFactory = MetricsSystem.factory,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.ingestor = ingestor
        self.maximumLineBytes = maximumLineBytes
        self.limits = limits
        roster = ConnectionRoster(
            maximumConnections: limits.maximumConnections,
            maximumConnectionsPerSource: limits.maximumConnectionsPerSource)
        listenerMetrics = ListenerMetrics(listener: "graphite", factory: metrics)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onBound = onBound
    }

    package func run() async throws {
        let roster = roster
        let limits = limits
        let listenerMetrics = listenerMetrics
        let logger = logger
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptFailureHandler(metrics: listenerMetrics, logger: logger))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Reads start at the 64 KiB a batch may be (NIO starts at 2 KiB and doubles per full read): a busy sender's
            // lines take one Kafka round trip per 64 KiB from the first read; an idle one's reads shrink again.
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 65_536, maximum: 65_536)
            )
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let (admission, evicted) = roster.admit(source: channel.remoteAddress?.ipAddress ?? "-") {
                        Self.refuse(channel, "too many connections")
                    }
                    if evicted { listenerMetrics.countClosed(reason: "evicted") }
                    if case .admitted(let id) = admission {
                        channel.closeFuture.whenComplete { _ in roster.remove(id) }
                        try channel.pipeline.syncOperations.addHandlers(
                            IdleStateHandler(readTimeout: TimeAmount(limits.idleTimeout)),
                            CloseOnIdleHandler(metrics: listenerMetrics))
                        let authDeadline = channel.eventLoop.scheduleTask(in: TimeAmount(limits.authTimeout)) {
                            guard roster.isEvictable(id) else { return }
                            listenerMetrics.countClosed(reason: "auth_timeout")
                            Self.refuse(channel, "no AUTH line within \(limits.authTimeout)")
                        }
                        channel.closeFuture.whenComplete { _ in authDeadline.cancel() }
                    } else {
                        listenerMetrics.countClosed(reason: "over_cap")
                    }
                    // At most two reads wait per connection while a batch is with Kafka; then the socket is not read.
                    let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
                    return Accepted(connection: connection, admission: admission)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        logger.info("Graphite plaintext listener started", metadata: ["port": "\(boundPort)"])
        onBound(boundPort)
        try await cancelWhenGracefulShutdown {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in connections {
                        switch accepted.admission {
                        case .admitted(let id):
                            group.addTask { await serve(accepted.connection, id: id) }
                        case .refused:
                            group.addTask { await Self.refuse(accepted.connection, "too many connections") }
                        }
                    }
                }
            }
        }
    }

    // MARK: - One connection

    /// How a connection proved its tenant. It is checked again before every batch, so a reload that revokes the
    /// token or moves the address to another tenant closes the connection instead of letting it write on.
    private struct Authentication {
        enum Credential {
            case token(String)
            case source(String)
        }

        var credential: Credential
        var ownerID: String
    }

    private enum ConnectionEnd: Error {
        case refused(String)
        case lineTooLong
        case credentialRevoked
        case unavailable
    }

    /// Answers `ERR <reason>` on a connection that is not served, and closes it. Its async channel must be closed
    /// through `executeThenClose`: NIO traps when one is dropped with its writer unfinished, which crashed the
    /// ingress as soon as more connections than a cap arrived at once (600 from one address in bench-graphite).
    private static func refuse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ reason: String) async {
        try? await connection.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(string: "ERR \(reason)\n"))
        }
    }

    /// Answers `ERR <reason>` and closes (from any thread).
    private static func refuse(_ channel: any Channel, _ reason: String) {
        channel.writeAndFlush(ByteBuffer(string: "ERR \(reason)\n")).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, id: UInt64) async {
        let peer = connection.channel.remoteAddress?.ipAddress
        do {
            try await connection.executeThenClose { inbound, outbound in
                var pending: [UInt8] = []
                var authentication: Authentication?
                // Paths resolved in one batch are reused in the next: a connection mostly repeats its paths.
                var builder = ingestor.recordBuilder()
                do {
                    for try await chunk in inbound {
                        pending.append(contentsOf: chunk.readableBytesView)
                        if authentication == nil {
                            guard let resolved = try resolveTenant(from: &pending, peer: peer) else { continue }
                            authentication = resolved
                            roster.setBusy(id, true)
                        }
                        guard let lastLineFeed = pending.lastIndex(of: ASCIIBytes.lineFeed) else {
                            if pending.count > maximumLineBytes { throw ConnectionEnd.lineTooLong }
                            continue
                        }
                        if let longLine = Self.firstLongLine(
                            in: pending, upTo: lastLineFeed, maximumLineBytes: maximumLineBytes)
                        {
                            if longLine > 0 {
                                try await ingest(pending, upTo: longLine, as: authentication, building: &builder)
                            }
                            throw ConnectionEnd.lineTooLong
                        }
                        try await ingest(pending, upTo: lastLineFeed, as: authentication, building: &builder)
                        pending.removeSubrange(0...lastLineFeed)
                        if pending.count > maximumLineBytes { throw ConnectionEnd.lineTooLong }
                    }
                    if authentication != nil, !pending.isEmpty {
                        try await ingest(pending, upTo: pending.count, as: authentication, building: &builder)
                    }
                } catch let end as ConnectionEnd {
                    switch end {
                    case .refused(let reason):
                        try? await outbound.write(ByteBuffer(string: "ERR \(reason)\n"))
                    case .lineTooLong:
                        ingestor.countRejection(.lineTooLong)
                    case .credentialRevoked, .unavailable:
                        break
                    }
                    logger.debug(
                        "Graphite connection closed", metadata: ["reason": "\(end)", "peer": "\(peer ?? "-")"])
                }
            }
        } catch {
            logger.debug("Graphite connection ended", metadata: ["error": "\(error)", "peer": "\(peer ?? "-")"])
        }
    }

    /// Reads the preamble or maps the peer; nil while the first line is still incomplete.
    private func resolveTenant(from pending: inout [UInt8], peer: String?) throws -> Authentication? {
        guard let lineFeed = pending.firstIndex(of: ASCIIBytes.lineFeed) else {
            if pending.count > maximumLineBytes { throw ConnectionEnd.lineTooLong }
            return nil
        }
        let firstLine = String(decoding: pending[..<lineFeed], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if firstLine.hasPrefix("AUTH ") {
            let token = String(firstLine.dropFirst(5)).trimmingCharacters(in: .whitespaces)
            do {
                let owner = try ingestor.owner(token: token)
                pending.removeSubrange(0...lineFeed)
                return Authentication(credential: .token(token), ownerID: owner.id)
            } catch {
                throw ConnectionEnd.refused("unknown Graphite token")
            }
        }
        if let peer, let owner = ingestor.owner(source: peer) {
            return Authentication(credential: .source(peer), ownerID: owner.id)
        }
        ingestor.countUnauthenticated()
        throw ConnectionEnd.refused("send AUTH <token> as the first line")
    }

    /// The tenant the connection's credential names in the directory in force now, if it is still the one the
    /// connection started with.
    private func currentOwner(of authentication: Authentication) -> TenantDirectory.Owner? {
        let owner: TenantDirectory.Owner? =
            switch authentication.credential {
            case .token(let token): try? ingestor.owner(token: token)
            case .source(let address): ingestor.owner(source: address)
            }
        return owner?.id == authentication.ownerID ? owner : nil
    }

    /// The start of the first line in `bytes[..<end]` longer than `maximumLineBytes`, if any.
    ///
    /// A line is too long when the `maximumLineBytes + 1` bytes from its start hold no LF, so the search looks at the
    /// last LF of each such window, backwards, and jumps there: a few bytes per window instead of every byte.
    static func firstLongLine(in bytes: [UInt8], upTo end: Int, maximumLineBytes: Int) -> Int? {
        var lineStart = 0
        while lineStart + maximumLineBytes < end {
            var index = lineStart + maximumLineBytes
            while index >= lineStart, bytes[index] != ASCIIBytes.lineFeed { index -= 1 }
            if index < lineStart { return lineStart }
            lineStart = index + 1
        }
        return nil
    }

    private func ingest(
        _ bytes: [UInt8], upTo end: Int, as authentication: Authentication?,
        building builder: inout GraphiteRecordBuilder
    ) async throws {
        guard let authentication, let owner = currentOwner(of: authentication) else {
            throw ConnectionEnd.credentialRevoked
        }
        do {
            _ = try await ingestor.ingest(bytes, in: 0..<end, owner: owner, building: &builder)
        } catch .overQuota, .largerThanCap {
            // Counted by admission; the batch is dropped and the connection stays open.
        } catch {
            throw ConnectionEnd.unavailable
        }
    }
}

/// Closes a Graphite connection that read nothing for the idle timeout (`IdleStateHandler`'s read event).
private final class CloseOnIdleHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let metrics: ListenerMetrics

    init(metrics: ListenerMetrics) {
        self.metrics = metrics
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            metrics.countClosed(reason: "idle")
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// The first handler of a listening socket: logs (at most once a second) and counts the errors `accept` fails with,
/// such as EMFILE when descriptors run out; NIO's accept back-off then waits a second before accepting again.
final class AcceptFailureHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    private let metrics: ListenerMetrics
    private let logger: Logger
    private var lastLogged: NIODeadline?

    init(metrics: ListenerMetrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        metrics.countAcceptFailure()
        let now = NIODeadline.now()
        if lastLogged.map({ now - $0 >= .seconds(1) }) ?? true {
            lastLogged = now
            logger.error("accepting a connection failed", metadata: ["error": "\(error)"])
        }
        context.fireErrorCaught(error)
    }
}
