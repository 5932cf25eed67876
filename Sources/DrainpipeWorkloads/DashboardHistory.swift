import DrainpipeCore

/// Days of made-up one-minute summaries of one app, shaped like a Heroku app's drain: router requests (on `web`
/// only) with sketched response times and status classes, dyno load and memory against a quota, some H- and R-codes
/// and two l2met metrics per process type.
///
/// Every minute of every process type is generated from its own seed, so the summaries of any window can be
/// produced again on their own (the dashboard's browser check compares charts with them) and every run writes the
/// same values.
package struct DashboardHistory: Sendable {
    package var owner: String
    package var processTypes: [String]
    package var seed: UInt64

    /// Router requests per minute on `web` at the quietest hour; the busiest hour has three times as many.
    package var baseRequestsPerMinute = 40

    package init(owner: String, processTypes: [String], seed: UInt64) {
        self.owner = owner
        self.processTypes = processTypes
        self.seed = seed
    }

    /// The memory quota every dyno reports, in MB (a standard-1x dyno).
    package static let memoryQuota = 512.0

    /// The custom metrics of a process type: a duration (`measure#`) and a count (`count#`).
    package static func customMetrics(of processType: String) -> [String] {
        ["\(processType).duration_ms", "\(processType).processed"]
    }

    /// Every summary of the minutes starting in `minutes` (each a multiple of 60 s), all process types, oldest first.
    package func summaries(minutes: StrideTo<Int64>) -> [Summary] {
        var all: [Summary] = []
        for minute in minutes {
            for processType in processTypes {
                all += summaries(minute: minute, processType: processType)
            }
        }
        return all
    }

    /// The summaries of one process type in the minute starting at `minute` (Unix seconds).
    package func summaries(minute: Int64, processType: String) -> [Summary] {
        var generator = SplitMix64(seed: seed ^ (UInt64(bitPattern: minute) &* 0x9E37_79B9) ^ Self.hash(processType))
        let start = EventTime(secondsSinceEpoch: minute)
        func key(_ type: MeasurementType, _ metric: String) -> SeriesKey {
            SeriesKey(
                type: type, owner: owner, processType: processType, metric: metric, windowStart: start,
                periodSeconds: 60)
        }
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + (range.upperBound - range.lowerBound) * Double(generator.next() >> 11) / 0x1p53
        }
        // A daily rhythm: busiest at 14:00 UTC, quietest at 02:00, linear in between.
        let hoursFromPeak = abs(Double(minute % 86_400) / 3_600 - 14)
        let busy: Double = 1 - min(hoursFromPeak, 24 - hoursFromPeak) / 12
        var summaries: [Summary] = []

        if processType == "web" {
            let requests = Int(Double(baseRequestsPerMinute) * (1 + 2 * busy))
            var service = FieldStatistics.empty
            var connect = FieldStatistics.empty
            var bytes = FieldStatistics.empty
            var serviceSketch = QuantileSketch()
            var connectSketch = QuantileSketch()
            var counts: [String: UInt64] = [:]
            for _ in 0..<requests {
                // Mostly quick, with a slow tail that grows when busy.
                let slow = uniform(0...1) < 0.02 + 0.03 * busy
                let milliseconds = (slow ? uniform(300...3_000) : uniform(5...120)).rounded()
                service.add(milliseconds)
                serviceSketch.add(milliseconds)
                let connectMilliseconds = uniform(0...3).rounded()
                connect.add(connectMilliseconds)
                connectSketch.add(connectMilliseconds)
                bytes.add(uniform(200...20_000).rounded())
                let draw = uniform(0...1)
                let status =
                    draw < 0.80 ? "status_2xx" : draw < 0.90 ? "status_3xx" : draw < 0.98 ? "status_4xx" : "status_5xx"
                counts[status, default: 0] += 1
            }
            summaries.append(
                Summary(
                    key: key(.routerRequests, MeasurementType.routerRequests.platformMetricName), version: 1,
                    fields: ["service_ms": service, "connect_ms": connect, "bytes": bytes], counts: counts,
                    sketches: ["service_ms": serviceSketch, "connect_ms": connectSketch]))
        }

        // Two dynos, each sampled every 20 s.
        var load: [String: FieldStatistics] = [:]
        var memory: [String: FieldStatistics] = [:]
        for _ in 0..<6 {
            let oneMinute = ((uniform(0.05...0.6) + 1.5 * busy * uniform(0...1)) * 100).rounded() / 100
            load["load_avg_1m", default: .empty].add(oneMinute)
            load["load_avg_5m", default: .empty].add((oneMinute * 0.8 * 100).rounded() / 100)
            load["load_avg_15m", default: .empty].add((oneMinute * 0.6 * 100).rounded() / 100)
            let rss = (uniform(180...260) + 150 * busy).rounded()
            let swap: Double = busy > 0.9 ? uniform(0...40).rounded() : 0
            memory["memory_rss", default: .empty].add(rss)
            memory["memory_swap", default: .empty].add(swap)
            memory["memory_cache", default: .empty].add(uniform(10...40).rounded())
            memory["memory_total", default: .empty].add(rss + swap + 20)
            memory["memory_pgpgin", default: .empty].add(uniform(1_000...9_000).rounded())
            memory["memory_pgpgout", default: .empty].add(uniform(1_000...9_000).rounded())
            memory["memory_quota", default: .empty].add(Self.memoryQuota)
        }
        summaries.append(
            Summary(key: key(.dynoLoad, MeasurementType.dynoLoad.platformMetricName), version: 1, fields: load))
        summaries.append(
            Summary(key: key(.dynoMemory, MeasurementType.dynoMemory.platformMetricName), version: 1, fields: memory))

        // Errors now and then: router timeouts on web when busy, memory warnings anywhere.
        var errors: [String: UInt64] = [:]
        if processType == "web", uniform(0...1) < 0.1 * busy { errors["H12"] = 1 + generator.next() % 3 }
        if uniform(0...1) < 0.03 { errors["R14"] = 1 + generator.next() % 2 }
        if !errors.isEmpty {
            summaries.append(
                Summary(
                    key: key(.dynoErrors, MeasurementType.dynoErrors.platformMetricName), version: 1, counts: errors))
        }

        let metrics = Self.customMetrics(of: processType)
        var duration = FieldStatistics.empty
        for _ in 0..<5 { duration.add(uniform(20...400).rounded()) }
        var processed = FieldStatistics.empty
        for _ in 0..<Int(1 + 9 * busy) { processed.add(1) }
        summaries.append(Summary(key: key(.customMetrics, metrics[0]), version: 1, fields: ["value": duration]))
        summaries.append(Summary(key: key(.customMetrics, metrics[1]), version: 1, fields: ["value": processed]))
        return summaries
    }

    /// A platform event of the history and the process type it is stored under (`api` for app-wide events).
    package struct ScheduledEvent: Sendable, Hashable {
        package var processType: String
        package var event: PlatformEvent
    }

    /// The platform events in `start..<end` (Unix seconds): a deploy and its release every day at 09:00 UTC, and
    /// around `marked` (a minute) a deploy, a release, a scaling, a restart of `web.1` and a crash of `worker.1`,
    /// each at an odd second so a marker drawn at its minute instead would be caught.
    package func events(start: Int64, end: Int64, marked: Int64) -> [ScheduledEvent] {
        let appWide = PlatformEvent.appWideProcessType
        func at(
            _ seconds: Int64, _ processType: String, _ kind: PlatformEventKind, _ dyno: String, _ text: String
        )
            -> ScheduledEvent
        {
            ScheduledEvent(
                processType: processType,
                event: PlatformEvent(time: EventTime(secondsSinceEpoch: seconds), kind: kind, dyno: dyno, text: text))
        }
        var events: [ScheduledEvent] = []
        var day = start / 86_400 * 86_400
        while day < end {
            let deploy = day + 9 * 3_600 + 31
            events.append(at(deploy, appWide, .deploy, "", "Deploy \(String(day / 86_400 % 0xfffffff, radix: 16))"))
            events.append(at(deploy + 4, appWide, .release, "", "Release v\(day / 86_400 % 1_000) created"))
            day += 86_400
        }
        events += [
            at(marked - 1_200 + 13, appWide, .deploy, "", "Deploy 4f2a1c7 by dev@example.com"),
            at(marked - 1_200 + 17, appWide, .release, "", "Release v42 created by dev@example.com"),
            at(marked - 900 + 5, appWide, .scale, "", "Scale to web=2, worker=1, clock=1 by dev@example.com"),
        ]
        if processTypes.contains("web") {
            events.append(at(marked - 600 + 42, "web", .restart, "web.1", "Restarting"))
        }
        if processTypes.contains("worker") {
            events.append(at(marked - 300 + 7, "worker", .exit, "worker.1", "Process exited with status 137"))
        }
        return events.filter { (start..<end).contains($0.event.time.secondsSinceEpoch) }.sorted {
            ($0.event, $0.processType) < ($1.event, $1.processType)
        }
    }

    /// One `PLATFORM_EVENTS` summary per process type and minute of `events`, counting each kind.
    package func eventSummaries(_ events: [ScheduledEvent]) -> [Summary] {
        var summaries: [SeriesKey: Summary] = [:]
        for scheduled in events {
            let key = SeriesKey(
                type: .platformEvents, owner: owner, processType: scheduled.processType,
                metric: MeasurementType.platformEvents.platformMetricName,
                windowStart: scheduled.event.time.windowStart(length: .seconds(60)), periodSeconds: 60)
            var summary = summaries[key] ?? Summary(key: key, version: 1)
            summary.counts[scheduled.event.kind.rawValue, default: 0] += 1
            var log = summary.platformEvents
            log.add(scheduled.event)
            summary.platformEvents = log
            summaries[key] = summary
        }
        return summaries.values.sorted { $0.key < $1.key }
    }

    /// FNV-1a of the process type, so each type's minutes draw different values.
    private static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
