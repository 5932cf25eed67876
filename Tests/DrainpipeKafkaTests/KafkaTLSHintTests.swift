import Testing

@testable import DrainpipeKafka

/// librdkafka's TLS handshake failures (texts as librdkafka 2.0 logs them) point at the variable to fix.
@Suite("Kafka TLS hints")
struct KafkaTLSHintTests {
    @Test("an unverifiable broker certificate names KAFKA_TRUSTED_CERT")
    func wrongCA() {
        let text =
            "ssl://127.0.0.1:9096/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify "
            + "failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured"
        #expect(KafkaTLSHint.hint(for: text)?.contains("set KAFKA_TRUSTED_CERT") == true)
    }

    @Test("a refused or missing client certificate names KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY")
    func clientCertificate() {
        for text in [
            "ssl://127.0.0.1:9096/bootstrap: Receive failed: error:0A00045C:SSL routines::tlsv13 alert certificate "
                + "required: SSL alert number 116 (after 21ms in state APIVERSION_QUERY)",
            "ssl://127.0.0.1:9096/bootstrap: SSL handshake failed: error:0A000418:SSL routines::tlsv1 alert unknown ca",
        ] {
            #expect(KafkaTLSHint.hint(for: text)?.contains("KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY") == true)
        }
    }

    @Test("other broker problems get no TLS hint")
    func otherProblems() {
        #expect(KafkaTLSHint.hint(for: "127.0.0.1:9092/1: Disconnected (after 5ms in state UP)") == nil)
        #expect(KafkaTLSHint.hint(for: "1/1 brokers are down") == nil)
    }
}
