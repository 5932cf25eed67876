/// The aggregation state of one raw-topic partition: open windows, their summaries, and what is final.
///
/// A pure value: time comes only from Kafka timestamps of the messages it is given, so the same sequence of
/// messages always produces the same summaries. The owning service feeds messages in offset order, takes the
/// changed summaries at every flush, and after the flush was acknowledged calls `finalizeWindows()` and commits
/// `commitPoint`.
///
/// One state may be fed by several sources: partition p of every raw topic version of a type (`T.1` and `T.2`
/// during a migration), so a series' window counts the measurements of both. Each source has its own offsets and
/// watermark, and every decision about a message depends only on its own source's messages (never on how the
/// sources interleaved), so a replay of each source from its commit point decides exactly as the first time. A
/// window is forgotten only when it is final by the watermark of every live source (one whose watermark is within
/// a late bound of the newest: a finished migration's idle old topic holds nothing open). A summary's version is
/// the sum over sources of one past the last offset it counts, so it grows with every change and a replay that
/// rebuilds a summary rebuilds its version.
package struct PartitionAggregator: Sendable {
    /// What happened to one measurement.
    package enum Outcome: Sendable, Hashable, CaseIterable {
        case accepted
        case tooLate
        case tooFarInFuture
        /// Its window was already final (published complete) when the measurement arrived.
        case windowAlreadyFinal
        /// Its offset was at or below one already applied (a re-delivery after a seek).
        case alreadyApplied
        /// Its window already holds a measurement of the same (drain, frame id, line index, type, metric): a
        /// Logplex retry of a batch, counted once.
        case duplicate
    }

    /// A series without its window; interned once per partition so windows key their series by a small number.
    private struct SeriesName: Sendable, Hashable {
        var type: MeasurementType
        var owner: String
        var processType: String
        var metric: String
    }

    /// The running aggregate of one series in one window.
    private struct SeriesAccumulator: Sendable {
        let seriesID: Int32
        /// Per source, the highest offset included (−1: none).
        var lastOffsets: [Int64]
        /// The sum over sources of one past the highest offset included.
        var version: Int64 = 0
        var isChanged = false
        /// Statistics of the type's known fields, by `FieldLayout` position.
        var statistics: [FieldStatistics]
        /// Statistics of fields the type has no position for (kept, so nothing is silently lost).
        var otherFields: [String: FieldStatistics] = [:]
        /// Event counts as (name, count) pairs in first-seen order: a window sees few distinct events per series,
        /// so a scan of small strings beats hashing them, and the pairs take less memory than a dictionary.
        var eventCounts: [(name: String, count: UInt64)] = []
        /// Sketches of the type's sketched fields, by `FieldLayout.sketchedNames` position.
        var sketches: [QuantileSketch]
        /// Platform events (`PLATFORM_EVENTS` only), bounded.
        var platformEvents = PlatformEventLog.empty

        init(seriesID: Int32, layout: FieldLayout, sourceCount: Int) {
            self.seriesID = seriesID
            lastOffsets = Array(repeating: -1, count: sourceCount)
            statistics = Array(repeating: .empty, count: layout.names.count)
            sketches = Array(repeating: QuantileSketch(), count: layout.sketchedNames.count)
        }

        mutating func add(_ measurement: Measurement, source: Int, offset: Int64, layout: FieldLayout) {
            for (hint, field) in measurement.fields.enumerated() {
                if let position = layout.position(of: field.name, hint: hint) {
                    add(field.value, at: position, layout: layout)
                } else {
                    otherFields[field.name, default: .empty].add(field.value)
                }
            }
            for event in measurement.events { count(event) }
            if let detail = measurement.platformEvent {
                platformEvents.add(PlatformEvent(time: measurement.time, detail: detail))
            }
            include(source: source, offset: offset)
        }

        /// Adds the measurement of `batch` that `entry` locates; `fieldPositions` holds each string's position in
        /// `layout` (−1: none). Adds exactly what `add(batch.measurements[entry.index], …)` adds, in the same order.
        mutating func add(
            _ batch: MeasurementColumns, entry measurement: MeasurementColumns.Entry, fieldPositions: [Int32],
            source: Int, offset: Int64, layout: FieldLayout
        ) {
            for entry in measurement.fields {
                let name = Int(batch.fieldNames[entry])
                let position = Int(fieldPositions[name])
                if position >= 0 {
                    add(batch.fieldValues[entry], at: position, layout: layout)
                } else {
                    otherFields[batch.strings[name], default: .empty].add(batch.fieldValues[entry])
                }
            }
            for entry in measurement.events { count(batch.strings[Int(batch.eventNames[entry])]) }
            if let platformEvent = measurement.platformEvent {
                platformEvents.add(PlatformEvent(time: batch.times[measurement.index], detail: platformEvent))
            }
            include(source: source, offset: offset)
        }

        private mutating func add(_ value: Double, at position: Int, layout: FieldLayout) {
            statistics[position].add(value)
            if let sketch = layout.sketchPositions[position] { sketches[sketch].add(value) }
        }

        private mutating func count(_ event: String) {
            if let index = eventCounts.firstIndex(where: { $0.name == event }) {
                eventCounts[index].count += 1
            } else {
                eventCounts.append((event, 1))
            }
        }

        private mutating func include(source: Int, offset: Int64) {
            version += offset - lastOffsets[source]
            lastOffsets[source] = offset
        }

        func summary(key: SeriesKey, layout: FieldLayout) -> Summary {
            var fields = otherFields
            for (name, statistics) in zip(layout.names, statistics) where statistics.count > 0 {
                fields[name] = statistics
            }
            var sketchesByName: [String: QuantileSketch] = [:]
            for (name, sketch) in zip(layout.sketchedNames, sketches) where !sketch.isEmpty {
                sketchesByName[name] = sketch
            }
            var counts: [String: UInt64] = [:]
            for (name, count) in eventCounts { counts[name] = count }
            return Summary(
                key: key, version: version, fields: fields, counts: counts, sketches: sketchesByName,
                platformEvents: platformEvents)
        }

        /// Heap and inline bytes, estimated from capacities (dictionary entries at their key and value sizes).
        var approximateBytes: Int {
            MemoryLayout<Self>.stride + statistics.capacity * MemoryLayout<FieldStatistics>.stride
                + otherFields.capacity * (MemoryLayout<String>.stride + MemoryLayout<FieldStatistics>.stride)
                + eventCounts.capacity * MemoryLayout<(name: String, count: UInt64)>.stride
                + lastOffsets.capacity * MemoryLayout<Int64>.stride
                + sketches.capacity * MemoryLayout<QuantileSketch>.stride
                + platformEvents.events.capacity * (MemoryLayout<PlatformEvent>.stride + 32)
        }

        var sketchBytes: Int { sketches.reduce(0) { $0 + $1.heapBytes } }
    }

    private struct Window: Sendable {
        /// Per source, the first offset that touched the window (`Int64.max`: none yet).
        var firstOffsets: [Int64]
        /// Per source, its watermark just before its first offset was applied: a replay from that offset that
        /// starts with this watermark sees the same running watermark at every offset, and so decides the same.
        var watermarksBefore: [EventTime]
        /// Position in `accumulators` by series ID (−1: the series has none here); IDs are dense per partition.
        var slots: [Int32] = []
        var accumulators: [SeriesAccumulator] = []
        /// Positions in `accumulators` changed since the last `takeChangedSummaries`.
        var changed: [Int32] = []
        /// Fingerprints of the drain measurements accepted into this window: the de-duplication state. Retries
        /// of a measurement fall into the same window (same measurement time), so the state lives and dies with
        /// the window, and a replay from the window's first offset rebuilds it exactly.
        var seenOrigins = OriginSet()

        init(sourceCount: Int) {
            firstOffsets = Array(repeating: .max, count: sourceCount)
            watermarksBefore = Array(repeating: EventTime(microsecondsSinceEpoch: .min), count: sourceCount)
        }

        /// Adds a measurement (by `accumulate`) unless its origin was seen; reports whether it opened a new series
        /// slot.
        mutating func add(
            seriesID: Int32, origin: OriginDigest?, source: Int, offset: Int64, watermarkBefore: EventTime,
            layout: FieldLayout, accumulate: (inout SeriesAccumulator) -> Void
        ) -> (isDuplicate: Bool, openedSeries: Bool) {
            if firstOffsets[source] == .max {
                firstOffsets[source] = offset
                watermarksBefore[source] = watermarkBefore
            }
            if let origin, !seenOrigins.insert(origin) { return (true, false) }
            let position: Int32
            let opened: Bool
            let id = Int(seriesID)
            if id < slots.count, slots[id] >= 0 {
                position = slots[id]
                opened = false
            } else {
                position = Int32(accumulators.count)
                accumulators.append(
                    SeriesAccumulator(seriesID: seriesID, layout: layout, sourceCount: firstOffsets.count))
                if id >= slots.count { slots += repeatElement(-1, count: id + 1 - slots.count) }
                slots[id] = position
                opened = true
            }
            accumulate(&accumulators[Int(position)])
            if !accumulators[Int(position)].isChanged {
                accumulators[Int(position)].isChanged = true
                changed.append(position)
            }
            return (false, opened)
        }
    }

    package let settings: WindowSettings
    private let layouts = FieldLayouts()
    private var originDigests = OriginDigester()
    private var windows: [EventTime: Window] = [:]
    /// Interned series of the open windows: ID by name, name by ID, and in how many open windows each ID occurs.
    private var seriesIDs: [SeriesName: Int32] = [:]
    private var seriesNames: [SeriesName?] = []
    private var seriesWindowCounts: [Int32] = []
    private var freeSeriesIDs: [Int32] = []
    /// How many series IDs were released so far: an ID a batch resolved is valid while this stays the same.
    private var seriesReleases = 0
    /// Per source, the offset after the last message applied.
    private var nextOffsets: [Int64]
    /// Per source, the largest Kafka timestamp seen: the source's event-time clock.
    private var watermarks: [EventTime]
    /// Windows starting before this are final: published complete and forgotten.
    package private(set) var finalBefore: EventTime

    /// Where one source of a state starts: at `offset`, resuming from its committed marker when it has one.
    package struct SourceStart: Sendable, Hashable {
        package var offset: Int64
        package var marker: CommitMarker?

        package init(offset: Int64, marker: CommitMarker? = nil) {
            self.offset = offset
            self.marker = marker
        }
    }

    /// Starts one source empty at `offset`, or resumes it from a committed `CommitMarker`.
    package init(settings: WindowSettings, startingAt offset: Int64, resuming marker: CommitMarker? = nil) {
        self.init(settings: settings, sources: [SourceStart(offset: offset, marker: marker)])
    }

    /// Starts every source where `sources` says (source `i` is `sources[i]`); what was final is the newest any
    /// marker recorded.
    package init(settings: WindowSettings, sources: [SourceStart]) {
        precondition(!sources.isEmpty, "a partition state reads at least one source")
        self.settings = settings
        let never = EventTime(microsecondsSinceEpoch: .min)
        nextOffsets = sources.map(\.offset)
        watermarks = sources.map { $0.marker?.watermark ?? never }
        finalBefore = sources.compactMap { $0.marker?.finalBefore }.max() ?? never
    }

    /// The offset after the last message of source 0 applied.
    package var nextOffset: Int64 { nextOffsets[0] }

    /// The largest Kafka timestamp seen by any source.
    package var watermark: EventTime { watermarks.max() ?? EventTime(microsecondsSinceEpoch: .min) }

    /// The offset after the last message of `source` applied.
    package func nextOffset(source: Int) -> Int64 { nextOffsets[source] }

    /// Applies one measurement from the message at `offset` of source 0 stamped `messageTime`.
    @discardableResult
    package mutating func apply(_ measurement: Measurement, offset: Int64, messageTime: EventTime) -> Outcome {
        guard let watermarkBefore = begin(source: 0, offset: offset, messageTime: messageTime) else {
            return .alreadyApplied
        }
        return add(measurement, source: 0, offset: offset, messageTime: messageTime, watermarkBefore: watermarkBefore)
    }

    /// Applies the measurements of one message (a `drainpipe.v2.MeasurementBatch` holds many) at `offset` of
    /// `source` stamped `messageTime`; returns what became of each, in order. They all share the offset: a replay
    /// applies the whole message again or none of it.
    package mutating func apply(
        _ measurements: [Measurement], source: Int, offset: Int64, messageTime: EventTime
    ) -> [Outcome] {
        guard let watermarkBefore = begin(source: source, offset: offset, messageTime: messageTime) else {
            return Array(repeating: .alreadyApplied, count: measurements.count)
        }
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(measurements.count)
        for measurement in measurements {
            outcomes.append(
                add(
                    measurement, source: source, offset: offset, messageTime: messageTime,
                    watermarkBefore: watermarkBefore))
        }
        return outcomes
    }

    /// Moves `source` past the message at `offset` and its watermark to `messageTime`; returns the watermark from
    /// before, or nil when the offset was already applied.
    private mutating func begin(source: Int, offset: Int64, messageTime: EventTime) -> EventTime? {
        guard offset >= nextOffsets[source] else { return nil }
        let watermarkBefore = watermarks[source]
        nextOffsets[source] = offset + 1
        watermarks[source] = max(watermarkBefore, messageTime)
        return watermarkBefore
    }

    /// Applies the measurements of one `drainpipe.v2.MeasurementBatch` message at `offset` of `source` stamped
    /// `messageTime`, straight from its columns: each series and field name is resolved once per batch, and no
    /// `Measurement` is built. Returns exactly what `apply(batch.measurements, …)` returns and leaves the same
    /// state behind.
    package mutating func apply(
        _ batch: MeasurementColumns, source: Int, offset: Int64, messageTime: EventTime
    ) -> [Outcome] {
        guard let watermarkBefore = begin(source: source, offset: offset, messageTime: messageTime) else {
            return Array(repeating: .alreadyApplied, count: batch.count)
        }
        let layout = layouts[batch.type]
        let fieldPositions = batch.strings.map { Int32(layout.names.firstIndex(of: $0) ?? -1) }
        var series = BatchSeries(releases: seriesReleases)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        for entry in batch.entries {
            let index = entry.index
            let windowStart: EventTime
            switch admission(of: batch.times[index], source: source, messageTime: messageTime) {
            case .window(let start): windowStart = start
            case .rejected(let outcome):
                outcomes.append(outcome)
                continue
            }
            let names = BatchSeries.Key(
                owner: batch.owners[index], processType: batch.processTypes[index], metric: batch.metrics[index])
            if series.releases != seriesReleases { series = BatchSeries(releases: seriesReleases) }
            let seriesID: Int32
            if let known = series.id(of: names) {
                seriesID = known
            } else {
                seriesID = internedID(
                    of: SeriesName(
                        type: batch.type, owner: batch.strings[Int(names.owner)],
                        processType: batch.strings[Int(names.processType)], metric: batch.strings[Int(names.metric)]))
                series.remember(seriesID, for: names)
            }
            var origin: OriginDigest?
            let drain = batch.originDrains[index]
            if drain != 0 {
                origin = originDigests.digest(
                    drainID: batch.strings[Int(drain) - 1], frameID: batch.strings[Int(batch.originFrames[index])],
                    lineIndex: batch.originLineIndexes[index], type: batch.type,
                    metric: batch.strings[Int(names.metric)])
            }
            outcomes.append(
                add(
                    seriesID: seriesID, origin: origin, windowStart: windowStart, source: source, offset: offset,
                    watermarkBefore: watermarkBefore, layout: layout
                ) { accumulator in
                    accumulator.add(
                        batch, entry: entry, fieldPositions: fieldPositions, source: source, offset: offset,
                        layout: layout)
                })
        }
        return outcomes
    }

    /// The series IDs one batch resolved, by the positions of their names in the batch's strings: consecutive
    /// measurements of a batch mostly share their series, so the last one is compared before the table is asked.
    private struct BatchSeries {
        struct Key: Hashable {
            var owner: UInt32
            var processType: UInt32
            var metric: UInt32
        }

        /// `seriesReleases` when these IDs were resolved; once an ID is released it may name another series.
        let releases: Int
        private var last: (key: Key, id: Int32)?
        private var ids: [Key: Int32] = [:]

        init(releases: Int) {
            self.releases = releases
        }

        func id(of key: Key) -> Int32? {
            if let last, last.key == key { return last.id }
            return ids[key]
        }

        mutating func remember(_ id: Int32, for key: Key) {
            last = (key, id)
            ids[key] = id
        }
    }

    /// Where a measurement at `time` goes: its window, or why it goes nowhere.
    private enum Admission {
        case window(EventTime)
        case rejected(Outcome)
    }

    private func admission(of time: EventTime, source: Int, messageTime: EventTime) -> Admission {
        switch settings.accepts(time: time, messageTime: messageTime) {
        case .accepted: break
        case .tooLate: return .rejected(.tooLate)
        case .tooFarInFuture: return .rejected(.tooFarInFuture)
        }
        let windowStart = settings.windowStart(containing: time)
        // Final by the running watermark (a function of the messages up to this offset, never of when flushes
        // happened), or published complete before a restart: either way the window no longer changes.
        guard windowStart >= finalBefore, !settings.isFinal(windowStart: windowStart, watermark: watermarks[source])
        else {
            return .rejected(.windowAlreadyFinal)
        }
        return .window(windowStart)
    }

    private mutating func add(
        _ measurement: Measurement, source: Int, offset: Int64, messageTime: EventTime, watermarkBefore: EventTime
    ) -> Outcome {
        let windowStart: EventTime
        switch admission(of: measurement.time, source: source, messageTime: messageTime) {
        case .window(let start): windowStart = start
        case .rejected(let outcome): return outcome
        }
        let seriesID = internedID(
            of: SeriesName(
                type: measurement.type, owner: measurement.owner, processType: measurement.processType,
                metric: measurement.metric))
        let origin = originDigests.digest(of: measurement)
        let layout = layouts[measurement.type]
        return add(
            seriesID: seriesID, origin: origin, windowStart: windowStart, source: source, offset: offset,
            watermarkBefore: watermarkBefore, layout: layout
        ) { accumulator in
            accumulator.add(measurement, source: source, offset: offset, layout: layout)
        }
    }

    /// Adds one admitted measurement (by `accumulate`) to its series in the window at `windowStart`.
    private mutating func add(
        seriesID: Int32, origin: OriginDigest?, windowStart: EventTime, source: Int, offset: Int64,
        watermarkBefore: EventTime, layout: FieldLayout, accumulate: (inout SeriesAccumulator) -> Void
    ) -> Outcome {
        let sourceCount = nextOffsets.count
        let result = windows[windowStart, default: Window(sourceCount: sourceCount)].add(
            seriesID: seriesID, origin: origin, source: source, offset: offset, watermarkBefore: watermarkBefore,
            layout: layout, accumulate: accumulate)
        if result.openedSeries { seriesWindowCounts[Int(seriesID)] += 1 }
        if seriesWindowCounts[Int(seriesID)] == 0 { releaseSeries(seriesID) }
        return result.isDuplicate ? .duplicate : .accepted
    }

    /// Records that the message at `offset` of `source` carried nothing usable (malformed), so it is not read again.
    package mutating func skip(source: Int = 0, offset: Int64, messageTime: EventTime?) {
        guard offset >= nextOffsets[source] else { return }
        nextOffsets[source] = offset + 1
        if let messageTime { watermarks[source] = max(watermarks[source], messageTime) }
    }

    /// The watermark that decides which windows are final: the oldest of the live sources', where a source is live
    /// while its watermark is within a late bound of the newest (so an old topic that stopped receiving data during
    /// a migration does not hold windows open forever).
    private var finalityWatermark: EventTime {
        let newest = watermarks.max() ?? EventTime(microsecondsSinceEpoch: .min)
        let liveFrom = newest.microsecondsSinceEpoch.subtractingReportingOverflow(settings.lateBound.wholeMicroseconds)
        guard !liveFrom.overflow else { return newest }
        return watermarks.filter { $0.microsecondsSinceEpoch >= liveFrom.partialValue }.min() ?? newest
    }

    /// The summaries that changed since the last call, in key order, and forgets that they changed.
    package mutating func takeChangedSummaries() -> [Summary] {
        var changed: [Summary] = []
        for windowStart in windows.keys {
            guard let positions = windows[windowStart]?.changed, !positions.isEmpty else { continue }
            for position in positions {
                guard let accumulator = windows[windowStart]?.accumulators[Int(position)],
                    let name = seriesNames[Int(accumulator.seriesID)]
                else { continue }
                let key = SeriesKey(
                    type: name.type, owner: name.owner, processType: name.processType, metric: name.metric,
                    windowStart: windowStart, periodSeconds: settings.periodSeconds)
                changed.append(accumulator.summary(key: key, layout: layouts[name.type]))
                windows[windowStart]?.accumulators[Int(position)].isChanged = false
            }
            windows[windowStart]?.changed.removeAll(keepingCapacity: true)
        }
        return changed.sorted { $0.key < $1.key }
    }

    /// Forgets every window the watermark has passed, with its series and de-duplication state, after their last
    /// changes were flushed.
    ///
    /// - Returns: the start times of the windows made final, oldest first.
    @discardableResult
    package mutating func finalizeWindows() -> [EventTime] {
        let watermark = finalityWatermark
        let final = windows.keys.filter { settings.isFinal(windowStart: $0, watermark: watermark) }.sorted()
        for windowStart in final {
            guard let window = windows.removeValue(forKey: windowStart) else { continue }
            precondition(window.changed.isEmpty, "finalize only after flushing changes")
            for accumulator in window.accumulators {
                seriesWindowCounts[Int(accumulator.seriesID)] -= 1
                if seriesWindowCounts[Int(accumulator.seriesID)] == 0 { releaseSeries(accumulator.seriesID) }
            }
        }
        // Everything up to the first window that could still receive data is final, including empty windows.
        let openFrom = settings.firstOpenWindowStart(watermark: watermark)
        if openFrom > finalBefore { finalBefore = openFrom }
        return final
    }

    /// Where a restarted aggregator must resume source 0 to rebuild every open window exactly, and what was final.
    package var commitPoint: (offset: Int64, marker: CommitMarker) { commitPoint(source: 0) }

    /// Where a restarted aggregator must resume `source` to rebuild every open window exactly, and what was final.
    ///
    /// The offset is the source's first offset in the oldest open window it touched (about one late bound
    /// behind), or its next offset when it touched none; the marker's watermark is the source's just before that
    /// offset. The replay from there also rebuilds every open window's de-duplication state, since a window's
    /// measurements (and so its fingerprints) all lie at or after its first offsets; retries of measurements in
    /// final windows are rejected as final, whatever their offset.
    package func commitPoint(source: Int) -> (offset: Int64, marker: CommitMarker) {
        let touched = windows.values.filter { $0.firstOffsets[source] != .max }
        guard let oldest = touched.min(by: { $0.firstOffsets[source] < $1.firstOffsets[source] }) else {
            return (nextOffsets[source], CommitMarker(finalBefore: finalBefore, watermark: watermarks[source]))
        }
        return (
            oldest.firstOffsets[source],
            CommitMarker(finalBefore: finalBefore, watermark: oldest.watermarksBefore[source])
        )
    }

    // MARK: - Series interning

    private mutating func internedID(of name: SeriesName) -> Int32 {
        if let id = seriesIDs[name] { return id }
        let id: Int32
        if let free = freeSeriesIDs.popLast() {
            id = free
            seriesNames[Int(id)] = name
        } else {
            id = Int32(seriesNames.count)
            seriesNames.append(name)
            seriesWindowCounts.append(0)
        }
        seriesIDs[name] = id
        return id
    }

    private mutating func releaseSeries(_ id: Int32) {
        guard let name = seriesNames[Int(id)] else { return }
        seriesIDs[name] = nil
        seriesNames[Int(id)] = nil
        freeSeriesIDs.append(id)
        seriesReleases += 1
    }

    // MARK: - Memory

    /// What the partition holds, for the memory metrics.
    package struct Footprint: Sendable, Hashable {
        package var openWindows = 0
        /// (series, window) pairs held.
        package var openSeries = 0
        /// Distinct series across the open windows.
        package var internedSeries = 0
        /// Fingerprints held for de-duplication.
        package var originFingerprints = 0
        /// Estimated bytes of everything above, sketches excluded.
        package var approximateBytes = 0
        /// Estimated bytes of the quantile sketches' buckets.
        package var sketchBytes = 0

        /// A footprint of the given counts; `Footprint()` is the empty one, the start of a sum over partitions.
        package init(
            openWindows: Int = 0, openSeries: Int = 0, internedSeries: Int = 0, originFingerprints: Int = 0,
            approximateBytes: Int = 0, sketchBytes: Int = 0
        ) {
            self.openWindows = openWindows
            self.openSeries = openSeries
            self.internedSeries = internedSeries
            self.originFingerprints = originFingerprints
            self.approximateBytes = approximateBytes
            self.sketchBytes = sketchBytes
        }

        package static func + (lhs: Footprint, rhs: Footprint) -> Footprint {
            Footprint(
                openWindows: lhs.openWindows + rhs.openWindows, openSeries: lhs.openSeries + rhs.openSeries,
                internedSeries: lhs.internedSeries + rhs.internedSeries,
                originFingerprints: lhs.originFingerprints + rhs.originFingerprints,
                approximateBytes: lhs.approximateBytes + rhs.approximateBytes,
                sketchBytes: lhs.sketchBytes + rhs.sketchBytes)
        }
    }

    /// Counts and estimated bytes of the state held. O(open series).
    package var footprint: Footprint {
        var footprint = Footprint(openWindows: windows.count, internedSeries: seriesIDs.count)
        let nameBytes = seriesIDs.keys.reduce(0) { total, name in
            total + Self.heapBytes(name.owner) + Self.heapBytes(name.processType) + Self.heapBytes(name.metric)
        }
        footprint.approximateBytes =
            seriesIDs.capacity * (MemoryLayout<SeriesName>.stride + 4) + nameBytes
            + seriesNames.capacity * MemoryLayout<SeriesName?>.stride + seriesWindowCounts.capacity * 4
        for window in windows.values {
            footprint.openSeries += window.accumulators.count
            footprint.originFingerprints += window.seenOrigins.count
            footprint.approximateBytes +=
                MemoryLayout<Window>.stride + window.slots.capacity * 4 + window.changed.capacity * 4
                + window.seenOrigins.capacity * MemoryLayout<OriginDigest>.stride
            for accumulator in window.accumulators {
                footprint.approximateBytes += accumulator.approximateBytes
                footprint.sketchBytes += accumulator.sketchBytes
            }
        }
        return footprint
    }

    /// Heap bytes of a string: none for small strings stored inline (up to 15 UTF-8 bytes), else its bytes plus a
    /// header.
    private static func heapBytes(_ text: String) -> Int {
        let count = text.utf8.count
        return count <= 15 ? 0 : count + 32
    }
}

