import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird

/// Who a Graphite read request acts for: the owners its API token (tenants file `api_tokens`) may read.
///
/// The token comes as `Authorization: Bearer <token>` or as HTTP basic auth whose password is the token (any user
/// name), since Grafana's Graphite data source offers both. The tenants file in force is read per request, so a
/// SIGHUP reload revokes and grants tokens at once.
struct ReadAccess: Sendable {
    /// The readable owners, ordered by their path segment.
    var owners: [TenantDirectory.Owner]
    /// The fewest series one render may expand to among the owners' limits.
    var seriesPerQuery: Int

    /// The owners' path segments (``GraphiteNaming/ownerSegment(id:name:)``), in the order of `owners`.
    var ownerSegments: [String] { owners.map { GraphiteNaming.ownerSegment(id: $0.id, name: $0.name) } }

    /// The access of `request`'s token.
    /// - Throws: 401, the same for a missing, malformed or unknown token.
    init(_ request: Request, tenants: LiveTenantDirectory) throws {
        guard let token = Self.token(request.headers[.authorization]) else { throw Self.unauthorized }
        let directory = tenants.current
        let readable = directory.readableOwners(apiToken: token)
        guard !readable.isEmpty else { throw Self.unauthorized }
        owners = directory.owners.filter { readable.contains($0.id) }
            .sorted {
                GraphiteNaming.ownerSegment(id: $0.id, name: $0.name)
                    < GraphiteNaming.ownerSegment(id: $1.id, name: $1.name)
            }
        seriesPerQuery =
            owners.compactMap(\.limits.seriesPerQuery).min() ?? TenantDirectory.Limits.defaultSeriesPerQuery
    }

    /// 401 with both schemes offered.
    static let unauthorized = HTTPError(
        .unauthorized, headers: [.wwwAuthenticate: "Bearer, Basic realm=\"drainpipe\""],
        message: "Send an API token as Authorization: Bearer <token> or as the basic-auth password.")

    /// The token of a bearer or basic `Authorization` header; nil for anything else.
    static func token(_ header: String?) -> String? {
        if let bearer = BearerToken.parse(header), !bearer.isEmpty { return bearer }
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        let encoded = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let credentials = String(data: data, encoding: .utf8),
            let colon = credentials.firstIndex(of: ":")
        else { return nil }
        let password = credentials[credentials.index(after: colon)...]
        return password.isEmpty ? nil : String(password)
    }
}
