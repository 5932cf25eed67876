import DrainpipeCore

/// A Postgres location from `DATABASE_URL`: `postgres://user:password@host:port/database?sslmode=require`.
///
/// `postgresql://` is accepted too. Components are percent-decoded. Query items other than `sslmode` are passed to
/// libpq as connection keywords (`application_name`, `sslrootcert`…). Printing the value never shows the password.
package struct DatabaseURL: Sendable, Hashable, EnvironmentParsable, CustomStringConvertible, CustomReflectable {
    /// libpq's `sslmode`; Heroku requires TLS, so the default is `require`.
    package enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable
        case allow
        case prefer
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package var user: String?
    package var password: String?
    /// A host name, an IP address, or (starting with `/`) a Unix-socket directory.
    package var host: String
    package var port: Int
    /// The database name; nil lets libpq use the user name.
    package var database: String?
    package var sslMode: SSLMode
    /// Further libpq connection keywords and their values.
    package var parameters: [String: String]

    package init(
        user: String? = nil, password: String? = nil, host: String, port: Int = 5432, database: String? = nil,
        sslMode: SSLMode = .require, parameters: [String: String] = [:]
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.parameters = parameters
    }

    package init(environmentValue: String) throws(EnvironmentValueError) {
        self = try Self.parse(environmentValue)
    }

    // MARK: - Rendering

    /// The libpq connection string (`host='…' port='5432' …`), every value quoted and escaped.
    ///
    /// Contains the password: hand it to libpq only, never log it.
    package var conninfo: String {
        var pairs: [(String, String)] = [("host", host), ("port", String(port))]
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        pairs.append(("sslmode", sslMode.rawValue))
        pairs += parameters.sorted { $0.key < $1.key }
        return pairs.map { "\($0.0)=\(Self.quotedConninfoValue($0.1))" }.joined(separator: " ")
    }

    /// `host:port` (brackets around IPv6 addresses), for error messages.
    package var endpoint: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `host:port/database`: which database, without the user or any secret, for messages about one shard.
    package var endpointAndDatabase: String { "\(endpoint)/\(database ?? "")" }

    /// The URL with the password and any other secret parameter replaced by `********`.
    package var redacted: String {
        var text = "postgres://"
        if let user {
            text += Self.percentEncoded(user)
            if password != nil { text += ":********" }
            text += "@"
        }
        text += host.contains(":") ? "[\(host)]" : Self.percentEncoded(host)
        text += ":\(port)/" + (database.map(Self.percentEncoded) ?? "")
        text += "?sslmode=\(sslMode.rawValue)"
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            let shown = Self.isSecret(keyword: key) ? "********" : Self.percentEncoded(value)
            text += "&\(key)=\(shown)"
        }
        return text
    }

    package var description: String { redacted }

    package var customMirror: Mirror { Mirror(self, children: ["redacted": redacted]) }

    // MARK: - Parsing

    private static let expected =
        "a URL such as postgres://user:password@host:5432/database?sslmode=require (postgresql:// also works; "
        + "the port is a number from 1 to 65535; reserved characters are percent-encoded)"

    /// Connection keywords that the URL's own parts carry; repeating them as query items is ambiguous.
    private static let keywordsInURLParts: Set<String> = ["host", "hostaddr", "port", "user", "password", "dbname"]

    private static func parse(_ text: String) throws(EnvironmentValueError) -> DatabaseURL {
        let invalid = EnvironmentValueError(expected: expected)
        guard let schemeEnd = text.firstRange(of: "://") else { throw invalid }
        guard ["postgres", "postgresql"].contains(text[..<schemeEnd.lowerBound].lowercased()) else { throw invalid }
        var rest = text[schemeEnd.upperBound...]
        guard !rest.contains("#") else { throw invalid }

        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        var url = DatabaseURL(host: "")
        var hostPort = rest
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                url.user = try decoded(userInfo[..<colon])
                url.password = try decoded(userInfo[userInfo.index(after: colon)...])
            } else {
                url.user = try decoded(userInfo)
            }
            if url.user == "" { url.user = nil }
        }
        let (host, port) = try splitHostPort(hostPort)
        url.host = try decoded(host)
        guard !url.host.isEmpty else { throw invalid }
        if let port {
            guard port.allSatisfy(\.isASCII), let number = Int(port), (1...65535).contains(number) else {
                throw invalid
            }
            url.port = number
        }
        if let path, !path.isEmpty {
            guard !path.contains("/") else { throw invalid }
            url.database = try decoded(path)
        }

        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw invalid }
            let key = try decoded(parts[0])
            let value = try decoded(parts[1])
            guard isKeyword(key), !keywordsInURLParts.contains(key) else { throw invalid }
            if key == "sslmode" {
                guard let mode = SSLMode(rawValue: value) else { throw invalid }
                url.sslMode = mode
            } else {
                url.parameters[key] = value
            }
        }
        return url
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
    private static func splitHostPort(
        _ text: Substring
    ) throws(EnvironmentValueError) -> (host: Substring, port: Substring?) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw EnvironmentValueError(expected: expected) }
            let host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else { throw EnvironmentValueError(expected: expected) }
            return (host, after.dropFirst())
        }
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (text[..<colon], text[text.index(after: colon)...])
    }

    /// Percent-decodes one component; the result must be UTF-8 without NUL characters.
    private static func decoded(_ text: Substring) throws(EnvironmentValueError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw EnvironmentValueError(expected: expected)
            }
            bytes.append(high << 4 | low)
        }
        guard !bytes.contains(0), let string = String(validating: bytes, as: UTF8.self) else {
            throw EnvironmentValueError(expected: expected)
        }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func percentEncoded(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A conninfo value in single quotes, with backslashes and quotes escaped as libpq expects.
    private static func quotedConninfoValue(_ value: String) -> String {
        var quoted = "'"
        for character in value {
            if character == "\\" || character == "'" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "'"
    }

    /// libpq keywords are lower-case letters and underscores.
    private static func isKeyword(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isSecret(keyword: String) -> Bool {
        keyword.contains("password")
    }
}
