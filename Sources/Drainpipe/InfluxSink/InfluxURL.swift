import DrainpipeCore
import Foundation

/// Where the influx-sink writes, from `INFLUX_URL`: `http(s)://user:password@host:port/database`.
///
/// The credentials are optional (InfluxDB without authentication) and percent-decoded; the database is the path's
/// single segment. Printing the value never shows the password.
package struct InfluxURL: Sendable, Hashable, EnvironmentParsable, CustomStringConvertible {
    package var useTLS: Bool
    package var host: String
    package var port: Int
    package var user: String?
    package var password: String?
    package var database: String

    package init(environmentValue: String) throws(EnvironmentValueError) {
        let expected = EnvironmentValueError(
            expected: "an http:// or https:// URL naming the database, e.g. http://user:password@host:8086/metrics")
        guard let components = URLComponents(string: environmentValue), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
        else { throw expected }
        let segments = components.path.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.count == 1, components.query == nil, components.fragment == nil else { throw expected }
        useTLS = scheme == "https"
        self.host = host
        port = components.port ?? 8086
        user = components.user?.removingPercentEncoding
        password = components.password?.removingPercentEncoding
        database = String(segments[0]).removingPercentEncoding ?? String(segments[0])
        guard (1...65_535).contains(port), !database.isEmpty else { throw expected }
    }

    /// `scheme://host:port`, without credentials: safe to log.
    package var origin: String {
        "\(useTLS ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The URL with the password replaced by `********`.
    package var description: String {
        let credentials = user.map { "\($0)\(password == nil ? "" : ":********")@" } ?? ""
        return origin.replacingOccurrences(of: "://", with: "://\(credentials)") + "/\(database)"
    }

    /// `POST /write?db=…&precision=s`.
    package var writeURL: URL { endpoint("write", ["db": database, "precision": "s"]) }

    /// `/query?db=…&epoch=s` (the statements go in the body of a POST, so any number fit).
    package var queryURL: URL { endpoint("query", ["db": database, "epoch": "s"]) }

    /// The `Authorization` header's value, nil without credentials. Contains the password: never log it.
    package var authorization: String? {
        guard let user else { return nil }
        return "Basic " + Data("\(user):\(password ?? "")".utf8).base64EncodedString()
    }

    private func endpoint(_ path: String, _ query: [String: String]) -> URL {
        var components = URLComponents()
        components.scheme = useTLS ? "https" : "http"
        components.host = host
        components.port = port
        components.path = "/\(path)"
        components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        guard let url = components.url else { preconditionFailure("a parsed INFLUX_URL always makes a valid URL") }
        return url
    }
}
