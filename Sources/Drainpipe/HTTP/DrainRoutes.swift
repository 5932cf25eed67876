import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /logs`: the Logplex HTTPS drain endpoint.
package struct DrainRoutes: Sendable {
    package var ingestor: DrainIngestor
    /// Bodies larger than this are refused with 413 before they are buffered.
    package var maximumBodyBytes: Int

    package init(ingestor: DrainIngestor, maximumBodyBytes: Int) {
        self.ingestor = ingestor
        self.maximumBodyBytes = maximumBodyBytes
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.post("/logs") { request, _ in try await handle(request) }
    }

    private func handle(_ request: Request) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maximumBodyBytes)
        } catch is NIOTooManyBytesError {
            return Self.response(for: .bodyTooLarge(limit: maximumBodyBytes))
        }
        let drainRequest = DrainIngestor.Request(
            body: Array(buffer: body),
            basicCredential: Self.basicCredential(request.headers[.authorization]),
            drainToken: request.headers[Self.drainToken] ?? request.headers[Self.legacyDrainToken],
            frameID: request.headers[Self.frameID] ?? request.headers[Self.legacyFrameID],
            declaredMessageCount: (request.headers[Self.msgCount] ?? request.headers[Self.legacyMsgCount]).flatMap { Int($0) })
        do {
            let receipt = try await ingestor.ingest(drainRequest)
            var headers = HTTPFields()
            headers[Self.acceptedFrames] = String(receipt.frames)
            return Response(status: .noContent, headers: headers)
        } catch {
            return Self.response(for: error)
        }
    }

    static func response(for error: IngressError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        if case .unavailable(_, let retryAfter) = error {
            headers[.retryAfter] = String(retryAfter)
        }
        return Response(
            status: HTTPResponse.Status(code: error.statusCode), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: error.description + "\n")))
    }

    /// Decodes `Authorization: Basic base64(user:password)`; nil when absent or not basic.
    static func basicCredential(_ header: String?) -> String? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    static let drainToken = HTTPField.Name("Logplex-Drain-Token")!
    static let legacyDrainToken = HTTPField.Name("X-Logplex-Drain-Token")!
    static let frameID = HTTPField.Name("Logplex-Frame-Id")!
    static let legacyFrameID = HTTPField.Name("X-Logplex-Frame-Id")!
    static let msgCount = HTTPField.Name("Logplex-Msg-Count")!
    static let legacyMsgCount = HTTPField.Name("X-Logplex-Msg-Count")!
    static let acceptedFrames = HTTPField.Name("Drainpipe-Accepted-Frames")!
}
