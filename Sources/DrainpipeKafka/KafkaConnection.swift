import DrainpipeCore

/// Where the Kafka cluster is and how to reach it: `KAFKA_URL`, the three `KAFKA_*CERT*` variables and `KAFKA_PREFIX`.
///
/// Certificates and the client key are inline PEM strings handed to librdkafka as `ssl.*.pem` properties, never
/// written to files. `description` and `redacted` never contain key material.
package struct KafkaConnection: Sendable, Hashable, CustomStringConvertible {
    /// Transport security for every broker connection.
    package enum Security: Sendable, Hashable {
        /// `kafka://` URLs: unencrypted, for local development only.
        case plaintext
        /// `kafka+ssl://` URLs.
        case ssl(SSL)
    }

    /// TLS material as inline PEM strings.
    package struct SSL: Sendable, Hashable {
        /// CA certificate(s) trusted for broker certificates (`ssl.ca.pem`); nil uses the system store.
        package var trustedCertificatePEM: String?
        /// Client certificate for mutual TLS (`ssl.certificate.pem`).
        package var clientCertificatePEM: String?
        /// Private key of the client certificate (`ssl.key.pem`). Never logged.
        package var clientKeyPEM: String?
        /// Whether broker certificates must match the broker host name (librdkafka's default). Turning this off
        /// sets `ssl.endpoint.identification.algorithm=none`; callers should log that at start-up.
        package var verifiesBrokerHostname: Bool

        /// TLS material; nil certificates fall back to the system trust store and no client certificate.
        package init(
            trustedCertificatePEM: String? = nil, clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil,
            verifiesBrokerHostname: Bool = true
        ) {
            self.trustedCertificatePEM = trustedCertificatePEM
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
            self.verifiesBrokerHostname = verifiesBrokerHostname
        }
    }

    /// Comma-separated `host:port` list for librdkafka's `bootstrap.servers`.
    package var bootstrapServers: String
    /// Plaintext or TLS, from the `KAFKA_URL` scheme.
    package var security: Security
    /// `KAFKA_PREFIX`: prepended to every topic name and consumer group id; empty when unset.
    package var prefix: String

    /// A connection given directly, for tests and local tools.
    package init(bootstrapServers: String, prefix: String = "", security: Security = .plaintext) {
        self.bootstrapServers = bootstrapServers
        self.prefix = prefix
        self.security = security
    }

    /// Reads `KAFKA_URL`, `KAFKA_TRUSTED_CERT`, `KAFKA_CLIENT_CERT`, `KAFKA_CLIENT_CERT_KEY` and `KAFKA_PREFIX`.
    ///
    /// Returns nil after appending every problem found (missing or malformed URL, mixed schemes, half a client
    /// certificate, certificates with a plaintext URL, text that is not PEM, a prefix Kafka would reject).
    package init?(environment: Environment, noting problems: inout [ConfigurationError.Problem]) {
        let problemCount = problems.count
        let brokers = environment.required(
            "KAFKA_URL", as: BrokerList.self,
            hint: "set it to the cluster's comma-separated kafka+ssl://host:port list (heroku config:get KAFKA_URL)",
            noting: &problems
        )
        let trusted = Self.pem("KAFKA_TRUSTED_CERT", in: environment, noting: &problems)
        let certificate = Self.pem("KAFKA_CLIENT_CERT", in: environment, noting: &problems)
        let key = Self.pem("KAFKA_CLIENT_CERT_KEY", in: environment, noting: &problems)
        if (certificate == nil) != (key == nil) {
            problems.append(
                .invalid(
                    variable: certificate == nil ? "KAFKA_CLIENT_CERT" : "KAFKA_CLIENT_CERT_KEY",
                    reason: "KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY must be set together."
                )
            )
        }
        let prefix = environment["KAFKA_PREFIX"] ?? ""
        if !prefix.allSatisfy(Self.isLegalTopicCharacter) {
            problems.append(.malformed(variable: "KAFKA_PREFIX", expected: "only letters, digits, '.', '_' and '-'"))
        }
        if let brokers, !brokers.usesSSL, trusted != nil || certificate != nil || key != nil {
            problems.append(
                .invalid(
                    variable: "KAFKA_URL",
                    reason: "certificates are set but the URL uses plaintext kafka://; use kafka+ssl:// or unset them."
                )
            )
        }
        guard let brokers, problems.count == problemCount else { return nil }
        self.bootstrapServers = brokers.addresses.joined(separator: ",")
        self.prefix = prefix
        self.security =
            brokers.usesSSL
            ? .ssl(SSL(trustedCertificatePEM: trusted, clientCertificatePEM: certificate, clientKeyPEM: key))
            : .plaintext
    }

    /// The full name of a topic: the prefix followed by `base`.
    package func topicName(_ base: String) -> String { prefix + base }

    /// The full consumer group id: the prefix followed by `base`.
    package func groupID(_ base: String) -> String { prefix + base }

    /// A loggable summary: brokers, security and prefix, with no certificate or key contents.
    package var redacted: String {
        let securityText: String
        switch security {
        case .plaintext:
            securityText = "plaintext"
        case .ssl(let ssl):
            let ca = ssl.trustedCertificatePEM.map { "\(Self.certificateCount($0)) trusted certificate(s)" }
            let client = ssl.clientCertificatePEM == nil ? "no" : "yes"
            securityText =
                "ssl(\(ca ?? "system trust store"), client certificate: \(client)"
                + (ssl.verifiesBrokerHostname ? ")" : ", broker hostname NOT verified)")
        }
        return "brokers=\(bootstrapServers) security=\(securityText) prefix=\(prefix.isEmpty ? "(none)" : prefix)"
    }

    /// Same as `redacted`, so interpolating a connection never leaks key material.
    package var description: String { redacted }

    /// librdkafka properties for this connection: `bootstrap.servers`, `security.protocol` and the `ssl.*` PEMs.
    package var clientProperties: [String: String] {
        var properties = ["bootstrap.servers": bootstrapServers]
        switch security {
        case .plaintext:
            properties["security.protocol"] = "plaintext"
        case .ssl(let ssl):
            properties["security.protocol"] = "ssl"
            properties["ssl.ca.pem"] = ssl.trustedCertificatePEM
            properties["ssl.certificate.pem"] = ssl.clientCertificatePEM
            properties["ssl.key.pem"] = ssl.clientKeyPEM
            if !ssl.verifiesBrokerHostname {
                properties["ssl.endpoint.identification.algorithm"] = "none"
            }
        }
        return properties
    }

    // MARK: - Parsing helpers

    private static func pem(
        _ variable: String, in environment: Environment, noting problems: inout [ConfigurationError.Problem]
    ) -> String? {
        guard let value = environment[variable] else { return nil }
        guard value.contains("-----BEGIN ") else {
            problems.append(.malformed(variable: variable, expected: "an inline PEM block starting with -----BEGIN"))
            return nil
        }
        return value
    }

    private static func certificateCount(_ pem: String) -> Int {
        pem.split(separator: "-----BEGIN CERTIFICATE-----", omittingEmptySubsequences: false).count - 1
    }

    private static func isLegalTopicCharacter(_ character: Character) -> Bool {
        character.isASCII
            && (character.isLetter || character.isNumber || character == "." || character == "_"
                || character == "-")
    }
}

