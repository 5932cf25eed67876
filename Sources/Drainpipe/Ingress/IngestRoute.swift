import DrainpipeCore
import DrainpipeZlib
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request skeleton every HTTP ingest route shares: authenticate, read the body within the size limit (inflating
/// gzip within it too), ingest, and answer with the receipt's status and headers, or an `IngressError` as text.
///
/// A route supplies only what differs: whose credentials a request carries, how a body is ingested and how a
/// receipt is answered.
protocol IngestRoute: Sendable {
    associatedtype Receipt
    /// Bodies larger than this, before or after inflating, are refused with 413.
    var maximumBodyBytes: Int { get }
    /// The in-flight body budget and the tenants' concurrent-request limits.
    var gate: IngressRequestGate { get }
    /// The owner the request's credentials name.
    func owner(of request: Request) throws(IngressError) -> TenantDirectory.Owner
    /// Ingests the collected (and inflated) `body` of `request` for `owner`.
    func ingest(
        _ body: [UInt8], of request: Request, owner: TenantDirectory.Owner
    ) async throws(IngressError) -> Receipt
    /// The answer to a request whose body was ingested.
    func answer(_ receipt: Receipt) -> IngestAnswer
}

extension IngestRoute {
    /// Runs the skeleton for `request`; every failure becomes its `IngressError` answer.
    ///
    /// Credentials, a `Content-Length` over the limit, the tenant's concurrent requests and the body budget are
    /// checked before a byte of the body is read; a refusal then carries `Connection: close`, so the connection is
    /// closed after the answer instead of reading (draining) a body nobody wants.
    func handle(_ request: Request) async -> Response {
        var bodyRead = false
        do throws(IngressError) {
            let owner = try self.owner(of: request)
            let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
            if let declaredLength, declaredLength > maximumBodyBytes {
                throw .bodyTooLarge(limit: maximumBodyBytes)
            }
            let isCompressed = Self.contentEncoding(of: request) != "identity"
            let reservation =
                min(declaredLength ?? maximumBodyBytes, maximumBodyBytes) + (isCompressed ? maximumBodyBytes : 0)
            return try await gate.withPass(
                owner: owner.id, ownerLimit: owner.limits.concurrentRequests, reservedBytes: reservation
            ) { () async throws(IngressError) -> Response in
                let body = try await Self.collectBody(of: request, limit: maximumBodyBytes)
                bodyRead = true
                return answer(try await ingest(body, of: request, owner: owner)).response
            }
        } catch {
            var answer = IngestAnswer(error)
            if !bodyRead { answer.headers[.connection] = "close" }
            return answer.response
        }
    }

    /// The request's `Content-Encoding`, trimmed and lower-cased; "identity" when it has none (without asking
    /// Foundation to trim a literal, which costs more per request than the rest of the header checks together).
    static func contentEncoding(of request: Request) -> String {
        guard let header = request.headers[.contentEncoding] else { return "identity" }
        return header.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Reads a request body of at most `limit` bytes, inflating `Content-Encoding: gzip` within the same limit.
    ///
    /// - Throws: `.bodyTooLarge` (413) over the limit before or after inflating (a zip bomb stops at the limit),
    ///   `.unsupportedEncoding` (415) for other encodings or a corrupt gzip stream.
    static func collectBody(of request: Request, limit: Int) async throws(IngressError) -> [UInt8] {
        let encoding = contentEncoding(of: request)
        guard encoding == "identity" || encoding == "gzip" || encoding == "x-gzip" else {
            throw .unsupportedEncoding(reason: "Content-Encoding \(encoding.prefix(32)) is not supported")
        }
        // The fragments go straight into one array sized by Content-Length: no ByteBuffer grown fragment by
        // fragment and then copied whole into the array.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(request.headers[.contentLength].flatMap { Int($0) } ?? 0, limit))
        do {
            for try await fragment in request.body {
                guard fragment.readableBytes <= limit - bytes.count else {
                    throw IngressError.bodyTooLarge(limit: limit)
                }
                bytes.append(contentsOf: fragment.readableBytesView)
            }
        } catch let error as IngressError {
            throw error
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(limit: limit)
        } catch is HTTPBodyDeadlineExceeded {
            throw .requestTimeout
        } catch {
            throw .malformedBody(reason: "the request body could not be read")
        }
        guard encoding != "identity" else { return bytes }
        do {
            return try ZlibInflater.inflateGzip(bytes, limit: limit)
        } catch .tooLarge {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .unsupportedEncoding(reason: "the gzip body is corrupt or truncated")
        }
    }
}

/// What an ingest route answers: a status and headers, and a one-line plain-text body unless there is nothing to say.
struct IngestAnswer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    /// Sent with a line feed as `text/plain; charset=utf-8`; nil sends no body.
    var text: String?

    init(status: HTTPResponse.Status, headers: HTTPFields, text: String? = nil) {
        self.status = status
        self.headers = headers
        self.text = text
    }

    /// The error's status and text, with `Retry-After` when a retry can succeed and the reason in
    /// `Drainpipe-Refusal` (which the refusal counter and log use too).
    init(_ error: IngressError) {
        var headers = HTTPFields()
        headers[RefusalReporter.reasonHeader] = error.metricLabel
        if let seconds = error.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        }
        self.init(status: HTTPResponse.Status(code: error.statusCode), headers: headers, text: error.description)
    }

    var response: Response {
        guard let text else { return Response(status: status, headers: headers) }
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
