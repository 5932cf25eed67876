import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird

/// What the native read routes (`/api/v1/series`, `/api/v1/events`, `/api/v1/owners`) share: the Bearer token
/// check, the `from`/`to` range and the JSON answer.
enum NativeReadRequest {
    /// The tenants file in force and the owners `request`'s Bearer token reads in it.
    /// - Throws: 401 without a Bearer token, or with one the tenants file does not know.
    static func bearerAccess(
        _ request: Request, tenants: LiveTenantDirectory
    ) throws -> (directory: TenantDirectory, readable: Set<String>) {
        guard let token = BearerToken.parse(request.headers[.authorization]) else {
            throw HTTPError(
                .unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "Send Authorization: Bearer <token>.")
        }
        let directory = tenants.current
        let readable = directory.readableOwners(apiToken: token)
        guard !readable.isEmpty else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "Unknown API token.")
        }
        return (directory, readable)
    }

    /// `from` and `to` of the query (RFC 3339 or Unix seconds; `to` defaults to `now`, `from` to `defaultSpan`
    /// before `to`).
    /// - Throws: 400 for an unreadable time, `from` not before `to`, or a range longer than `maximumRange`.
    static func range(
        of request: Request, now: EventTime, defaultSpan: Duration, maximumRange: Duration
    ) throws -> (from: EventTime, to: EventTime) {
        let query = request.uri.queryParameters
        let to = try query.get("to").map { try SeriesRoutes.parseTime($0, parameter: "to") } ?? now
        let from = try query.get("from").map { try SeriesRoutes.parseTime($0, parameter: "from") } ?? (to - defaultSpan)
        try checkRange(from: from, to: to, maximumRange: maximumRange)
        return (from, to)
    }

    /// - Throws: 400 unless `from` is before `to` and the range spans at most `maximumRange`.
    static func checkRange(from: EventTime, to: EventTime, maximumRange: Duration) throws {
        guard from < to else { throw HTTPError(.badRequest, message: "from must be before to.") }
        guard to.microsecondsSinceEpoch - from.microsecondsSinceEpoch <= maximumRange.wholeMicroseconds else {
            throw HTTPError(
                .badRequest, message: "The range may span at most \(maximumRange.components.seconds / 86_400) days.")
        }
    }

    /// A 200 with `body` as JSON, keys sorted.
    static func json(_ body: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
}
