import Testing

@testable import DrainpipeCore
@testable import DrainpipeKafka

@Suite("KafkaConnection from the environment")
struct KafkaConnectionTests {
    private static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"
    private static let certificatePEM = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
    private static let keyPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIsecretkey\n-----END RSA PRIVATE KEY-----\n"

    private static func parse(_ values: [String: String]) -> (KafkaConnection?, [ConfigurationError.Problem]) {
        var problems: [ConfigurationError.Problem] = []
        let connection = KafkaConnection(environment: Environment(values), noting: &problems)
        return (connection, problems)
    }

    @Test("a kafka+ssl URL list becomes bootstrap servers with the SSL PEMs mapped to librdkafka properties")
    func sslList() throws {
        let (connection, problems) = Self.parse([
            "KAFKA_URL": "kafka+ssl://ec2-1.example.com:9096, kafka+ssl://ec2-2.example.com:9096/",
            "KAFKA_TRUSTED_CERT": Self.caPEM,
            "KAFKA_CLIENT_CERT": Self.certificatePEM,
            "KAFKA_CLIENT_CERT_KEY": Self.keyPEM,
            "KAFKA_PREFIX": "columbia-1234.",
        ])
        #expect(problems.isEmpty)
        let parsed = try #require(connection)
        #expect(parsed.bootstrapServers == "ec2-1.example.com:9096,ec2-2.example.com:9096")
        #expect(
            parsed.clientProperties == [
                "bootstrap.servers": "ec2-1.example.com:9096,ec2-2.example.com:9096",
                "security.protocol": "ssl",
                "ssl.ca.pem": Self.caPEM,
                "ssl.certificate.pem": Self.certificatePEM,
                "ssl.key.pem": Self.keyPEM,
            ]
        )
        #expect(parsed.topicName("ROUTER_REQUESTS.1") == "columbia-1234.ROUTER_REQUESTS.1")
        #expect(parsed.groupID("aggregator") == "columbia-1234.aggregator")
    }

    @Test("the redacted description names brokers and security but never certificate or key contents")
    func redaction() throws {
        let (connection, _) = Self.parse([
            "KAFKA_URL": "kafka+ssl://broker:9096", "KAFKA_TRUSTED_CERT": Self.caPEM,
            "KAFKA_CLIENT_CERT": Self.certificatePEM, "KAFKA_CLIENT_CERT_KEY": Self.keyPEM,
        ])
        let description = try #require(connection).description
        #expect(description.contains("broker:9096"))
        #expect(description.contains("ssl"))
        #expect(!description.contains("MIIsecretkey"))
        #expect(!description.contains("MIIBcert"))
        #expect(!description.contains("BEGIN"))
    }

    @Test(
        "plain kafka:// URLs and bare host:port mean plaintext without a prefix",
        arguments: [
            "kafka://localhost:9092", "localhost:9092", "kafka://[::1]:9092",
        ])
    func plaintext(url: String) throws {
        let (connection, problems) = Self.parse(["KAFKA_URL": url])
        #expect(problems.isEmpty)
        let parsed = try #require(connection)
        #expect(parsed.security == .plaintext)
        #expect(parsed.clientProperties["security.protocol"] == "plaintext")
        #expect(parsed.prefix.isEmpty)
        #expect(parsed.topicName("RAW.1") == "RAW.1")
    }

    @Test(
        "malformed KAFKA_URL values are reported as malformed",
        arguments: [
            "kafka+ssl://a:9096,kafka://b:9092", "http://broker:9092", "kafka://broker", "kafka://broker:99999",
            "kafka://:9092", ",",
        ])
    func malformedURL(url: String) {
        let (connection, problems) = Self.parse(["KAFKA_URL": url])
        #expect(connection == nil)
        #expect(problems.map(\.variable) == ["KAFKA_URL"])
    }

    @Test("a missing KAFKA_URL is reported as missing with a hint")
    func missingURL() {
        let (connection, problems) = Self.parse(["KAFKA_PREFIX": "abc."])
        #expect(connection == nil)
        guard case .missing(variable: "KAFKA_URL", let hint)? = problems.first else {
            Issue.record("expected a missing KAFKA_URL, got \(problems)")
            return
        }
        #expect(!hint.isEmpty)
    }

    @Test("every certificate problem is reported at once")
    func certificateProblems() {
        let (connection, problems) = Self.parse([
            "KAFKA_URL": "kafka+ssl://broker:9096", "KAFKA_TRUSTED_CERT": "not a pem",
            "KAFKA_CLIENT_CERT": Self.certificatePEM, "KAFKA_PREFIX": "bad prefix/",
        ])
        #expect(connection == nil)
        #expect(Set(problems.map(\.variable)) == ["KAFKA_TRUSTED_CERT", "KAFKA_CLIENT_CERT_KEY", "KAFKA_PREFIX"])
    }

    @Test("certificates with a plaintext URL are rejected instead of silently unused")
    func certificatesWithPlaintext() {
        let (connection, problems) = Self.parse(["KAFKA_URL": "kafka://broker:9092", "KAFKA_TRUSTED_CERT": Self.caPEM])
        #expect(connection == nil)
        #expect(problems.map(\.variable) == ["KAFKA_URL"])
    }

    @Test("a kafka+ssl URL without certificates uses the system trust store")
    func sslWithoutCertificates() throws {
        let (connection, _) = Self.parse(["KAFKA_URL": "kafka+ssl://broker:9096"])
        let parsed = try #require(connection)
        #expect(parsed.security == .ssl(KafkaConnection.SSL()))
        #expect(parsed.clientProperties == ["bootstrap.servers": "broker:9096", "security.protocol": "ssl"])
    }

    @Test("turning off hostname verification maps to one librdkafka property")
    func hostnameVerification() {
        let connection = KafkaConnection(
            bootstrapServers: "broker:9096", security: .ssl(KafkaConnection.SSL(verifiesBrokerHostname: false))
        )
        #expect(connection.clientProperties["ssl.endpoint.identification.algorithm"] == "none")
        #expect(connection.redacted.contains("NOT verified"))
    }
}

extension ConfigurationError.Problem {
    fileprivate var variable: String {
        switch self {
        case .missing(let variable, _), .malformed(let variable, _), .invalid(let variable, _): variable
        }
    }
}
