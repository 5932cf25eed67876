/// Takes measurements one at a time as a parser reads them, so a consumer that only encodes them (the ingress's raw
/// batches) never needs an array of `Measurement` values.
///
/// A measurement handed to `append` is lent: its field and event buffers are refilled for the next one, so a sink that
/// keeps it keeps a copy (which is what `MeasurementCollector` does).
package protocol MeasurementSink {
    mutating func append(_ measurement: Measurement)
}

/// The sink that keeps every measurement, in order.
package struct MeasurementCollector: MeasurementSink, Sendable {
    package var measurements: [Measurement] = []

    package init() {}

    package mutating func append(_ measurement: Measurement) {
        measurements.append(measurement)
    }
}
