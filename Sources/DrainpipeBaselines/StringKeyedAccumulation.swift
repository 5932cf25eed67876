import DrainpipeCore

/// The foundation's accumulation, kept only as `drainpipe bench-aggregator`'s baseline: one `SeriesKey` (three strings)
/// hashed into a dictionary per window, `String`-keyed field and count dictionaries, the summary copied out and back.
package struct StringKeyedAccumulation {
    package let settings: WindowSettings
    private var windows: [EventTime: (summaries: [SeriesKey: Summary], changed: Set<SeriesKey>)] = [:]
    private var watermark = EventTime(microsecondsSinceEpoch: .min)

    package init(settings: WindowSettings) {
        self.settings = settings
    }

    package mutating func apply(_ measurement: DrainpipeCore.Measurement, offset: Int64, messageTime: EventTime) {
        watermark = max(watermark, messageTime)
        guard settings.accepts(time: measurement.time, messageTime: messageTime) == .accepted else { return }
        let windowStart = measurement.time.windowStart(length: settings.windowLength)
        guard !settings.isFinal(windowStart: windowStart, watermark: watermark) else { return }
        let key = SeriesKey(
            type: measurement.type, owner: measurement.owner, processType: measurement.processType,
            metric: measurement.metric, windowStart: windowStart, periodSeconds: settings.periodSeconds)
        var summary = windows[windowStart]?.summaries[key] ?? Summary(key: key, version: 0)
        for field in measurement.fields {
            summary.fields[field.name, default: .empty].add(field.value)
        }
        for event in measurement.events {
            summary.counts[event, default: 0] += 1
        }
        summary.version = offset + 1
        windows[windowStart, default: ([:], [])].summaries[key] = summary
        windows[windowStart, default: ([:], [])].changed.insert(key)
    }

    package mutating func takeChangedSummaries() -> [Summary] {
        var changed: [Summary] = []
        for windowStart in windows.keys {
            for key in windows[windowStart]?.changed ?? [] {
                if let summary = windows[windowStart]?.summaries[key] { changed.append(summary) }
            }
            windows[windowStart]?.changed.removeAll()
        }
        return changed.sorted { $0.key < $1.key }
    }
}
