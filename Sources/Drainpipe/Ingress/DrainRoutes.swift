import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// `POST /logs`: the Logplex HTTPS drain endpoint.
///
/// Answers (formats.md §1.5): 204 when every frame was used (or deliberately ignored) and is durable in Kafka; 200
/// with a one-line text body and `Drainpipe-Rejected-*` headers when the valid frames are durable but some frames,
/// lines or measurements were rejected — Logplex treats any 2xx as delivered, and resending the same bad bytes would
/// not help; 400 only when nothing in the body could be framed; 401 for bad credentials (one answer for every
/// credential problem); 408 when the body is too slow; 413 over the body limit (after inflating a gzip body too); 415
/// for an unknown `Content-Encoding`; 429 over a cap or the tenant's concurrent requests and 503 when Kafka did not
/// acknowledge in time or the body budget is used up, both with `Retry-After`.
package struct DrainRoutes: IngestRoute {
    package var ingestor: DrainIngestor
    /// Bodies larger than this, before or after inflating, are refused with 413.
    package var maximumBodyBytes: Int
    package var gate: IngressRequestGate
    private let credentials = BasicCredentialCache()

    package init(ingestor: DrainIngestor, maximumBodyBytes: Int, gate: IngressRequestGate = .unbounded) {
        self.ingestor = ingestor
        self.maximumBodyBytes = maximumBodyBytes
        self.gate = gate
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.post("/logs") { request, _ in await handle(request) }
    }

    func owner(of request: Request) throws(IngressError) -> TenantDirectory.Owner {
        try ingestor.authenticate(
            basicCredential: credentials.credential(request.headers[.authorization]),
            drainToken: Self.sentDrainToken(request))
    }

    func ingest(
        _ body: [UInt8], of request: Request, owner: TenantDirectory.Owner
    ) async throws(IngressError) -> DrainIngestor.Receipt {
        let drainRequest = DrainIngestor.Request(
            body: body,
            drainToken: Self.sentDrainToken(request),
            frameID: request.headers[Self.frameID] ?? request.headers[Self.legacyFrameID],
            declaredMessageCount: (request.headers[Self.msgCount] ?? request.headers[Self.legacyMsgCount]).flatMap {
                Int($0)
            })
        return try await ingestor.ingest(drainRequest, owner: owner)
    }

    /// 204 when clean; otherwise 200 with the rejection counts in headers and a one-line summary.
    func answer(_ receipt: DrainIngestor.Receipt) -> IngestAnswer {
        var headers = HTTPFields()
        headers[Self.acceptedFrames] = String(receipt.frames)
        if receipt.isClean { return IngestAnswer(status: .noContent, headers: headers) }
        headers[Self.rejectedFrames] = String(receipt.rejectedFrames)
        headers[Self.rejectedLines] = String(receipt.rejectedLines)
        headers[Self.deniedMeasurements] = String(receipt.deniedMeasurements)
        var text =
            "\(receipt.frames) frame(s) accepted, \(receipt.measurements) measurement(s) stored; "
            + receipt.rejectionSummary
        if receipt.deniedMeasurements > 0 {
            text += "; \(receipt.deniedMeasurements) measurement(s) denied by admission lists"
        }
        return IngestAnswer(status: .ok, headers: headers, text: text)
    }

    /// The drain token Logplex sent, under the header's current or legacy name.
    private static func sentDrainToken(_ request: Request) -> String? {
        request.headers[drainToken] ?? request.headers[legacyDrainToken]
    }

    /// Decodes `Authorization: Basic base64(user:password)`; nil when absent or not basic.
    static func basicCredential(_ header: String?) -> String? {
        guard let header else { return nil }
        // Every real header is printable ASCII: its bytes are read without asking Foundation to lower-case and trim.
        let bytes = Array(header.utf8)
        if bytes.allSatisfy({ $0 == 0x09 || (0x20..<0x7F).contains($0) }) { return basicCredential(ascii: bytes) }
        guard header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) else {
            return nil
        }
        return String(data: data, encoding: .utf8)
    }

    /// `basicCredential(_:)` of a header of printable ASCII and tabs, from its bytes.
    private static func basicCredential(ascii header: [UInt8]) -> String? {
        let scheme = Array("basic ".utf8)
        let lowercased: (UInt8) -> UInt8 = { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        guard header.count > scheme.count, zip(header, scheme).allSatisfy({ lowercased($0) == $1 }) else {
            return nil
        }
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        var encoded = header[scheme.count...]
        while let first = encoded.first, isBlank(first) { encoded.removeFirst() }
        while let last = encoded.last, isBlank(last) { encoded.removeLast() }
        guard let data = Data(base64Encoded: Data(encoded)) else { return nil }
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

/// `DrainRoutes.basicCredential(_:)` of the `Authorization` headers met lately: a drain sends the same header with
/// every request, and decoding it (base64 through Foundation's `Data`) costs more than the rest of the credential
/// check. At most `capacity` headers of at most `longestCachedHeader` bytes are kept (longer ones are decoded every
/// time), so a client spraying headers cannot grow it; when full it starts over.
final class BasicCredentialCache: Sendable {
    static let longestCachedHeader = 256
    let capacity: Int
    private let entries = Mutex<[String: String?]>([:])

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// The same as `DrainRoutes.basicCredential(header)`.
    func credential(_ header: String?) -> String? {
        guard let header, header.utf8.count <= Self.longestCachedHeader else {
            return DrainRoutes.basicCredential(header)
        }
        if let cached = entries.withLock({ $0[header] }) { return cached }
        let credential = DrainRoutes.basicCredential(header)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[header] = credential
        }
        return credential
    }

    /// Headers held now (for tests).
    var count: Int { entries.withLock { $0.count } }
}
