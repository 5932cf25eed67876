import CoreMetrics
import Prometheus

/// The swift-metrics factory every process uses: Prometheus collectors as `PrometheusMetricsFactory` makes them, but
/// each with the `# HELP` line of `MetricHelp`, so the exposition passes `promtool check metrics`.
///
/// Counters become Prometheus counters, gauges and meters gauges, timers duration histograms and aggregating recorders
/// value histograms (the buckets of `PrometheusMetricsFactory`'s defaults). A metric missing from `MetricHelp` gets no
/// help line, which the exposition test reports.
package struct DocumentedMetricsFactory: MetricsFactory {
    package let registry: PrometheusCollectorRegistry
    private let defaults: PrometheusMetricsFactory

    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        defaults = PrometheusMetricsFactory(registry: registry)
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricHelp.text[label] ?? "")
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeFloatingPointCounter(
        label: String, dimensions: [(String, String)]
    )
        -> any FloatingPointCounterHandler
    {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: descriptor(label), labels: dimensions,
            buckets: defaults.valueHistogramBuckets[label] ?? defaults.defaultValueHistogramBuckets)
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions,
            buckets: defaults.durationHistogramBuckets[label] ?? defaults.defaultDurationHistogramBuckets)
    }

    package func destroyCounter(_ handler: any CounterHandler) { defaults.destroyCounter(handler) }
    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        defaults.destroyFloatingPointCounter(handler)
    }
    package func destroyRecorder(_ handler: any RecorderHandler) { defaults.destroyRecorder(handler) }
    package func destroyMeter(_ handler: any MeterHandler) { defaults.destroyMeter(handler) }
    package func destroyTimer(_ handler: any TimerHandler) { defaults.destroyTimer(handler) }
}
