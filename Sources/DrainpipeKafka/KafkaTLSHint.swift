/// Which Drainpipe variable to fix when librdkafka reports a failed TLS handshake.
///
/// librdkafka's own advice names its file properties (`ssl.ca.location`), which Drainpipe never sets: it passes the
/// PEM of `KAFKA_TRUSTED_CERT`, `KAFKA_CLIENT_CERT` and `KAFKA_CLIENT_CERT_KEY` inline. The hint is logged beside
/// librdkafka's text.
enum KafkaTLSHint {
    /// The hint for a librdkafka log or error text; nil when it is not about a TLS handshake.
    static func hint(for text: String) -> String? {
        if text.contains("certificate verify failed") {
            return "the broker's certificate is not signed by a CA of KAFKA_TRUSTED_CERT (the system store when it is"
                + " unset) or does not name the broker's host: set KAFKA_TRUSTED_CERT to the CA the provider gives"
        }
        let refusals = ["certificate required", "alert handshake failure", "alert unknown ca", "alert bad certificate"]
        if text.contains("SSL") || text.contains("ssl"), refusals.contains(where: { text.contains($0) }) {
            return "the broker refused the TLS handshake for want of an accepted client certificate: set"
                + " KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY to the provider's client certificate and key"
        }
        return nil
    }
}
