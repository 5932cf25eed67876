import DrainpipeCore
import DrainpipeKafka
import DrainpipeWire

/// The raw records of a batch of Graphite datapoints, written as `GraphiteLineParser` reads them: no `String`,
/// `Measurement` or string hashing per datapoint. A path is resolved once (its `String`, process type, partition,
/// admission by the owner's lists, series hash) into a bounded cache that a TCP connection keeps across its batches,
/// and the path's string numbers in its open raw batch are kept beside it.
///
/// The records are those `RawRecordBatcher` makes of the same datapoints as `Measurement`s behind an
/// `IngressAdmission.Filter`: the same batches, splits, order and bytes. On a version-1 raw topic the builder hands
/// such measurements to a `RawRecordBatcher`.
///
/// Use: `begin` a batch, parse its lines into the builder, charge `admittedCount`/`deniedCount`/`series`, produce
/// `records()`; then `begin` the next.
package struct GraphiteRecordBuilder: GraphiteDatapointSink {
    /// The most paths a builder remembers; past that a new path takes the slot of the one its hash points at.
    package static let maximumCachedPaths = 1024

    private let destination: TopicCatalog.RawDestinations.Destination
    private let destinations: TopicCatalog.RawDestinations
    private let maximumBatchBytes: Int
    private var paths = PathCache()

    // The batch being built (the owner is a placeholder until the first `begin`).
    private var owner = TenantDirectory.Owner(id: "", drainCredentials: [], apiTokens: [])
    private var receivedAt = EventTime(microsecondsSinceEpoch: 0)
    private var origin: (drainID: String, frameID: String)?
    /// `MeasurementBatchWire.estimatedBytes` of a datapoint without its process type and path.
    private var fixedEstimatedBytes = 0
    private var admitsEverything = true
    private var tracksSeries = false
    /// The lists the paths' admission was decided by, and that decision's epoch (see `PathCache.Entry`).
    private var admissionLists: (allowed: [MetricPattern], denied: [MetricPattern]) = ([], [])
    private var admissionEpoch: UInt64 = 0
    /// In the order they were opened; a full one is closed in place. Not optionals: reading a field through `!`
    /// copies the whole batch, columns and all.
    private var batches: [OpenBatch] = []
    private var openBatchIndex: [Int32: Int] = [:]
    private var recentBatch: (partition: Int32, index: Int)?
    /// Every batch ever opened by this builder has its own stamp, so a path's string numbers are known to belong to
    /// its open batch (64 bits: a long-lived connection never wraps around to a stamp a cached path still holds).
    private var nextStamp: UInt64 = 1
    /// The last process type numbered and the batch (stamp) it was numbered in: new paths mostly share it.
    private var recentProcessType: (stamp: UInt64, string: String, number: UInt32) = (0, "", 0)
    /// Full batches closed, in the order they were closed.
    private var finished: [KafkaRecord] = []
    /// On a version-1 raw topic: the measurements' records, one per datapoint.
    private var measurementRecords: RawRecordBatcher?

    /// Datapoints that passed the owner's lists.
    package private(set) var admittedCount = 0
    /// Datapoints dropped by the owner's lists.
    package private(set) var deniedCount = 0
    /// The series hashes (`IngressQuotaLedger.seriesHash`) of what passed, when the owner has a series cap.
    package private(set) var series: [Int] = []

    /// A builder for the `CUSTOM_METRICS` raw topic of `destinations`, batches split below `maximumBatchBytes`.
    package init(
        destinations: TopicCatalog.RawDestinations, maximumBatchBytes: Int = TopicCatalog.maximumRawBatchBytes
    ) {
        self.destinations = destinations
        destination = destinations.destination(of: .customMetrics)
        self.maximumBatchBytes = maximumBatchBytes
    }

    /// Starts the records of one batch of lines of `owner`, received at `receivedAt`; `batchID` gives every
    /// datapoint the origin (`<owner>/graphite`, batch, line) that `POST /graphite` retries are counted once by.
    package mutating func begin(owner: TenantDirectory.Owner, receivedAt: EventTime, batchID: String?) {
        // Partitions depend on the owner: another owner's batch starts from an empty cache.
        if owner.id != self.owner.id { paths = PathCache() }
        self.owner = owner
        self.receivedAt = receivedAt
        origin = batchID.map { ("\(owner.id)/graphite", $0) }
        fixedEstimatedBytes = 40 + owner.id.utf8.count + 20 + Self.valueField.utf8.count
        if let origin { fixedEstimatedBytes += 30 + origin.drainID.utf8.count + origin.frameID.utf8.count }
        admitsEverything = owner.admitsEverything
        tracksSeries = !owner.limits.isUnlimited && owner.limits.distinctSeriesPerMinute != nil
        if !admitsEverything,
            owner.allowedMetrics != admissionLists.allowed || owner.deniedMetrics != admissionLists.denied
        {
            admissionLists = (owner.allowedMetrics, owner.deniedMetrics)
            admissionEpoch &+= 1
        }
        batches.removeAll(keepingCapacity: true)
        openBatchIndex.removeAll(keepingCapacity: true)
        recentBatch = nil
        finished.removeAll(keepingCapacity: true)
        measurementRecords =
            destination.isBatched
            ? nil
            : RawRecordBatcher(destinations: destinations, timestamp: receivedAt, maximumBatchBytes: maximumBatchBytes)
        admittedCount = 0
        deniedCount = 0
        series.removeAll(keepingCapacity: true)
    }

    package mutating func append(path: Range<Int>, of bytes: [UInt8], value: Double, time: EventTime, lineIndex: UInt32)
    {
        // The topic (a struct of strings) is read only for a path not cached: copying it per datapoint costs.
        let hash = PathCache.hash(path, of: bytes)
        let entry =
            paths.cached(path, of: bytes, hash: hash)
            ?? paths.add(path, of: bytes, hash: hash, owner: owner.id, topic: destination.topic)
        if !admitsEverything {
            if paths.entries[entry].admissionEpoch != admissionEpoch {
                paths.entries[entry].isAdmitted = owner.admits(metric: paths.entries[entry].path)
                paths.entries[entry].admissionEpoch = admissionEpoch
            }
            guard paths.entries[entry].isAdmitted else {
                deniedCount += 1
                return
            }
        }
        admittedCount += 1
        if tracksSeries { series.append(paths.seriesHash(of: entry)) }
        guard measurementRecords == nil else {
            appendMeasurement(of: entry, value: value, time: time, lineIndex: lineIndex)
            return
        }
        let partition = paths.entries[entry].partition
        let bytes = fixedEstimatedBytes + paths.entries[entry].estimatedBytes
        var open: Int? =
            if let recentBatch, recentBatch.partition == partition { recentBatch.index } else {
                openBatchIndex[partition]
            }
        if let full = open, batches[full].estimatedBytes + bytes > maximumBatchBytes {
            finished.append(batches[full].record(timestamp: receivedAt))
            batches[full].close()
            open = nil
        }
        let index = open ?? openBatch(for: entry)
        recentBatch = (partition, index)
        batches[index].estimatedBytes += bytes
        if paths.entries[entry].stamp != batches[index].stamp {
            // The process type before the path: the order `MeasurementBatchWriter.append(_:)` numbers them in. New
            // paths mostly share the previous one's process type, whose number the batch keeps.
            let processType = paths.entries[entry].processType
            let stamp = batches[index].stamp
            if recentProcessType.stamp != stamp || recentProcessType.string != processType {
                recentProcessType = (stamp, processType, batches[index].writer.number(of: processType))
            }
            paths.entries[entry].processTypeNumber = recentProcessType.number
            paths.entries[entry].metricNumber = batches[index].writer.number(of: paths.entries[entry].path)
            paths.entries[entry].stamp = batches[index].stamp
        }
        // Scalars only: a copy of the batch would share its columns and make the append copy them.
        let ownerNumber = batches[index].ownerNumber
        let fieldNameNumber = batches[index].fieldNameNumber
        let origin = batches[index].origin.map {
            MeasurementBatchWriter.NumberedOrigin(
                drain: $0.drain, frame: $0.frame, lineIndex: lineIndex)
        }
        batches[index].writer.append(
            owner: ownerNumber, processType: paths.entries[entry].processTypeNumber,
            metric: paths.entries[entry].metricNumber, time: time, fieldName: fieldNameNumber, value: value,
            origin: origin)
    }

    /// Every record of the batch: full batches in the order they closed, then the open ones in the order they
    /// opened.
    package func records() -> [KafkaRecord] {
        if let measurementRecords { return measurementRecords.records() }
        return finished + batches.filter(\.isOpen).map { $0.record(timestamp: receivedAt) }
    }

    /// The first three segments of the path `bytes[path]`, or nil when it has fewer (the path is then its own
    /// process type).
    static func processType(ofPath path: Range<Int>, of bytes: [UInt8]) -> String? {
        processTypeEnd(ofPath: path, of: bytes).map { String(decoding: bytes[path.lowerBound..<$0], as: UTF8.self) }
    }

    /// Where the process type of the path `bytes[path]` ends (its third dot), or nil when it has fewer segments.
    private static func processTypeEnd(ofPath path: Range<Int>, of bytes: [UInt8]) -> Int? {
        var dots = 0
        for index in path where bytes[index] == UInt8(ascii: ".") {
            dots += 1
            if dots == 3 { return index }
        }
        return nil
    }

    // MARK: - Batches

    private static let valueField = "value"

    /// A raw batch of one partition being filled, with the numbers of the strings every datapoint in it shares.
    private struct OpenBatch {
        var writer: MeasurementBatchWriter
        var partition: Int32
        var key: [UInt8]
        var estimatedBytes = 0
        var stamp: UInt64
        var ownerNumber: UInt32 = 0
        var fieldNameNumber: UInt32 = 0
        var origin: (drain: UInt32, frame: UInt32)?
        let topicName: String
        private(set) var isOpen = true

        /// Marks the batch closed (its record taken) and lets its columns go.
        mutating func close() {
            isOpen = false
            writer = MeasurementBatchWriter(type: writer.type, receivedAt: writer.receivedAt)
        }

        func record(timestamp: EventTime) -> KafkaRecord {
            KafkaRecord(topic: topicName, partition: partition, key: key, value: writer.encoded(), timestamp: timestamp)
        }
    }

    /// Opens the batch of `entry`'s partition, numbering its shared strings in `MeasurementBatchWriter.append(_:)`'s
    /// order: owner, process type, path, field name, drain, frame.
    private mutating func openBatch(for entry: Int) -> Int {
        let stamp = nextStamp
        nextStamp &+= 1
        var batch = OpenBatch(
            writer: MeasurementBatchWriter(type: .customMetrics, receivedAt: receivedAt),
            partition: paths.entries[entry].partition, key: paths.entries[entry].partitionKey, stamp: stamp,
            topicName: destination.topicName)
        batch.ownerNumber = batch.writer.number(of: owner.id)
        let processType = paths.entries[entry].processType
        paths.entries[entry].processTypeNumber = batch.writer.number(of: processType)
        recentProcessType = (stamp, processType, paths.entries[entry].processTypeNumber)
        paths.entries[entry].metricNumber = batch.writer.number(of: paths.entries[entry].path)
        paths.entries[entry].stamp = stamp
        batch.fieldNameNumber = batch.writer.number(of: Self.valueField)
        if let origin {
            batch.origin = (batch.writer.number(of: origin.drainID), batch.writer.number(of: origin.frameID))
        }
        let index = batches.count
        batches.append(batch)
        openBatchIndex[batch.partition] = index
        return index
    }

    /// The version-1 path: the datapoint as a `Measurement`, into its own record.
    private mutating func appendMeasurement(of entry: Int, value: Double, time: EventTime, lineIndex: UInt32) {
        measurementRecords?.append(
            Measurement(
                type: .customMetrics, owner: owner.id, processType: paths.entries[entry].processType,
                metric: paths.entries[entry].path, time: time, receivedAt: receivedAt,
                fields: [MeasurementField(name: Self.valueField, value: value)],
                origin: origin.map { DrainOrigin(drainID: $0.drainID, frameID: $0.frameID, lineIndex: lineIndex) }))
    }

    // MARK: - Paths

    /// Resolved paths in a direct-mapped table (a path's hash picks its one slot), which grows up to
    /// `maximumCachedPaths` slots while it fills; a path whose slot holds another replaces it, so a connection with
    /// more distinct paths than slots costs what resolving every path would, never more memory.
    private struct PathCache {
        struct Entry {
            var hash: UInt64
            /// The path's bytes, compared with a line's before the entry is used.
            var key: [UInt8]
            var path: String
            var processType: String
            var partition: Int32
            /// The batch key of the path's series (`Measurement.partitionKey`).
            var partitionKey: [UInt8]
            /// The path's and process type's share of `MeasurementBatchWire.estimatedBytes`.
            var estimatedBytes: Int
            var isAdmitted = true
            /// The `GraphiteRecordBuilder.admissionEpoch` `isAdmitted` was decided in; 0 is none.
            var admissionEpoch: UInt64 = 0
            var seriesHash: Int?
            /// The batch whose string table `processTypeNumber` and `metricNumber` are numbers of; 0 is none.
            var stamp: UInt64 = 0
            var processTypeNumber: UInt32 = 0
            var metricNumber: UInt32 = 0
        }

        /// Read and updated in place by the builder (admission, string numbers).
        var entries: [Entry] = []
        /// Slot → index in `entries` plus one; 0 is an empty slot.
        private var slots = [Int](repeating: 0, count: 64)
        /// Process types already resolved: a connection's paths share few.
        private var processTypes: [String: (partition: Int32, partitionKey: [UInt8])] = [:]
        /// The last process type resolved, with its bytes: consecutive new paths mostly share it, and then it costs
        /// neither a `String` nor a hash.
        private var recentProcessType: (bytes: [UInt8], processType: String, partition: Int32, partitionKey: [UInt8])?

        /// The index in `entries` of `path` (whose `hash(_:of:)` is `hash`), if it is cached.
        func cached(_ path: Range<Int>, of bytes: [UInt8], hash: UInt64) -> Int? {
            let cached = slots[Int(truncatingIfNeeded: hash) & (slots.count - 1)] - 1
            guard cached >= 0, entries[cached].hash == hash, Self.key(entries[cached].key, equals: path, of: bytes)
            else { return nil }
            return cached
        }

        /// Resolves `path` (not cached) and caches it in its slot; returns its index in `entries`.
        mutating func add(
            _ path: Range<Int>, of bytes: [UInt8], hash: UInt64, owner: String, topic: TopicCatalog.Topic
        ) -> Int {
            let entry = resolve(path, of: bytes, hash: hash, owner: owner, topic: topic)
            // A path taking an empty slot grows the table first while it is half full and below its bound.
            let isSlotEmpty = slots[Int(truncatingIfNeeded: hash) & (slots.count - 1)] == 0
            if isSlotEmpty, entries.count * 2 >= slots.count, slots.count < GraphiteRecordBuilder.maximumCachedPaths {
                grow()
            }
            return insert(entry)
        }

        /// Puts `entry` in its slot, replacing the entry there; returns its index in `entries`.
        private mutating func insert(_ entry: Entry) -> Int {
            let slot = Int(truncatingIfNeeded: entry.hash) & (slots.count - 1)
            if slots[slot] > 0 {
                entries[slots[slot] - 1] = entry
                return slots[slot] - 1
            }
            entries.append(entry)
            slots[slot] = entries.count
            return entries.count - 1
        }

        /// Doubles the slots; entries whose new slots collide keep the first.
        private mutating func grow() {
            slots = [Int](repeating: 0, count: slots.count * 2)
            var kept: [Entry] = []
            kept.reserveCapacity(entries.count)
            for entry in entries {
                let slot = Int(truncatingIfNeeded: entry.hash) & (slots.count - 1)
                guard slots[slot] == 0 else { continue }
                kept.append(entry)
                slots[slot] = kept.count
            }
            entries = kept
        }

        private mutating func resolve(
            _ path: Range<Int>, of bytes: [UInt8], hash: UInt64, owner: String, topic: TopicCatalog.Topic
        ) -> Entry {
            let pathString = String(decoding: bytes[path], as: UTF8.self)
            let processTypeEnd = GraphiteRecordBuilder.processTypeEnd(ofPath: path, of: bytes)
            let prefix = path.lowerBound..<(processTypeEnd ?? path.upperBound)
            let processType: String
            let resolved: (partition: Int32, partitionKey: [UInt8])
            if let recent = recentProcessType, Self.key(recent.bytes, equals: prefix, of: bytes) {
                processType = recent.processType
                resolved = (recent.partition, recent.partitionKey)
            } else {
                processType = processTypeEnd == nil ? pathString : String(decoding: bytes[prefix], as: UTF8.self)
                if let known = processTypes[processType] {
                    resolved = known
                } else {
                    if processTypes.count >= GraphiteRecordBuilder.maximumCachedPaths { processTypes.removeAll() }
                    resolved = (
                        topic.partition(owner: owner, processType: processType),
                        Array(SeriesKey.partitionKey(owner: owner, processType: processType).utf8)
                    )
                    processTypes[processType] = resolved
                }
                recentProcessType = (Array(bytes[prefix]), processType, resolved.partition, resolved.partitionKey)
            }
            return Entry(
                hash: hash, key: Array(bytes[path]), path: pathString, processType: processType,
                partition: resolved.partition,
                partitionKey: resolved.partitionKey, estimatedBytes: path.count + processType.utf8.count)
        }

        mutating func seriesHash(of entry: Int) -> Int {
            if let known = entries[entry].seriesHash { return known }
            let hash = IngressQuotaLedger.seriesHash(
                type: .customMetrics, processType: entries[entry].processType, metric: entries[entry].path)
            entries[entry].seriesHash = hash
            return hash
        }

        private static func key(_ key: [UInt8], equals path: Range<Int>, of bytes: [UInt8]) -> Bool {
            guard key.count == path.count else { return false }
            var index = path.lowerBound
            for byte in key {
                guard bytes[index] == byte else { return false }
                index += 1
            }
            return true
        }

        /// A quick 64-bit hash of a path's bytes, mixed eight at a time. Not a defence against chosen collisions,
        /// nor one needed: a collision costs a cache miss, never a wrong entry (the bytes are compared).
        static func hash(_ path: Range<Int>, of bytes: [UInt8]) -> UInt64 {
            var hash = 0x9E37_79B9_7F4A_7C15 ^ UInt64(path.count)
            var word: UInt64 = 0
            for index in path {
                word = word << 8 | UInt64(bytes[index])
                if (index - path.lowerBound) & 7 == 7 {
                    hash = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
                    hash ^= hash >> 31
                    word = 0
                }
            }
            hash = (hash ^ word) &* 0x94D0_49BB_1331_11EB
            return hash ^ (hash >> 29)
        }
    }
}
