/// Why ingress refused a request; each case maps to the HTTP status Logplex and Graphite clients expect.
package enum IngressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No or unknown credentials.
    case unauthenticated(reason: String)
    /// Valid credentials whose drain token does not match the registered one.
    case forbidden(reason: String)
    case bodyTooLarge(limit: Int)
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
        case .forbidden: 403
        case .bodyTooLarge, .largerThanCap: 413
        case .unsupportedEncoding: 415
        case .malformedBody: 400
        case .unavailable: 503
        case .overQuota: 429
        }
    }

    /// Whether the sender may succeed by sending the same request again later.
    package var isRetryable: Bool {
        switch self {
        case .unavailable, .overQuota: true
        case .unauthenticated, .forbidden, .bodyTooLarge, .unsupportedEncoding, .malformedBody, .largerThanCap: false
        }
    }

    /// Seconds the sender should wait before retrying (`Retry-After`), for retryable errors.
    package var retryAfterSeconds: Int? {
        switch self {
        case .unavailable(_, let seconds), .overQuota(_, let seconds): seconds
        case .unauthenticated, .forbidden, .bodyTooLarge, .unsupportedEncoding, .malformedBody, .largerThanCap: nil
        }
    }

    package var description: String {
        switch self {
        case .unauthenticated(let reason): "Unauthenticated: \(reason)"
        case .forbidden(let reason): "Forbidden: \(reason)"
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
