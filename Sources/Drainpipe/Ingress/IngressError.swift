/// Why ingress refused a request; each case maps to the HTTP status Logplex and Graphite clients expect.
package enum IngressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No or unknown credentials, or a drain token that does not match (one answer for every credential problem, so
    /// the answer never tells which part was right).
    case unauthenticated(reason: String)
    case bodyTooLarge(limit: Int)
    /// The body did not arrive within `HTTP_BODY_TIMEOUT`.
    case requestTimeout
    /// The tenant has its limit of requests in progress; retry when one ends.
    case tooManyRequests(limit: Int, retryAfterSeconds: Int)
    /// The tenant's requests in progress already hold half of the in-flight body budget; retry when one ends.
    case tenantBodyShare(limitBytes: Int, retryAfterSeconds: Int)
    /// The in-flight body budget is used up by other requests; retry shortly.
    case busy(reason: String, retryAfterSeconds: Int)
    /// A `Content-Encoding` other than `gzip` or `identity`, or a gzip body that does not inflate.
    case unsupportedEncoding(reason: String)
    /// Nothing in the body could be used.
    case malformedBody(reason: String)
    /// Kafka did not acknowledge in time; the sender should retry the same batch.
    case unavailable(reason: String, retryAfterSeconds: Int)
    /// The owner passed one of its caps this minute; retry after the minute turns. Other owners are unaffected.
    case overQuota(cap: String, retryAfterSeconds: Int)
    /// The request alone needs more than the owner's `cap` allows in a whole minute; retrying cannot help.
    case largerThanCap(cap: String, requested: Int, limit: Int)

    package var statusCode: Int {
        switch self {
        case .unauthenticated: 401
        case .requestTimeout: 408
        case .bodyTooLarge, .largerThanCap: 413
        case .unsupportedEncoding: 415
        case .malformedBody: 400
        case .unavailable, .busy: 503
        case .overQuota, .tooManyRequests, .tenantBodyShare: 429
        }
    }

    /// Whether the sender may succeed by sending the same request again later.
    package var isRetryable: Bool {
        switch self {
        case .unavailable, .overQuota, .tooManyRequests, .tenantBodyShare, .busy: true
        case .unauthenticated, .bodyTooLarge, .unsupportedEncoding, .malformedBody, .largerThanCap, .requestTimeout:
            false
        }
    }

    /// Seconds the sender should wait before retrying (`Retry-After`), for retryable errors.
    package var retryAfterSeconds: Int? {
        switch self {
        case .unavailable(_, let seconds), .overQuota(_, let seconds), .tooManyRequests(_, let seconds),
            .tenantBodyShare(_, let seconds), .busy(_, let seconds):
            seconds
        case .unauthenticated, .bodyTooLarge, .unsupportedEncoding, .malformedBody, .largerThanCap, .requestTimeout:
            nil
        }
    }

    package var description: String {
        switch self {
        case .unauthenticated(let reason): "Unauthenticated: \(reason)"
        case .requestTimeout: "Request timeout: the body did not arrive in time."
        case .tooManyRequests(let limit, let seconds):
            "Too many requests: this tenant already has \(limit) request(s) in progress; retry in \(seconds) s."
        case .tenantBodyShare(let limit, let seconds):
            "Too many request bodies in progress: this tenant's already hold \(limit) bytes; retry in \(seconds) s."
        case .busy(let reason, _): "Busy: \(reason). Retry the same batch shortly."
        case .bodyTooLarge(let limit): "Request body exceeds \(limit) bytes; send smaller batches."
        case .unsupportedEncoding(let reason): "Unsupported body encoding: \(reason). Send identity or gzip."
        case .malformedBody(let reason): "Malformed body: \(reason)"
        case .unavailable(let reason, _): "Temporarily unavailable: \(reason). Retry the same batch later."
        case .overQuota(let cap, let seconds):
            "Over quota: this tenant's \(cap) cap is used up for the "
                + "current minute; retry in \(seconds) s or ask for a higher cap."
        case .largerThanCap(let cap, let requested, let limit):
            "Too large for this tenant's caps: the request alone needs \(requested) "
                + "against a \(cap) cap of \(limit); send smaller batches or ask for a higher cap."
        }
    }
}

extension IngressError {
    /// The label of this error in `drainpipe_ingress_http_refusals_total{reason=…}`.
    package var metricLabel: String {
        switch self {
        case .unauthenticated: "unauthenticated"
        case .bodyTooLarge: "body_too_large"
        case .requestTimeout: "request_timeout"
        case .tooManyRequests: "too_many_requests"
        case .tenantBodyShare: "tenant_body_share"
        case .busy: "body_budget"
        case .unsupportedEncoding: "unsupported_encoding"
        case .malformedBody: "malformed_body"
        case .unavailable: "kafka_unavailable"
        case .overQuota: "over_quota"
        case .largerThanCap: "larger_than_cap"
        }
    }
}
