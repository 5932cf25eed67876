import Foundation
import NIOCore
import NIOPosix

/// One keep-alive HTTP/1.1 connection that sends requests one at a time and reads each answer (status and a body of
/// `Content-Length` bytes): enough to time requests without a client library's own overhead.
final class KeepAliveHTTPClient: Sendable {
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// The answer could not be read as HTTP/1.1.
    struct MalformedResponse: Error, CustomStringConvertible {
        var description: String { "the server's response could not be read" }
    }

    /// The connection closed (or failed earlier) before the answer arrived.
    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the connection closed before the answer arrived" }
    }

    private struct Submission: Sendable {
        var request: ByteBuffer
        var reply: CheckedContinuation<Answer, any Error>
    }

    private let host: String
    private let submissions: AsyncStream<Submission>.Continuation

    private init(host: String, submissions: AsyncStream<Submission>.Continuation) {
        self.host = host
        self.submissions = submissions
    }

    deinit { submissions.finish() }

    /// Connects; the connection closes when the client is released.
    static func connect(host: String, port: Int) async throws -> KeepAliveHTTPClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let (stream, continuation) = AsyncStream<Submission>.makeStream()
        Task {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    var iterator = inbound.makeAsyncIterator()
                    var received: [UInt8] = []
                    for await submission in stream {
                        do {
                            try await outbound.write(submission.request)
                            while true {
                                if let (answer, used) = try parse(received) {
                                    received.removeFirst(used)
                                    submission.reply.resume(returning: answer)
                                    break
                                }
                                guard let chunk = try await iterator.next() else { throw ConnectionClosed() }
                                received += chunk.readableBytesView
                            }
                        } catch {
                            submission.reply.resume(throwing: error)
                            throw error
                        }
                    }
                }
            } catch {
                // The connection is gone: later requests fail at once, and any already queued fail too.
                continuation.finish()
                for await queued in stream { queued.reply.resume(throwing: ConnectionClosed()) }
            }
        }
        return KeepAliveHTTPClient(host: host, submissions: continuation)
    }

    func get(_ target: String, token: String) async throws -> Answer {
        try await send("GET \(target) HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer \(token)\r\n\r\n")
    }

    func post(_ target: String, body: String, token: String) async throws -> Answer {
        try await send(
            "POST \(target) HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    /// Posts a Logplex drain batch (`Content-Type: application/logplex-1`) with its frame count and id.
    func postDrain(
        _ target: String, body: [UInt8], frames: Int, frameID: String, authorization: String, drainToken: String?
    ) async throws -> Answer {
        try await send(
            Self.drainRequest(
                target, host: host, body: body, frames: frames, frameID: frameID, authorization: authorization,
                drainToken: drainToken))
    }

    /// The bytes of a Logplex drain request, head and body.
    static func drainRequest(
        _ target: String, host: String, body: [UInt8], frames: Int, frameID: String, authorization: String,
        drainToken: String?
    ) -> ByteBuffer {
        var head =
            "POST \(target) HTTP/1.1\r\nHost: \(host)\r\nAuthorization: \(authorization)\r\n"
            + "Content-Type: application/logplex-1\r\nLogplex-Msg-Count: \(frames)\r\n"
            + "Logplex-Frame-Id: \(frameID)\r\nContent-Length: \(body.count)\r\n"
        if let drainToken { head += "Logplex-Drain-Token: \(drainToken)\r\n" }
        head += "\r\n"
        var request = ByteBuffer(string: head)
        request.writeBytes(body)
        return request
    }

    private func send(_ request: String) async throws -> Answer {
        try await send(ByteBuffer(string: request))
    }

    /// Sends a whole HTTP/1.1 request (head and body) and returns its answer.
    ///
    /// - Throws: when the connection failed or closed before the answer arrived; the client is unusable then.
    func send(_ request: ByteBuffer) async throws -> Answer {
        try await withCheckedThrowingContinuation { reply in
            if case .terminated = submissions.yield(Submission(request: request, reply: reply)) {
                reply.resume(throwing: KeepAliveHTTPClient.ConnectionClosed())
            }
        }
    }

    /// The answer at the start of `bytes` and how many bytes it took, once its head and whole body arrived.
    private static func parse(_ bytes: [UInt8]) throws -> (Answer, Int)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { throw KeepAliveHTTPClient.MalformedResponse() }
        var length = 0
        for line in head.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let bodyStart = headEnd + separator.count
        guard bytes.count >= bodyStart + length else { return nil }
        return (Answer(status: status, body: Array(bytes[bodyStart..<(bodyStart + length)])), bodyStart + length)
    }
}
