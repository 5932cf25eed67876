/// The aggregate of every measurement accepted for one series in one window.
///
/// `version` orders the versions of the same summary that the aggregator publishes as late data arrives:
/// it is one past the highest raw-topic offset included, so a newer version always has a larger number and a
/// replay reproduces the same number. Sinks let only a larger version replace a stored row.
package struct Summary: Sendable, Hashable {
    package var key: SeriesKey
    package var version: Int64
    /// Statistics per field name; a field absent from every line of the window is absent here.
    package var fields: [String: FieldStatistics]
    /// Event counts by name (status classes, error codes); empty for gauge-only types.
    package var counts: [String: UInt64]
    /// Quantile sketches by field name, for the fields `MeasurementType.sketchedFieldNames` names (router
    /// `service_ms` and `connect_ms`); empty for every other type.
    package var sketches: [String: QuantileSketch]
    /// The window's platform events (`PLATFORM_EVENTS` only), bounded; `counts` holds every event's kind.
    package var platformEvents: PlatformEventLog

    package init(
        key: SeriesKey, version: Int64, fields: [String: FieldStatistics] = [:], counts: [String: UInt64] = [:],
        sketches: [String: QuantileSketch] = [:], platformEvents: PlatformEventLog = .empty
    ) {
        self.key = key
        self.version = version
        self.fields = fields
        self.counts = counts
        self.sketches = sketches
        self.platformEvents = platformEvents
    }

    /// Folds another summary of the same series and period into this one (downsampling, merging halves).
    ///
    /// Associative and commutative; the version becomes the larger of the two.
    package mutating func merge(_ other: Summary) {
        version = max(version, other.version)
        for (name, statistics) in other.fields {
            fields[name, default: .empty].merge(statistics)
        }
        for (name, count) in other.counts {
            counts[name, default: 0] += count
        }
        for (name, sketch) in other.sketches {
            sketches[name, default: QuantileSketch()].merge(sketch)
        }
        platformEvents.merge(other.platformEvents)
    }

    package func merging(_ other: Summary) -> Summary {
        var copy = self
        copy.merge(other)
        return copy
    }
}
