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
                    var answers = HTTPResponseReader(inbound.makeAsyncIterator())
                    for await submission in stream {
                        do {
                            try await outbound.write(submission.request)
                            submission.reply.resume(returning: try await answers.next())
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
}

/// Reads HTTP/1.1 responses off a kept-alive connection, one after the other: each one's status and its body of
/// `Content-Length` bytes.
struct HTTPResponseReader {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var buffered = ByteBuffer()

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        self.inbound = inbound
    }

    /// The next response, once its head and whole body arrived.
    ///
    /// - Throws: `KeepAliveHTTPClient.ConnectionClosed` or `.MalformedResponse`, or the connection's error.
    mutating func next() async throws -> KeepAliveHTTPClient.Answer {
        while true {
            let view = buffered.readableBytesView
            if let headEnd = Self.endOfHead(in: view) {
                let head = String(decoding: view[view.startIndex..<headEnd], as: UTF8.self)
                guard let status = Self.status(of: head) else { throw KeepAliveHTTPClient.MalformedResponse() }
                let bodyStart = headEnd + 4
                let bodyLength = Self.contentLength(of: head)
                if view.endIndex >= bodyStart + bodyLength {
                    let body = Array(view[bodyStart..<(bodyStart + bodyLength)])
                    buffered.moveReaderIndex(forwardBy: bodyStart + bodyLength - view.startIndex)
                    buffered.discardReadBytes()
                    return KeepAliveHTTPClient.Answer(status: status, body: body)
                }
            }
            guard var chunk = try await inbound.next() else { throw KeepAliveHTTPClient.ConnectionClosed() }
            buffered.writeBuffer(&chunk)
        }
    }

    private static func endOfHead(in view: ByteBufferView) -> Int? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var index = view.startIndex
        while index + 4 <= view.endIndex {
            if view[index] == 13, view[index..<index + 4].elementsEqual(terminator) { return index }
            index += 1
        }
        return nil
    }

    private static func status(of head: String) -> Int? {
        let parts = head.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    private static func contentLength(of head: String) -> Int {
        for line in head.split(separator: "\r\n") {
            let lowered = line.lowercased()
            if lowered.hasPrefix("content-length:") {
                return Int(lowered.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return 0
    }
}
