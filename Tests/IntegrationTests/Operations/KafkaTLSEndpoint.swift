import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Kafka-over-TLS endpoint on loopback in front of the embedded broker, as hosted providers offer one: a throwaway
/// CA (openssl) signs the endpoint's certificate (for `127.0.0.1`) and a client certificate; Debian's `stunnel4`
/// terminates TLS and requires a client certificate of that CA.
///
/// The embedded broker advertises its own plaintext address in metadata, so stunnel forwards to
/// `deploy/kafka-tls/advertised_port_proxy.py`, which passes requests to the broker and rewrites the broker's port in
/// its answers to stunnel's: every broker connection a client makes then goes through TLS too.
final class KafkaTLSEndpoint: @unchecked Sendable {
    /// PEM texts, as `KAFKA_TRUSTED_CERT`, `KAFKA_CLIENT_CERT` and `KAFKA_CLIENT_CERT_KEY` carry them.
    struct Credentials {
        var trustedCertificate: String
        var clientCertificate: String
        var clientKey: String
        /// A CA that signed nothing here: trusting it instead must fail.
        var unrelatedCertificate: String
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var command: String
        var output: String
        var description: String { "\(command) failed: \(output)" }
    }

    /// The `kafka+ssl://` port.
    let port: Int
    let credentials: Credentials
    private let directory: URL
    private var processes: [Process] = []

    /// Makes the certificates in a fresh directory and starts the relay and stunnel in front of `brokerPort`.
    init(brokerPort: Int, tlsPort: Int, relayPort: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws { try Self.run(arguments, in: directory) }
        for (name, subject) in [("ca", "/CN=Drainpipe test CA"), ("unrelated-ca", "/CN=Unrelated test CA")] {
            try run([
                "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", subject,
                "-keyout", "\(name).key", "-out", "\(name).pem",
            ])
        }
        try "subjectAltName=IP:127.0.0.1\n".write(
            to: directory.appendingPathComponent("broker.ext"), atomically: true, encoding: .utf8)
        for (name, subject, extensions) in [
            ("broker", "/CN=127.0.0.1", ["-extfile", "broker.ext"]), ("client", "/CN=drainpipe", []),
        ] {
            try run([
                "/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(name).key",
                "-out", "\(name).csr",
            ])
            try run(
                [
                    "/usr/bin/openssl", "x509", "-req", "-days", "1", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey",
                    "ca.key", "-CAcreateserial", "-out", "\(name).pem",
                ] + extensions)
        }
        try """
        foreground = yes
        pid =
        [kafka]
        accept = 127.0.0.1:\(tlsPort)
        connect = 127.0.0.1:\(relayPort)
        cert = broker.pem
        key = broker.key
        CAfile = ca.pem
        requireCert = yes
        verifyChain = yes

        """.write(to: directory.appendingPathComponent("stunnel.conf"), atomically: true, encoding: .utf8)
        let relay = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/kafka-tls/advertised_port_proxy.py").path
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        credentials = Credentials(
            trustedCertificate: try read("ca.pem"), clientCertificate: try read("client.pem"),
            clientKey: try read("client.key"), unrelatedCertificate: try read("unrelated-ca.pem"))
        self.directory = directory
        port = tlsPort
        processes.append(
            try Self.start(
                ["/usr/bin/python3", relay, "\(relayPort)", "127.0.0.1", "\(brokerPort)", "\(tlsPort)"], log: "relay",
                in: directory))
        processes.append(try Self.start(["/usr/bin/stunnel4", "stunnel.conf"], log: "stunnel", in: directory))
    }

    /// What the relay and stunnel printed, for failure messages.
    var output: String {
        ["relay", "stunnel"].map { name in
            "--- \(name)\n"
                + ((try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }

    /// Stops stunnel and the relay and removes the certificates.
    ///
    /// SIGKILL, because both hold nothing to flush, and a child of the test process inherits its blocked SIGTERM.
    func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    private static func run(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(
                command: arguments.joined(separator: " "), output: String(decoding: printed, as: UTF8.self))
        }
    }

    private static func start(_ arguments: [String], log: String, in directory: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = directory
        let logFile = directory.appendingPathComponent("\(log).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
