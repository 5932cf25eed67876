import DrainpipeZlib
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /logs`: the Logplex HTTPS drain endpoint.
///
/// Answers (formats.md §1.5): 204 when every frame was used (or deliberately ignored) and is durable in Kafka; 200
/// with a one-line text body and `Drainpipe-Rejected-*` headers when the valid frames are durable but some frames,
/// lines or measurements were rejected — Logplex treats any 2xx as delivered, and resending the same bad bytes would
/// not help; 400 only when nothing in the body could be framed; 401/403 for bad credentials; 413 over the body
/// limit (after inflating a gzip body too); 415 for an unknown `Content-Encoding`; 429 over a cap and 503 when Kafka
/// did not acknowledge in time, both with `Retry-After`.
package struct DrainRoutes: Sendable {
    package var ingestor: DrainIngestor
    /// Bodies larger than this, before or after inflating, are refused with 413.
    package var maximumBodyBytes: Int

    package init(ingestor: DrainIngestor, maximumBodyBytes: Int) {
        self.ingestor = ingestor
        self.maximumBodyBytes = maximumBodyBytes
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.post("/logs") { request, _ in await handle(request) }
    }

    private func handle(_ request: Request) async -> Response {
        do {
            let drainToken = request.headers[Self.drainToken] ?? request.headers[Self.legacyDrainToken]
            let owner = try ingestor.authenticate(
                basicCredential: Self.basicCredential(request.headers[.authorization]), drainToken: drainToken)
            let body = try await Self.collectBody(of: request, limit: maximumBodyBytes)
            let drainRequest = DrainIngestor.Request(
                body: body,
                drainToken: drainToken,
                frameID: request.headers[Self.frameID] ?? request.headers[Self.legacyFrameID],
                declaredMessageCount: (request.headers[Self.msgCount] ?? request.headers[Self.legacyMsgCount]).flatMap {
                    Int($0)
                })
            let receipt = try await ingestor.ingest(drainRequest, owner: owner)
            var headers = HTTPFields()
            headers[Self.acceptedFrames] = String(receipt.frames)
            if receipt.isClean { return Response(status: .noContent, headers: headers) }
            headers[Self.rejectedFrames] = String(receipt.rejectedFrames)
            headers[Self.rejectedLines] = String(receipt.rejectedLines)
            headers[Self.deniedMeasurements] = String(receipt.deniedMeasurements)
            var text =
                "\(receipt.frames) frame(s) accepted, \(receipt.measurements) measurement(s) stored; \(receipt.rejectionSummary)"
            if receipt.deniedMeasurements > 0 {
                text += "; \(receipt.deniedMeasurements) measurement(s) denied by admission lists"
            }
            return Self.textResponse(status: .ok, headers: headers, text: text)
        } catch {
            return Self.response(for: error)
        }
    }

    /// Reads a request body of at most `limit` bytes, inflating `Content-Encoding: gzip` within the same limit.
    ///
    /// - Throws: `.bodyTooLarge` (413) over the limit before or after inflating (a zip bomb stops at the limit),
    ///   `.unsupportedEncoding` (415) for other encodings or a corrupt gzip stream.
    static func collectBody(of request: Request, limit: Int) async throws(IngressError) -> [UInt8] {
        var request = request
        let encoding =
            request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() ?? "identity"
        guard encoding == "identity" || encoding == "gzip" || encoding == "x-gzip" else {
            throw .unsupportedEncoding(reason: "Content-Encoding \(encoding.prefix(32)) is not supported")
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .malformedBody(reason: "the request body could not be read")
        }
        let bytes = Array(buffer: body)
        guard encoding != "identity" else { return bytes }
        do {
            return try ZlibInflater.inflateGzip(bytes, limit: limit)
        } catch .tooLarge {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .unsupportedEncoding(reason: "the gzip body is corrupt or truncated")
        }
    }

    /// The plain-text error answer for `error`, with `Retry-After` when a retry can succeed.
    static func response(for error: IngressError) -> Response {
        var headers = HTTPFields()
        if let seconds = error.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        }
        return textResponse(
            status: HTTPResponse.Status(code: error.statusCode), headers: headers, text: error.description)
    }

    static func textResponse(status: HTTPResponse.Status, headers: HTTPFields, text: String) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    /// Decodes `Authorization: Basic base64(user:password)`; nil when absent or not basic.
    static func basicCredential(_ header: String?) -> String? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else {
            return nil
        }
        return String(data: data, encoding: .utf8)
    }

    static let drainToken = HTTPField.Name("Logplex-Drain-Token")!
    static let legacyDrainToken = HTTPField.Name("X-Logplex-Drain-Token")!
    static let frameID = HTTPField.Name("Logplex-Frame-Id")!
    static let legacyFrameID = HTTPField.Name("X-Logplex-Frame-Id")!
    static let msgCount = HTTPField.Name("Logplex-Msg-Count")!
    static let legacyMsgCount = HTTPField.Name("X-Logplex-Msg-Count")!
    static let acceptedFrames = HTTPField.Name("Drainpipe-Accepted-Frames")!
    static let rejectedFrames = HTTPField.Name("Drainpipe-Rejected-Frames")!
    static let rejectedLines = HTTPField.Name("Drainpipe-Rejected-Lines")!
    static let deniedMeasurements = HTTPField.Name("Drainpipe-Denied-Measurements")!
}
