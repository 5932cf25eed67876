import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// Records `drainpipe_http_request_duration_seconds` for every request, labelled by the matched route template
/// (e.g. `/render`, `/api/v1/series/{owner}`, `NotFound`; never the raw path, so the series stay few) and by the
/// answer's status; the time runs until the handler returned its response (streamed bodies are not waited for).
package struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let metrics: any MetricsFactory
    /// The timer of each route and status met so far: made once, not looked up in the registry per request.
    private let timers = TimerCache()

    package init(metrics: any MetricsFactory) {
        self.metrics = metrics
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(route: context.endpointPath, status: response.status.code, since: started)
            return response
        } catch let error as any HTTPResponseError {
            record(route: context.endpointPath, status: error.status.code, since: started)
            throw error
        } catch {
            record(route: context.endpointPath, status: 500, since: started)
            throw error
        }
    }

    private func record(route: String?, status: Int, since started: ContinuousClock.Instant) {
        let route = route ?? "unmatched"
        let timer = timers.timer(route: route, status: status) {
            Timer(
                label: "drainpipe_http_request_duration_seconds",
                dimensions: [("route", route), ("status", "\(status)")], factory: metrics)
        }
        timer.record(duration: ContinuousClock.now - started)
    }
}

/// The request timers by route template and status; the routes are templates, so there are few.
private final class TimerCache: Sendable {
    private struct Key: Hashable {
        var route: String
        var status: Int
    }

    private let timers = Mutex<[Key: Timer]>([:])

    func timer(route: String, status: Int, make: () -> Timer) -> Timer {
        let key = Key(route: route, status: status)
        if let timer = timers.withLock({ $0[key] }) { return timer }
        let timer = make()
        timers.withLock { $0[key] = timer }
        return timer
    }
}