/// `KAFKA_URL`: comma-separated broker URLs that all share one scheme.
private struct BrokerList: EnvironmentParsable {
    var addresses: [String]
    var usesSSL: Bool

    init(environmentValue: String) throws(EnvironmentValueError) {
        let expected = EnvironmentValueError(
            expected: "comma-separated kafka+ssl://host:port (or kafka://host:port) URLs that all use the same scheme"
        )
        var addresses: [String] = []
        var schemes: Set<Bool> = []
        for entry in environmentValue.split(separator: ",") {
            var text = entry.trimmingWhitespace()
            if text.isEmpty { continue }
            var usesSSL = false
            if text.hasPrefix("kafka+ssl://") {
                usesSSL = true
                text = text.dropFirst("kafka+ssl://".count)
            } else if text.hasPrefix("kafka://") {
                text = text.dropFirst("kafka://".count)
            } else if text.contains("://") {
                throw expected
            }
            if text.hasSuffix("/") { text = text.dropLast() }
            guard let address = Self.hostAndPort(text) else { throw expected }
            addresses.append(address)
            schemes.insert(usesSSL)
        }
        guard !addresses.isEmpty, schemes.count == 1, let usesSSL = schemes.first else { throw expected }
        self.addresses = addresses
        self.usesSSL = usesSSL
    }

    /// Validates `host:port` or `[ipv6]:port` and returns it unchanged.
    private static func hostAndPort(_ text: Substring) -> String? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = text[..<colon]
        guard let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port), !host.isEmpty else {
            return nil
        }
        let isBracketedIPv6 = host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2
        guard isBracketedIPv6 || !host.contains(where: { $0 == ":" || $0 == "/" || $0 == "@" || $0 == " " }) else {
            return nil
        }
        return String(text)
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
