/// The measurements of one raw batch (`drainpipe.v2.MeasurementBatch`) as columns over one table of strings, the
/// way the batch travels: the aggregator applies them without building a `Measurement` per line, and resolves each
/// distinct string (series, field name) once per batch instead of hashing it per measurement.
///
/// Every string position is below `strings.count`, the field and event columns hold exactly the entries the counts
/// announce, and platform event positions ascend below `count`: the decoder checks all of it before building one.
package struct MeasurementColumns: Sendable {
    package var type: MeasurementType
    package var receivedAt: EventTime
    /// Each distinct string of the batch once; the columns below hold positions in it.
    package var strings: [String]
    package var owners: [UInt32]
    package var processTypes: [UInt32]
    package var metrics: [UInt32]
    package var times: [EventTime]
    /// Per measurement, how many consecutive entries of `fieldNames` and `fieldValues` are its own.
    package var fieldCounts: [UInt32]
    package var fieldNames: [UInt32]
    package var fieldValues: [Double]
    /// Per measurement, how many consecutive entries of `eventNames` are its own.
    package var eventCounts: [UInt32]
    package var eventNames: [UInt32]
    /// Per measurement, one more than its drain id's position, or 0 when it has no origin.
    package var originDrains: [UInt32]
    /// Per measurement with an origin, its frame id's position and its line index (anything without one).
    package var originFrames: [UInt32]
    package var originLineIndexes: [UInt32]
    /// The measurements with a platform event, ascending, and their events.
    package var platformEventPositions: [Int]
    package var platformEvents: [PlatformEventDetail]

    package init(
        type: MeasurementType, receivedAt: EventTime, strings: [String], owners: [UInt32], processTypes: [UInt32],
        metrics: [UInt32], times: [EventTime], fieldCounts: [UInt32], fieldNames: [UInt32], fieldValues: [Double],
        eventCounts: [UInt32], eventNames: [UInt32], originDrains: [UInt32], originFrames: [UInt32],
        originLineIndexes: [UInt32], platformEventPositions: [Int], platformEvents: [PlatformEventDetail]
    ) {
        self.type = type
        self.receivedAt = receivedAt
        self.strings = strings
        self.owners = owners
        self.processTypes = processTypes
        self.metrics = metrics
        self.times = times
        self.fieldCounts = fieldCounts
        self.fieldNames = fieldNames
        self.fieldValues = fieldValues
        self.eventCounts = eventCounts
        self.eventNames = eventNames
        self.originDrains = originDrains
        self.originFrames = originFrames
        self.originLineIndexes = originLineIndexes
        self.platformEventPositions = platformEventPositions
        self.platformEvents = platformEvents
    }

    /// The number of measurements.
    package var count: Int { owners.count }

    /// The origin of measurement `index`, if it has one.
    package func origin(at index: Int) -> DrainOrigin? {
        let drain = originDrains[index]
        guard drain != 0 else { return nil }
        return DrainOrigin(
            drainID: strings[Int(drain) - 1], frameID: strings[Int(originFrames[index])],
            lineIndex: originLineIndexes[index])
    }

    /// The measurements one by one, in their order, sharing the table's strings.
    package var measurements: [Measurement] {
        var measurements: [Measurement] = []
        measurements.reserveCapacity(count)
        for entry in entries {
            let index = entry.index
            measurements.append(
                Measurement(
                    type: type, owner: strings[Int(owners[index])], processType: strings[Int(processTypes[index])],
                    metric: strings[Int(metrics[index])], time: times[index], receivedAt: receivedAt,
                    fields: entry.fields.map {
                        MeasurementField(name: strings[Int(fieldNames[$0])], value: fieldValues[$0])
                    },
                    events: entry.events.map { strings[Int(eventNames[$0])] }, origin: origin(at: index),
                    platformEvent: entry.platformEvent))
        }
        return measurements
    }

    /// Where one measurement's own entries are in the shared columns.
    package struct Entry {
        package var index: Int
        /// Its positions in `fieldNames` and `fieldValues`.
        package var fields: Range<Int>
        /// Its positions in `eventNames`.
        package var events: Range<Int>
        package var platformEvent: PlatformEventDetail?
    }

    /// Every measurement's entries, in order.
    package var entries: Entries { Entries(columns: self) }

    /// Walks the columns once, measurement by measurement.
    package struct Entries: Sequence, IteratorProtocol {
        private let columns: MeasurementColumns
        private var index = 0
        private var fieldStart = 0
        private var eventStart = 0
        private var nextPlatformEvent = 0

        init(columns: MeasurementColumns) {
            self.columns = columns
        }

        package mutating func next() -> Entry? {
            guard index < columns.count else { return nil }
            let fields = fieldStart..<fieldStart + Int(columns.fieldCounts[index])
            let events = eventStart..<eventStart + Int(columns.eventCounts[index])
            var platformEvent: PlatformEventDetail?
            if nextPlatformEvent < columns.platformEventPositions.count,
                columns.platformEventPositions[nextPlatformEvent] == index
            {
                platformEvent = columns.platformEvents[nextPlatformEvent]
                nextPlatformEvent += 1
            }
            let entry = Entry(index: index, fields: fields, events: events, platformEvent: platformEvent)
            index += 1
            fieldStart = fields.upperBound
            eventStart = events.upperBound
            return entry
        }
    }
}
