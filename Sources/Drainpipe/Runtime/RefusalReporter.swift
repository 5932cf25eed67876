import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Synchronization

/// Counts and logs every HTTP refusal (4xx and 5xx) by status and reason, and listener events such as accept
/// failures; the log is rate-limited per (status, reason), and never carries credentials, query strings or bodies.
package final class RefusalReporter: Sendable {
    /// The response header an ingest refusal names its reason in (e.g. `body_too_large`); also sent to the client.
    package static let reasonHeader = HTTPField.Name("Drainpipe-Refusal")!

    private struct LogWindow {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let logger: Logger
    private let metrics: any MetricsFactory
    private let logInterval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let windows = Mutex([String: LogWindow]())

    /// - Parameters:
    ///   - logInterval: at most one log line per (status, reason) per interval; the lines in between are counted
    ///     and reported with the next one.
    ///   - now: the clock (injected by tests).
    package init(
        logger: Logger, metrics: any MetricsFactory, logInterval: Duration = .seconds(10),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.logger = logger
        self.metrics = metrics
        self.logInterval = logInterval
        self.now = now
    }

    /// Counts `drainpipe_http_refusals_total{status, reason}` and logs it (warning for 5xx, info for 4xx), unless
    /// the same status and reason was logged within the interval.
    package func report(status: Int, reason: String, method: String, path: String, detail: String? = nil) {
        Counter(
            label: "drainpipe_http_refusals_total", dimensions: [("status", String(status)), ("reason", reason)],
            factory: metrics
        ).increment()
        let key = "\(status) \(reason)"
        guard let suppressed = admitLogLine(key: key) else { return }
        var metadata: Logger.Metadata = [
            "status": "\(status)", "reason": "\(reason)", "method": "\(method)", "path": "\(path.prefix(128))",
        ]
        if suppressed > 0 { metadata["suppressed_since_last"] = "\(suppressed)" }
        if let detail { metadata["detail"] = "\(detail.prefix(200))" }
        logger.log(level: status >= 500 ? .warning : .info, "HTTP request refused", metadata: metadata)
    }

    /// Nil when the key was logged within the interval (the line is counted as suppressed); otherwise the number of
    /// lines suppressed since the last one.
    private func admitLogLine(key: String) -> Int? {
        let instant = now()
        return windows.withLock { windows -> Int? in
            if var window = windows[key], instant < window.lastLogged.advanced(by: logInterval) {
                window.suppressed += 1
                windows[key] = window
                return nil
            }
            let suppressed = windows[key]?.suppressed ?? 0
            windows[key] = LogWindow(lastLogged: instant, suppressed: 0)
            return suppressed
        }
    }
}

/// Refuses query parameters with control characters (400), turns any error a route did not answer into a 500 with
/// a body, and reports every 4xx and 5xx to the `RefusalReporter`.
package struct RefusalMiddleware<Context: RequestContext>: RouterMiddleware {
    package let reporter: RefusalReporter

    package init(reporter: RefusalReporter) {
        self.reporter = reporter
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let method = request.method.rawValue
        let path = request.uri.path
        if Self.hasControlCharacter(request.uri.queryParameters) {
            reporter.report(status: 400, reason: "control_character_in_query", method: method, path: path)
            return Self.text(.badRequest, "Query parameters must not contain control characters (such as NUL).")
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            reporter.report(
                status: Int(error.status.code), reason: Self.reason(of: error.status), method: method, path: path)
            throw error
        } catch {
            reporter.report(
                status: 500, reason: "internal_error", method: method, path: path,
                detail: String(describing: type(of: error)))
            return Self.text(.internalServerError, "Internal error; it was logged. Retry later.")
        }
        if response.status.code >= 400 {
            let reason = response.headers[RefusalReporter.reasonHeader] ?? Self.reason(of: response.status)
            reporter.report(status: response.status.code, reason: reason, method: method, path: path)
        }
        return response
    }

    /// `unauthorized`, `not_found`…: the status's reason phrase as a label.
    static func reason(of status: HTTPResponse.Status) -> String {
        status.reasonPhrase.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    static func hasControlCharacter(_ parameters: Parameters) -> Bool {
        parameters.contains { key, value in
            key.unicodeScalars.contains(where: isControl) || value.unicodeScalars.contains(where: isControl)
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
