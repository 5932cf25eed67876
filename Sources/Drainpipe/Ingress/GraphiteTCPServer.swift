import DrainpipeCore
import Foundation
import Logging
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
/// **Durability and back-pressure.** Carbon has no acknowledgements, so the connection sees none. Every read from
/// the socket (up to 64 KiB) is parsed as one batch and produced with `acks=all`; the next bytes are read only after
/// Kafka acknowledged the batch, so a slow broker slows senders down through TCP flow control instead of growing
/// memory. When Kafka does not acknowledge within the delivery timeout the connection is closed: the sender's
/// reconnect-and-resend logic takes over, and the datapoints of that batch may be lost or written twice. Over a
/// tenant's cap a batch is dropped and counted, and the connection stays open.
///
/// **Lines.** A line longer than `maximumLineBytes` (16 384, like Carbon) closes the connection and is counted;
/// every other bad line is dropped and counted by reason while the connection stays open.
package struct GraphiteTCPServer: Service {
    private let host: String
    private let port: Int
    private let ingestor: GraphiteIngestor
    private let maximumLineBytes: Int
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onBound: @Sendable (Int) -> Void

    /// - Parameter onBound: called with the bound port once listening (useful with port 0).
    package init(
        host: String = "0.0.0.0", port: Int, ingestor: GraphiteIngestor, maximumLineBytes: Int = 16_384,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.ingestor = ingestor
        self.maximumLineBytes = maximumLineBytes
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onBound = onBound
    }

    package func run() async throws {
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // At most two reads wait per connection while a batch is with Kafka; then the socket is not read.
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        logger.info("Graphite plaintext listener started", metadata: ["port": "\(boundPort)"])
        onBound(boundPort)
        try await cancelWhenGracefulShutdown {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
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

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.ipAddress
        do {
            try await connection.executeThenClose { inbound, outbound in
                var pending: [UInt8] = []
                var authentication: Authentication?
                do {
                    for try await chunk in inbound {
                        pending.append(contentsOf: chunk.readableBytesView)
                        if authentication == nil {
                            guard let resolved = try resolveTenant(from: &pending, peer: peer) else { continue }
                            authentication = resolved
                        }
                        guard let lastLineFeed = pending.lastIndex(of: ASCIIBytes.lineFeed) else {
                            if pending.count > maximumLineBytes { throw ConnectionEnd.lineTooLong }
                            continue
                        }
                        if let longLine = firstLongLine(in: pending, upTo: lastLineFeed) {
                            if longLine > 0 { try await ingest(pending, upTo: longLine, as: authentication) }
                            throw ConnectionEnd.lineTooLong
                        }
                        try await ingest(pending, upTo: lastLineFeed, as: authentication)
                        pending.removeSubrange(0...lastLineFeed)
                        if pending.count > maximumLineBytes { throw ConnectionEnd.lineTooLong }
                    }
                    if authentication != nil, !pending.isEmpty {
                        try await ingest(pending, upTo: pending.count, as: authentication)
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

    /// The start of the first line in `bytes[..<end]` longer than the limit, if any.
    private func firstLongLine(in bytes: [UInt8], upTo end: Int) -> Int? {
        var lineStart = 0
        var index = 0
        while index < end {
            if bytes[index] == ASCIIBytes.lineFeed {
                lineStart = index + 1
            } else if index - lineStart >= maximumLineBytes {
                return lineStart
            }
            index += 1
        }
        return nil
    }

    private func ingest(_ bytes: [UInt8], upTo end: Int, as authentication: Authentication?) async throws {
        guard let authentication, let owner = currentOwner(of: authentication) else {
            throw ConnectionEnd.credentialRevoked
        }
        do {
            _ = try await ingestor.ingest(bytes, in: 0..<end, owner: owner)
        } catch .overQuota, .largerThanCap {
            // Counted by admission; the batch is dropped and the connection stays open.
        } catch {
            throw ConnectionEnd.unavailable
        }
    }
}
