/// The aggregation state of one raw-topic partition: open windows, their summaries, and what is final.
///
/// A pure value: time comes only from Kafka timestamps of the messages it is given, so the same sequence of
/// messages always produces the same summaries. The owning service feeds messages in offset order, takes the
/// changed summaries at every flush, and after the flush was acknowledged calls `finalizeWindows()` and commits
/// `commitPoint`.
package struct PartitionAggregator: Sendable {
    /// What happened to one measurement.
    package enum Outcome: Sendable, Hashable {
        case accepted
        case tooLate
        case tooFarInFuture
        /// Its window was already final (published complete) when the measurement arrived.
        case windowAlreadyFinal
        /// Its offset was at or below one already applied (a re-delivery after a seek).
        case alreadyApplied
    }

    private struct Window: Sendable {
        var firstOffset: Int64
        /// The partition's watermark just before `firstOffset` was applied: a replay from `firstOffset` that starts
        /// with this watermark sees the same running watermark at every offset, and so decides the same.
        var watermarkBefore: EventTime
        var summaries: [SeriesKey: Summary] = [:]
        var changed: Set<SeriesKey> = []

        mutating func add(_ measurement: Measurement, key: SeriesKey, offset: Int64) {
            var summary = summaries[key] ?? Summary(key: key, version: 0)
            for field in measurement.fields {
                summary.fields[field.name, default: .empty].add(field.value)
            }
            for event in measurement.events {
                summary.counts[event, default: 0] += 1
            }
            summary.version = offset + 1
            summaries[key] = summary
            changed.insert(key)
        }
    }

    package let settings: WindowSettings
    private var windows: [EventTime: Window] = [:]
    /// The largest Kafka timestamp seen: the partition's event-time clock.
    package private(set) var watermark: EventTime
    /// Windows starting before this are final: published complete and forgotten.
    package private(set) var finalBefore: EventTime
    /// The offset after the last message applied.
    package private(set) var nextOffset: Int64

    /// Starts empty at `offset`, or resumes from a committed `CommitMarker`.
    package init(settings: WindowSettings, startingAt offset: Int64, resuming marker: CommitMarker? = nil) {
        self.settings = settings
        self.nextOffset = offset
        self.watermark = marker?.watermark ?? EventTime(microsecondsSinceEpoch: .min)
        self.finalBefore = marker?.finalBefore ?? EventTime(microsecondsSinceEpoch: .min)
    }

    /// Applies one measurement from the message at `offset` stamped `messageTime`.
    @discardableResult
    package mutating func apply(_ measurement: Measurement, offset: Int64, messageTime: EventTime) -> Outcome {
        guard offset >= nextOffset else { return .alreadyApplied }
        let watermarkBefore = watermark
        nextOffset = offset + 1
        watermark = max(watermark, messageTime)
        switch settings.accepts(time: measurement.time, messageTime: messageTime) {
        case .tooLate: return .tooLate
        case .tooFarInFuture: return .tooFarInFuture
        case .accepted: break
        }
        let windowStart = measurement.time.windowStart(length: settings.windowLength)
        // Final by the running watermark (a function of the messages up to this offset, never of when flushes
        // happened), or published complete before a restart: either way the window no longer changes.
        guard windowStart >= finalBefore, !settings.isFinal(windowStart: windowStart, watermark: watermark) else {
            return .windowAlreadyFinal
        }
        let key = SeriesKey(
            type: measurement.type, owner: measurement.owner, processType: measurement.processType,
            metric: measurement.metric, windowStart: windowStart, periodSeconds: settings.periodSeconds)
        windows[windowStart, default: Window(firstOffset: offset, watermarkBefore: watermarkBefore)]
            .add(measurement, key: key, offset: offset)
        return .accepted
    }

    /// Records that the message at `offset` carried nothing usable (malformed), so it is not read again.
    package mutating func skip(offset: Int64, messageTime: EventTime?) {
        guard offset >= nextOffset else { return }
        nextOffset = offset + 1
        if let messageTime { watermark = max(watermark, messageTime) }
    }

    /// The summaries that changed since the last call, in key order, and forgets that they changed.
    package mutating func takeChangedSummaries() -> [Summary] {
        var changed: [Summary] = []
        for windowStart in windows.keys {
            guard let keys = windows[windowStart]?.changed, !keys.isEmpty else { continue }
            for key in keys {
                if let summary = windows[windowStart]?.summaries[key] { changed.append(summary) }
            }
            windows[windowStart]?.changed.removeAll()
        }
        return changed.sorted { $0.key < $1.key }
    }

    /// Forgets every window the watermark has passed, after their last changes were flushed.
    ///
    /// - Returns: the start times of the windows made final, oldest first.
    @discardableResult
    package mutating func finalizeWindows() -> [EventTime] {
        let final = windows.keys.filter { settings.isFinal(windowStart: $0, watermark: watermark) }.sorted()
        for windowStart in final {
            precondition(windows[windowStart]?.changed.isEmpty ?? true, "finalize only after flushing changes")
            windows[windowStart] = nil
        }
        // Everything up to the first window that could still receive data is final, including empty windows.
        let openFrom = windowStartAfterFinal
        if openFrom > finalBefore { finalBefore = openFrom }
        return final
    }

    /// The first window start that is not yet final at the current watermark.
    private var windowStartAfterFinal: EventTime {
        guard watermark.microsecondsSinceEpoch > Int64.min / 2 else { return finalBefore }
        // Window W is final iff W + length + lateBound <= watermark; the smallest non-final W follows.
        let limit = watermark - settings.windowLength - settings.lateBound
        let candidate = limit.windowStart(length: settings.windowLength)
        return settings.isFinal(windowStart: candidate, watermark: watermark)
            ? candidate + settings.windowLength : candidate
    }

    /// Where a restarted aggregator must resume to rebuild every open window exactly, and what was final.
    ///
    /// The offset is the first offset of the oldest open window (about one late bound behind), or the next
    /// offset when no window is open; the marker's watermark is the one in force just before that offset.
    package var commitPoint: (offset: Int64, marker: CommitMarker) {
        guard let oldest = windows.values.min(by: { $0.firstOffset < $1.firstOffset }) else {
            return (nextOffset, CommitMarker(finalBefore: finalBefore, watermark: watermark))
        }
        return (oldest.firstOffset, CommitMarker(finalBefore: finalBefore, watermark: oldest.watermarkBefore))
    }

    /// The number of open windows and series held, for memory reporting.
    package var openWindowCount: Int { windows.count }
    package var openSeriesCount: Int { windows.values.reduce(0) { $0 + $1.summaries.count } }
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
    package init?(metadata: String) {
        let parts = metadata.split(separator: " ")
        guard parts.count == 3, parts[0] == "v1",
            parts[1].hasPrefix("final_before="), parts[2].hasPrefix("watermark="),
            let finalBefore = Int64(parts[1].dropFirst("final_before=".count)),
            let watermark = Int64(parts[2].dropFirst("watermark=".count))
        else { return nil }
        self.finalBefore = EventTime(microsecondsSinceEpoch: finalBefore)
        self.watermark = EventTime(microsecondsSinceEpoch: watermark)
    }
}