/// The state committed with an aggregator's Kafka offset, as the commit's metadata string.
///
/// `finalBefore`: windows starting before it were published complete and must not be rebuilt from the replayed
/// tail. `watermark`: the largest message timestamp seen before the committed offset, so the replay's running
/// watermark, and with it every finality decision, is the same as the first time.
package struct CommitMarker: Sendable, Hashable {
    package var finalBefore: EventTime
    package var watermark: EventTime

    package init(finalBefore: EventTime, watermark: EventTime) {
        self.finalBefore = finalBefore
        self.watermark = watermark
    }

    /// `v1 final_before=<µs> watermark=<µs>`.
    package var metadata: String {
        "v1 final_before=\(finalBefore.microsecondsSinceEpoch) watermark=\(watermark.microsecondsSinceEpoch)"
    }

    /// Parses commit metadata; nil for empty or foreign metadata (then the partition starts without a marker).
    ///
    /// Words after the marker's own (`claim=…`, see `WorkerClaim`) are left to their readers.
    package init?(metadata: String) {
        let parts = metadata.split(separator: " ")
        guard parts.count >= 3, parts[0] == "v1",
            parts[1].hasPrefix("final_before="), parts[2].hasPrefix("watermark="),
            let finalBefore = Int64(parts[1].dropFirst("final_before=".count)),
            let watermark = Int64(parts[2].dropFirst("watermark=".count))
        else { return nil }
        self.finalBefore = EventTime(microsecondsSinceEpoch: finalBefore)
        self.watermark = EventTime(microsecondsSinceEpoch: watermark)
    }
}
