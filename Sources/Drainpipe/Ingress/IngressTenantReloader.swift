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
                await reloadNow()
            }
        }
    }

    /// Reloads once, as each SIGHUP does.
    ///
    /// Reading the file needs a descriptor; when none is free (EMFILE under a connection flood) the read is tried
    /// again, up to `readAttempts` times a second apart, before the reload counts as failed. The file is read afresh
    /// each time rather than kept open, since operators replace it atomically (a kept descriptor would see the old
    /// file). A file that reads but does not parse fails at once.
    private func reloadNow() async {
        do {
            let owners = try tenants.reload(yaml: await readFile())
            reloads.increment()
            logger.info("tenants file reloaded", metadata: ["owners": "\(owners)", "path": "\(tenants.path ?? "-")"])
        } catch {
            failedReloads.increment()
            logger.error(
                "tenants file not reloaded; the previous one stays in force",
                metadata: ["error": "\(error)", "path": "\(tenants.path ?? "-")"])
        }
    }

    private static let readAttempts = 5

    private func readFile() async throws(ConfigurationError) -> String {
        guard let path = tenants.path else { throw .unreadableFile(path: "-", reason: "no tenants file") }
        for attempt in 1..<Self.readAttempts {
            do {
                return try ConfigurationFile.text(at: path)
            } catch {
                logger.warning(
                    "tenants file unreadable; trying again in 1 s",
                    metadata: ["attempt": "\(attempt)", "error": "\(error)", "path": "\(path)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return try ConfigurationFile.text(at: path)
    }
}
