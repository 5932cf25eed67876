import DrainpipeCore
import HTTPTypes
import Hummingbird

/// `POST /graphite`: Graphite plaintext lines over HTTP, the tenant named by `Authorization: Bearer <token>`.
///
/// Answers: 204 when every line became a durable datapoint; 200 with a one-line text body and
/// `Drainpipe-Rejected-Lines`/`Drainpipe-Denied-Datapoints` headers when the valid lines are durable and some were
/// dropped; 400 when lines were sent and none was well-formed; 401 for a missing or unknown token; 413 over the body
/// limit (gzip bodies are inflated within it); 429 over a cap and 503 when Kafka did not acknowledge in time, both
/// with `Retry-After`.
package struct GraphiteRoutes: IngestRoute {
    package var ingestor: GraphiteIngestor
    /// Bodies larger than this, before or after inflating, are refused with 413.
    package var maximumBodyBytes: Int
    package var gate: IngressRequestGate

    package init(ingestor: GraphiteIngestor, maximumBodyBytes: Int, gate: IngressRequestGate = .unbounded) {
        self.ingestor = ingestor
        self.maximumBodyBytes = maximumBodyBytes
        self.gate = gate
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.post("/graphite") { request, _ in await handle(request) }
    }

    func owner(of request: Request) throws(IngressError) -> TenantDirectory.Owner {
        try ingestor.owner(token: BearerToken.parse(request.headers[.authorization]))
    }

    func ingest(
        _ body: [UInt8], of request: Request, owner: TenantDirectory.Owner
    ) async throws(IngressError) -> GraphiteIngestor.Receipt {
        try await ingestor.ingest(body, in: body.indices, owner: owner, batchID: Self.batchID(of: request, body: body))
    }

    /// The batch identity that makes a retry count once: `key:<Idempotency-Key>` when the sender names its batches
    /// (1 to 128 visible ASCII characters), else `body:<digest of the inflated body>`: a retry sends the same
    /// bytes, and the same line with the same timestamp twice is one Graphite datapoint anyway.
    ///
    /// - Throws: `.malformedBody` (400) for an `Idempotency-Key` that is empty, longer or not visible ASCII.
    static func batchID(of request: Request, body: [UInt8]) throws(IngressError) -> String {
        guard let key = request.headers[idempotencyKey] else { return "body:" + BatchDigest.hex(of: body) }
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .malformedBody(reason: "Idempotency-Key must be 1 to 128 visible ASCII characters")
        }
        return "key:" + key
    }

    /// 204 when clean; otherwise the rejection counts in headers and a one-line summary, with 400 when no line was
    /// usable and 200 when some were.
    func answer(_ receipt: GraphiteIngestor.Receipt) -> IngestAnswer {
        var headers = HTTPFields()
        headers[Self.acceptedLines] = String(receipt.accepted)
        if receipt.isClean { return IngestAnswer(status: .noContent, headers: headers) }
        headers[Self.rejectedLines] = String(receipt.rejectedLines)
        headers[Self.deniedDatapoints] = String(receipt.denied)
        var text = "\(receipt.accepted) datapoint(s) stored; \(receipt.rejectionSummary)"
        if receipt.denied > 0 { text += "; \(receipt.denied) datapoint(s) denied by admission lists" }
        let isUnusable = receipt.accepted == 0 && receipt.denied == 0 && receipt.rejectedLines > 0
        return IngestAnswer(status: isUnusable ? .badRequest : .ok, headers: headers, text: text)
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let acceptedLines = HTTPField.Name("Drainpipe-Accepted-Datapoints")!
    static let rejectedLines = HTTPField.Name("Drainpipe-Rejected-Lines")!
    static let deniedDatapoints = HTTPField.Name("Drainpipe-Denied-Datapoints")!
}
