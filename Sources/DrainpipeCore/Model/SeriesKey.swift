/// Identifies one summary: a series (owner, process type, metric) in one window of one period.
package struct SeriesKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var type: MeasurementType
    package var owner: String
    package var processType: String
    package var metric: String
    package var windowStart: EventTime
    /// The rollup period in seconds (60 for one-minute summaries).
    package var periodSeconds: Int32

    package init(
        type: MeasurementType, owner: String, processType: String, metric: String, windowStart: EventTime,
        periodSeconds: Int32
    ) {
        self.type = type
        self.owner = owner
        self.processType = processType
        self.metric = metric
        self.windowStart = windowStart
        self.periodSeconds = periodSeconds
    }

    /// Separates the parts of a Kafka key. A unit separator cannot occur in owners, process types or metric names
    /// that ingress accepts.
    package static let keySeparator: Character = "\u{1F}"

    /// The part of every key the partitioner hashes.
    package static func partitionKey(owner: String, processType: String) -> String {
        "\(owner)\(keySeparator)\(processType)"
    }

    package var partitionKey: String { Self.partitionKey(owner: owner, processType: processType) }

    /// The compacted summary topic's message key: the partition key followed by metric, period and window start,
    /// so compaction keeps exactly the newest version of each summary.
    package var messageKey: String {
        """
        \(partitionKey)\(Self.keySeparator)\(metric)\(Self.keySeparator)\(periodSeconds)\(Self.keySeparator)\
        \(windowStart.secondsSinceEpoch)
        """
    }

    package static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        (lhs.type.rawValue, lhs.owner, lhs.processType, lhs.metric, lhs.periodSeconds, lhs.windowStart)
            < (rhs.type.rawValue, rhs.owner, rhs.processType, rhs.metric, rhs.periodSeconds, rhs.windowStart)
    }

    package var description: String {
        "\(type.rawValue)/\(owner)/\(processType)/\(metric)/\(periodSeconds)s@\(windowStart.secondsSinceEpoch)"
    }
}
