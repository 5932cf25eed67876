import DrainpipeCore
import DrainpipeZlib
import Foundation
import NIOHTTP1

/// InfluxDB 1.x's HTTP API as the influx-sink uses it: `POST /write` of line protocol (gzip when enabled) and
/// `POST /query` of InfluxQL, over ``OriginHTTPClient`` (swift-nio's HTTP/1.1, keep-alive, a fresh connection
/// after any failure, connect and request deadlines).
///
/// Not FoundationNetworking's `URLSession`: once InfluxDB restarted while a request was in flight, it answered no
/// further request in that process. Not async-http-client: two request kinds to one plain-HTTP origin need no
/// connection pool library, TLS or HTTP/2 in every build. Plain HTTP only (`https://` is refused at start).
/// Credentials travel in the `Authorization` header only, never in a request target, so no error message can carry
/// them.
package struct InfluxClient: Sendable {
    /// What became of one write request.
    package enum WriteOutcome: Sendable, Equatable {
        /// 204: every point is stored.
        case written
        /// 400 or 413: InfluxDB refused points of the body (unparsable, a field type conflict, too large); others
        /// of the same body may be stored.
        case rejected(reason: String)
        /// No answer, or one that says the store or its configuration is at fault (5xx, 401, 403, 404…): nothing
        /// may be assumed stored, and the same body may succeed later.
        case unavailable(reason: String)
    }

    package let url: InfluxURL
    package let gzip: Bool
    private let http: OriginHTTPClient

    package init(url: InfluxURL, gzip: Bool, timeout: Duration, connectTimeout: Duration = .seconds(2)) {
        self.url = url
        self.gzip = gzip
        http = OriginHTTPClient(
            host: url.host, port: url.port, connectTimeout: min(connectTimeout, timeout), requestTimeout: timeout)
    }

    /// Posts line protocol (one line per point, each ending in a line feed).
    package func write(_ lines: [UInt8]) async -> WriteOutcome {
        var headers = [("Content-Type", "text/plain; charset=utf-8")]
        let body: [UInt8]
        if gzip {
            headers.append(("Content-Encoding", "gzip"))
            body = ZlibDeflater.deflateGzip(lines, level: 1)
        } else {
            body = lines
        }
        switch await send(Self.target(of: url.writeURL), headers: headers, body: body) {
        case .failure(let failure): return .unavailable(reason: failure.description)
        case .success((204, _)): return .written
        case .success((let status, let body)) where status == 400 || status == 413:
            return .rejected(reason: "HTTP \(status): \(Self.errorText(body))")
        case .success((let status, let body)): return .unavailable(reason: "HTTP \(status): \(Self.errorText(body))")
        }
    }

    /// Runs InfluxQL statements (separated by `;`) and returns each statement's result object.
    package func query(_ statements: String) async throws(InfluxQueryError) -> [[String: Any]] {
        let body = try await queryAnswer(statements)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let results = object["results"] as? [[String: Any]]
        else { throw InfluxQueryError(reason: "an answer without results") }
        if let failed = results.first(where: { $0["error"] != nil }) {
            throw InfluxQueryError(reason: "\(failed["error"] ?? "")")
        }
        return results
    }

    /// Runs InfluxQL statements and returns InfluxDB's JSON answer (status 200) as it came.
    package func queryAnswer(_ statements: String) async throws(InfluxQueryError) -> [UInt8] {
        let body = "q=" + Self.formEncoded(statements)
        switch await send(
            Self.target(of: url.queryURL), headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(body.utf8))
        {
        case .failure(let failure): throw InfluxQueryError(reason: failure.description)
        case .success((200, let body)): return body
        case .success((let status, let body)):
            throw InfluxQueryError(reason: "HTTP \(status): \(Self.errorText(body))")
        }
    }

    /// `value` for a form body, every byte but the unreserved ones percent-encoded. URLComponents leaves `+` (read as
    /// a space) and `;` alone, and InfluxDB's Go form parser drops a pair holding a raw `;`, so statements joined by
    /// `;` arrived as a missing `q`.
    static func formEncoded(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    /// One POST with the credentials of `INFLUX_URL`.
    private func send(
        _ target: String, headers: [(String, String)], body: [UInt8]
    ) async -> Result<(Int, [UInt8]), OriginHTTPClient.Failure> {
        guard !url.useTLS else {
            return .failure(.init(description: "\(url.origin): https is not supported (plain HTTP only)"))
        }
        var headers = headers
        if let authorization = url.authorization { headers.append(("Authorization", authorization)) }
        do {
            let response = try await http.send(.POST, target, headers: headers, body: body)
            return .success((response.status, response.body))
        } catch {
            return .failure(error)
        }
    }

    /// A URL's path and query, as an HTTP request names its target.
    private static func target(of url: URL) -> String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "/" }
        return components.percentEncodedPath + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
    }

    /// InfluxDB's `{"error": "…"}`, or the body's first 200 characters.
    private static func errorText(_ body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let error = object["error"] as? String
        {
            return String(error.prefix(500))
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}

/// A query InfluxDB did not answer with results.
package struct InfluxQueryError: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package var description: String { "InfluxDB query failed: \(reason)" }
}
