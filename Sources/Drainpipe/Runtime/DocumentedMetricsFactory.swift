import CoreMetrics
import Prometheus

/// The swift-metrics factory every process uses: Prometheus collectors as `PrometheusMetricsFactory` makes them, but
/// each with the `# HELP` line of `MetricHelp`, so the exposition passes `promtool check metrics`.
///
/// Counters become Prometheus counters, gauges and meters gauges, timers duration histograms and aggregating recorders
/// value histograms (`PrometheusMetricsFactory`'s default buckets, except the ones below). A metric missing from
/// `MetricHelp` gets no help line, which the exposition test reports.
package struct DocumentedMetricsFactory: MetricsFactory {
    package let registry: PrometheusCollectorRegistry
    private let defaults: PrometheusMetricsFactory

    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var defaults = PrometheusMetricsFactory(registry: registry)
        defaults.durationHistogramBuckets = Self.durationBuckets
        defaults.valueHistogramBuckets = Self.valueBuckets
        self.defaults = defaults
    }

    /// Buckets of the timers whose values mostly lie below the default's 5 ms lowest bucket.
    static let durationBuckets: [String: [Duration]] = [
        "drainpipe_kafka_produce_duration_seconds": [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ],
        "drainpipe_http_request_duration_seconds": [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ],
    ]

    /// Buckets of the value histograms whose values are counts rather than the default's durations.
    static let valueBuckets: [String: [Double]] = [
        "drainpipe_sink_copy_rows": [1, 4, 16, 64, 128, 256, 512, 1_024, 2_048, 4_096]
    ]

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
