import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP client that sends exactly the bytes a test writes (a slow or hostile client), from a chosen loopback
/// source address, and records what the server answers and whether it closed the connection (the server's FIN
/// closes it: it never half-closes).
final class RawConnection: Sendable {
    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    let channel: any Channel
    private let recorder: Recorder

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    /// Connects to `127.0.0.1:port` from `source` (any 127.0.0.0/8 address; the kernel picks the port).
    static func open(port: Int, from source: String = "127.0.0.1") async throws -> RawConnection {
        let recorder = Recorder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, recorder: recorder)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// What the server sent so far.
    var text: String { String(decoding: recorder.received.withLock { $0 }, as: UTF8.self) }

    /// Whether the server closed the connection (or it was closed here).
    var isClosed: Bool { !channel.isActive }

    /// Waits until the server closed the connection; false when it is still open after `timeout`.
    func waitForClose(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while channel.isActive, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !channel.isActive
    }

    /// Waits until the answer contains `fragment`; false when it does not after `timeout`.
    func waitFor(_ fragment: String, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !text.contains(fragment), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return text.contains(fragment)
    }

    func close() {
        channel.close(promise: nil)
    }

    /// Sends one whole HTTP/1.1 request with `Connection: close` and returns the answer and how long it took.
    static func exchange(
        port: Int, request: String, from source: String = "127.0.0.1"
    ) async throws -> (
        answer: String, elapsed: Duration
    ) {
        let started = ContinuousClock.now
        let connection = try await open(port: port, from: source)
        try await connection.send(request)
        _ = await connection.waitForClose(within: .seconds(10))
        return (connection.text, ContinuousClock.now - started)
    }

    /// The status code of an HTTP answer ("HTTP/1.1 204 No Content" → 204), 0 without one.
    static func status(of answer: String) -> Int {
        let parts = answer.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return 0 }
        return Int(parts[1]) ?? 0
    }
}

/// What `/proc` says about a running process.
enum ProcessInspection {
    /// Open descriptors.
    static func openDescriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// Resident memory in bytes (`VmRSS`).
    static func residentBytes(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return -1 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? -1
        return kilobytes * 1_024
    }
}
