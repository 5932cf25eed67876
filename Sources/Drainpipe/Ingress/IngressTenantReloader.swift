import DrainpipeCore
import Logging
import Metrics
import ServiceLifecycle
import UnixSignals

/// Reloads the tenants file on SIGHUP; an invalid new file is logged and counted, and the old one stays in force.
package struct IngressTenantReloader: Service {
    private let tenants: LiveTenantDirectory
    private let logger: Logger
    private let reloads: Counter
    private let failedReloads: Counter

    package init(tenants: LiveTenantDirectory, metrics: any MetricsFactory, logger: Logger) {
        self.tenants = tenants
        self.logger = logger
        reloads = Counter(
            label: "drainpipe_ingress_tenant_reloads_total", dimensions: [("result", "ok")], factory: metrics)
        failedReloads = Counter(
            label: "drainpipe_ingress_tenant_reloads_total", dimensions: [("result", "failed")], factory: metrics)
    }

    package func run() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                reloadNow()
            }
        }
    }

    /// Reloads once, as each SIGHUP does.
    private func reloadNow() {
        do {
            let owners = try tenants.reload()
            reloads.increment()
            logger.info("tenants file reloaded", metadata: ["owners": "\(owners)", "path": "\(tenants.path ?? "-")"])
        } catch {
            failedReloads.increment()
            logger.error(
                "tenants file not reloaded; the previous one stays in force",
                metadata: ["error": "\(error)", "path": "\(tenants.path ?? "-")"])
        }
    }
}
