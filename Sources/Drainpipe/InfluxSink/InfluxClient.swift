import DrainpipeCore
import DrainpipeZlib
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// InfluxDB 1.x's HTTP API as the influx-sink uses it: `POST /write` of line protocol (gzip when enabled) and
/// `POST /query` of InfluxQL.
///
/// FoundationNetworking's `URLSession` (libcurl underneath) rather than async-http-client: two calls with small
/// bodies need no event loop of their own, and it adds nothing to the build. Credentials travel in the
/// `Authorization` header only, never in a URL, so no error message can carry them.
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
    private let timeout: Double

    package init(url: InfluxURL, gzip: Bool, timeout: Duration) {
        self.url = url
        self.gzip = gzip
        self.timeout = Double(timeout.wholeMicroseconds) / 1_000_000
    }

    /// Posts line protocol (one line per point, each ending in a line feed).
    package func write(_ lines: [UInt8]) async -> WriteOutcome {
        var request = URLRequest(url: url.writeURL)
        request.httpMethod = "POST"
        request.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
        if gzip {
            request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
            request.httpBody = Data(ZlibDeflater.deflateGzip(lines, level: 1))
        } else {
            request.httpBody = Data(lines)
        }
        switch await send(request) {
        case .failure(let failure): return .unavailable(reason: failure.reason)
        case .success((204, _)): return .written
        case .success((let status, let body)) where status == 400 || status == 413:
            return .rejected(reason: "HTTP \(status): \(Self.errorText(body))")
        case .success((let status, let body)): return .unavailable(reason: "HTTP \(status): \(Self.errorText(body))")
        }
    }

    /// Runs InfluxQL statements (separated by `;`) and returns each statement's result object.
    package func query(_ statements: String) async throws(InfluxQueryError) -> [[String: Any]] {
        var request = URLRequest(url: url.queryURL)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        var form = URLComponents()
        form.queryItems = [URLQueryItem(name: "q", value: statements)]
        // URLComponents leaves `+` alone, which a form body reads as a space.
        let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        request.httpBody = Data(body.utf8)
        switch await send(request) {
        case .failure(let failure): throw InfluxQueryError(reason: failure.reason)
        case .success((200, let body)):
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                let results = object["results"] as? [[String: Any]]
            else { throw InfluxQueryError(reason: "an answer without results") }
            if let failed = results.first(where: { $0["error"] != nil }) {
                throw InfluxQueryError(reason: "\(failed["error"] ?? "")")
            }
            return results
        case .success((let status, let body)):
            throw InfluxQueryError(reason: "HTTP \(status): \(Self.errorText(body))")
        }
    }

    /// Sends one request on a session of its own, closing the connection after it, and gives up after the timeout
    /// by its own timer: FoundationNetworking was seen waiting forever, whatever its own timeouts, once a server
    /// went away mid-request (InfluxDB restarted), and a session that did so stayed stuck for later requests.
    private func send(_ request: URLRequest) async -> Result<(Int, Data), SendFailure> {
        var request = request
        if let authorization = url.authorization {
            request.setValue(authorization, forHTTPHeaderField: "Authorization")
        }
        request.setValue("close", forHTTPHeaderField: "Connection")
        let origin = url.origin
        let timeout = timeout
        let prepared = request
        let answer = OneAnswer()
        return await withCheckedContinuation { continuation in
            answer.await(continuation)
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                answer.give(.failure(SendFailure("\(origin): no answer within \(timeout) s")))
            }
            DispatchQueue.global().async {
                let configuration = URLSessionConfiguration.ephemeral
                configuration.timeoutIntervalForRequest = timeout
                configuration.timeoutIntervalForResource = timeout
                let session = URLSession(configuration: configuration)
                session.dataTask(with: prepared) { body, response, error in
                    if let error {
                        answer.give(.failure(SendFailure("\(origin): \(error.localizedDescription)")))
                    } else if let http = response as? HTTPURLResponse {
                        answer.give(.success((http.statusCode, body ?? Data())))
                    } else {
                        answer.give(.failure(SendFailure("\(origin): not an HTTP answer")))
                    }
                }.resume()
                session.finishTasksAndInvalidate()
            }
        }
    }

    /// The first of the request's completion and its timer to arrive resumes the caller; the other is ignored.
    private final class OneAnswer: Sendable {
        private let waiting = Mutex<CheckedContinuation<Result<(Int, Data), SendFailure>, Never>?>(nil)

        func await(_ continuation: CheckedContinuation<Result<(Int, Data), SendFailure>, Never>) {
            waiting.withLock { $0 = continuation }
        }

        func give(_ result: Result<(Int, Data), SendFailure>) {
            let continuation = waiting.withLock { waiting in
                defer { waiting = nil }
                return waiting
            }
            continuation?.resume(returning: result)
        }
    }

    private struct SendFailure: Error, Sendable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// InfluxDB's `{"error": "…"}`, or the body's first 200 characters.
    private static func errorText(_ body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
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
