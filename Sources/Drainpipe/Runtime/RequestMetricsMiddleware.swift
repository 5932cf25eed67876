import HTTPTypes
import Hummingbird
import Metrics

/// Records `drainpipe_http_request_duration_seconds` for every request, labelled by the matched route template
/// (e.g. `/render`, `/api/v1/series/{owner}`, `NotFound`; never the raw path, so the series stay few) and by the
/// answer's status; the time runs until the handler returned its response (streamed bodies are not waited for).
package struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let metrics: any MetricsFactory

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
        Timer(
            label: "drainpipe_http_request_duration_seconds",
            dimensions: [("route", route ?? "unmatched"), ("status", "\(status)")], factory: metrics
        ).record(duration: ContinuousClock.now - started)
    }
}
