import Foundation

/// `Authorization: Bearer <token>`, as the read API and `POST /graphite` take it.
enum BearerToken {
    /// The token of the header; nil when the header is absent, another scheme, or carries no token.
    static func parse(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    }
}
