import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /graphite`: Graphite plaintext lines over HTTP, the tenant named by `Authorization: Bearer <token>`.
///
/// Answers: 204 when every line became a durable datapoint; 200 with a one-line text body and
/// `Drainpipe-Rejected-Lines`/`Drainpipe-Denied-Datapoints` headers when the valid lines are durable and some were
/// dropped; 400 when lines were sent and none was well-formed; 401 for a missing or unknown token; 413 over the body
/// limit (gzip bodies are inflated within it); 429 over a cap and 503 when Kafka did not acknowledge in time, both
/// with `Retry-After`.
package struct GraphiteRoutes: Sendable {
    package var ingestor: GraphiteIngestor
    package var maximumBodyBytes: Int

    package init(ingestor: GraphiteIngestor, maximumBodyBytes: Int) {
        self.ingestor = ingestor
        self.maximumBodyBytes = maximumBodyBytes
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.post("/graphite") { request, _ in await handle(request) }
    }

    private func handle(_ request: Request) async -> Response {
        do {
            let owner = try ingestor.owner(token: BearerToken.parse(request.headers[.authorization]))
            let body = try await DrainRoutes.collectBody(of: request, limit: maximumBodyBytes)
            let receipt = try await ingestor.ingest(body, in: body.indices, owner: owner)
            var headers = HTTPFields()
            headers[Self.acceptedLines] = String(receipt.accepted)
            if receipt.isClean { return Response(status: .noContent, headers: headers) }
            headers[Self.rejectedLines] = String(receipt.rejectedLines)
            headers[Self.deniedDatapoints] = String(receipt.denied)
            var text = "\(receipt.accepted) datapoint(s) stored; \(receipt.rejectionSummary)"
            if receipt.denied > 0 { text += "; \(receipt.denied) datapoint(s) denied by admission lists" }
            let isUnusable = receipt.accepted == 0 && receipt.denied == 0 && receipt.rejectedLines > 0
            let status: HTTPResponse.Status = isUnusable ? .badRequest : .ok
            return DrainRoutes.textResponse(status: status, headers: headers, text: text)
        } catch {
            return DrainRoutes.response(for: error)
        }
    }

    static let acceptedLines = HTTPField.Name("Drainpipe-Accepted-Datapoints")!
    static let rejectedLines = HTTPField.Name("Drainpipe-Rejected-Lines")!
    static let deniedDatapoints = HTTPField.Name("Drainpipe-Denied-Datapoints")!
}
