import Synchronization

/// Bounds what ingest requests hold at once, across all of them: the bytes of bodies being received or inflated
/// (`MAX_INFLIGHT_BODY_BYTES`), and each tenant's requests in progress (`MAX_CONCURRENT_REQUESTS_PER_TENANT`, or the
/// tenant's `limits.concurrent_requests`).
///
/// A request reserves its worst case before a byte of its body is read: its `Content-Length` (the body limit when it
/// has none, i.e. chunked), plus the body limit again when the body is gzip (the inflated copy). The reservation is
/// held until the answer, since the body stays in memory until Kafka acknowledged it. So memory held by bodies stays
/// under the budget however slowly clients send; and no tenant may hold more than half of it, so one tenant's stalled
/// requests always leave room for the others.
package final class IngressRequestGate: Sendable {
    private struct State {
        var reservedBytes = 0
        var requestsByOwner: [String: Int] = [:]
        var bytesByOwner: [String: Int] = [:]
    }

    /// Bytes all requests in progress may reserve together.
    package let budgetBytes: Int
    /// Requests in progress per tenant, unless the tenant's own limit says otherwise.
    package let defaultConcurrentRequests: Int
    /// `Retry-After` of the refusals: the budget frees up as soon as any request ends.
    package let retryAfterSeconds: Int
    private let state = Mutex(State())

    package init(budgetBytes: Int, defaultConcurrentRequests: Int, retryAfterSeconds: Int = 1) {
        self.budgetBytes = budgetBytes
        self.defaultConcurrentRequests = defaultConcurrentRequests
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// A gate that never refuses (tests of other behaviour).
    package static var unbounded: IngressRequestGate {
        IngressRequestGate(budgetBytes: .max, defaultConcurrentRequests: .max)
    }

    /// Runs `body` holding `reservedBytes` of the budget and one of `owner`'s request slots.
    ///
    /// - Throws: `.tooManyRequests` (429) when the tenant has its limit of requests in progress, `.busy` (503) when
    ///   the budget cannot hold the reservation, `.tenantBodyShare` (429) when the tenant would hold more than half
    ///   of the budget; `body`'s error otherwise.
    package func withPass<Result>(
        owner: String, ownerLimit: Int?, reservedBytes: Int,
        _ body: () async throws(IngressError) -> Result
    ) async throws(IngressError) -> Result {
        let limit = ownerLimit ?? defaultConcurrentRequests
        let refusal = state.withLock { state -> IngressError? in
            let running = state.requestsByOwner[owner, default: 0]
            guard running < limit else {
                return .tooManyRequests(limit: limit, retryAfterSeconds: retryAfterSeconds)
            }
            let ownerBytes = state.bytesByOwner[owner, default: 0]
            guard ownerBytes == 0 || reservedBytes <= budgetBytes / 2 - ownerBytes else {
                return .tenantBodyShare(limitBytes: budgetBytes / 2, retryAfterSeconds: retryAfterSeconds)
            }
            guard reservedBytes <= budgetBytes - state.reservedBytes else {
                return .busy(
                    reason: "the server is receiving too many request bodies at once",
                    retryAfterSeconds: retryAfterSeconds)
            }
            state.requestsByOwner[owner] = running + 1
            state.bytesByOwner[owner] = ownerBytes + reservedBytes
            state.reservedBytes += reservedBytes
            return nil
        }
        if let refusal { throw refusal }
        defer {
            state.withLock { state in
                state.reservedBytes -= reservedBytes
                let remaining = state.requestsByOwner[owner, default: 1] - 1
                state.requestsByOwner[owner] = remaining > 0 ? remaining : nil
                let bytes = state.bytesByOwner[owner, default: reservedBytes] - reservedBytes
                state.bytesByOwner[owner] = remaining > 0 ? bytes : nil
            }
        }
        return try await body()
    }

    /// Bytes reserved now (for the metrics gauge and tests).
    package var reservedBytes: Int { state.withLock { $0.reservedBytes } }
}
