/// Why ingress refused a request; each case maps to the HTTP status Logplex and Graphite clients expect.
package enum IngressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No or unknown credentials.
    case unauthenticated(reason: String)
    /// Valid credentials whose drain token does not match the registered one.
    case forbidden(reason: String)
    case bodyTooLarge(limit: Int)
    /// Nothing in the body could be used, or part of it was rejected (the valid part was kept).
    case malformedBody(reason: String)
    /// Kafka did not acknowledge in time; the sender should retry the same batch.
    case unavailable(reason: String, retryAfterSeconds: Int)

    package var statusCode: Int {
        switch self {
        case .unauthenticated: 401
        case .forbidden: 403
        case .bodyTooLarge: 413
        case .malformedBody: 400
        case .unavailable: 503
        }
    }

    /// Whether the sender may succeed by sending the same request again later.
    package var isRetryable: Bool {
        if case .unavailable = self { return true }
        return false
    }

    package var description: String {
        switch self {
        case .unauthenticated(let reason): "Unauthenticated: \(reason)"
        case .forbidden(let reason): "Forbidden: \(reason)"
        case .bodyTooLarge(let limit): "Request body exceeds \(limit) bytes; send smaller batches."
        case .malformedBody(let reason): "Malformed drain body: \(reason)"
        case .unavailable(let reason, _): "Temporarily unavailable: \(reason). Retry the same batch later."
        }
    }
}
