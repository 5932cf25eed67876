import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird

/// Platform events (deploys, releases, scaling, dyno restarts, R-codes) read back from the `PLATFORM_EVENTS`
/// summaries, in two shapes:
///
/// - `GET /api/v1/events?owner=…&process_type=…&from=…&to=…`: the native shape, with `Authorization: Bearer <token>`
///   and the same time parsing and range limit as `/api/v1/series`. `process_type` keeps that process type's dyno
///   events and the app-wide ones (written by `api`: deploys, releases, scaling, config and add-on changes).
/// - `GET /events/get_data?from=…&until=…&tags=…`: graphite-web's events API, so Grafana can draw annotations;
///   `from`/`until` in graphite's time syntax (`GraphiteTime`: `-6h`, `now`, Unix seconds, `14:02_20240305`…). Auth
///   by Bearer token or basic auth whose password is the token. `tags` (space-separated) keeps events carrying every
///   tag (`set=union`: any tag); each event is tagged with its owner, process type and kind.
///
/// Both take a reader slot of each owner they read and charge it one series per process type whose events they
/// read (the read quotas, 429 with `Retry-After` over them), like the other read routes.
package struct EventsRoutes: Sendable {
    package var tenants: LiveTenantDirectory
    package var store: any SummaryStore
    package var clock: any WallClock
    /// The longest range one request may ask for.
    package var maximumRange: Duration
    /// The per-tenant read quotas; nil reads without quotas.
    package var quota: ReadQuota?

    package init(
        tenants: LiveTenantDirectory, store: any SummaryStore, clock: any WallClock,
        maximumRange: Duration = .seconds(31 * 86_400), quota: ReadQuota? = nil
    ) {
        self.tenants = tenants
        self.store = store
        self.clock = clock
        self.maximumRange = maximumRange
        self.quota = quota
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/events") { request, _ in try await events(request) }
        router.get("/events/get_data") { request, _ in try await graphiteEvents(request) }
    }

    // MARK: - Native

    private func events(_ request: Request) async throws -> Response {
        let readable = try readableOwners(request, allowBasic: false)
        let query = request.uri.queryParameters
        guard let owner = query.get("owner")?.lowercased() else {
            throw HTTPError(.badRequest, message: "The owner query parameter is required.")
        }
        guard readable.contains(owner) else {
            throw HTTPError(.forbidden, message: "This token may not read owner \(owner).")
        }
        let (from, to) = try NativeReadRequest.range(
            of: request, now: clock.now(), defaultSpan: .seconds(7_200), maximumRange: maximumRange)
        let slots = try readerSlots(for: [owner])
        defer { for slot in slots { slot.release() } }
        let summaries = try await eventSummaries(owner: owner, processType: query.get("process_type"), from, to)
        let body = EventsResponse(
            owner: owner, from: UTCDateTime(from).formatted(.rfc3339Seconds),
            to: UTCDateTime(to).formatted(.rfc3339Seconds),
            events: summaries.flatMap { summary in
                summary.platformEvents.events.filter { from <= $0.time && $0.time < to }.map {
                    EventsResponse.Event($0, processType: summary.key.processType)
                }
            }.sorted {
                ($0.timeEpochMicroseconds, $0.processType, $0.kind, $0.dyno, $0.text)
                    < ($1.timeEpochMicroseconds, $1.processType, $1.kind, $1.dyno, $1.text)
            },
            counts: summaries.map(EventsResponse.WindowCounts.init))
        return try NativeReadRequest.json(body)
    }

    /// The event summaries of `owner` in `[from, to)` (windows starting in the range, and the one holding `from`),
    /// of `processType` and the app-wide ones when a process type is given, ordered by window. Charges the owner's
    /// read quota one series per process type read.
    private func eventSummaries(
        owner: String, processType: String?, _ from: EventTime, _ to: EventTime
    ) async throws -> [Summary] {
        let type = MeasurementType.platformEvents
        let summaries = try await store.summaries(
            type: type, owner: owner, processType: nil, metric: type.platformMetricName,
            from: from.windowStart(length: .seconds(60)), to: to)
        if let quota, let tenant = tenants.current.owner(id: owner) {
            quota.charge(tenant, series: Set(summaries.map(\.key.processType)).count)
        }
        guard let processType else { return summaries }
        return summaries.filter {
            $0.key.processType == processType || $0.key.processType == PlatformEvent.appWideProcessType
        }
    }

    // MARK: - Graphite

    private func graphiteEvents(_ request: Request) async throws -> Response {
        let readable = try readableOwners(request, allowBasic: true)
        let query = request.uri.queryParameters
        let now = clock.now()
        func time(_ name: String) throws -> EventTime? {
            guard let text = query.get(name) else { return nil }
            let time: EventTime
            do {
                time = try GraphiteTime.parse(text, now: now)
            } catch {
                throw HTTPError(.badRequest, message: "\(name): \(error.message)")
            }
            guard (0...SeriesRoutes.latestSeconds).contains(time.secondsSinceEpoch) else {
                throw HTTPError(.badRequest, message: "\(name) must lie between 1970 and 9999.")
            }
            return time
        }
        let to = try time("until") ?? now
        let from = try time("from") ?? (to - .seconds(86_400))
        try NativeReadRequest.checkRange(from: from, to: to, maximumRange: maximumRange)
        let tags = Set((query.get("tags") ?? "").split(separator: " ").map(String.init))
        let isUnion = query.get("set") == "union"
        var owners = readable
        if !isUnion, !tags.isEmpty, !tags.isDisjoint(with: readable) { owners.formIntersection(tags) }
        let slots = try readerSlots(for: owners)
        defer { for slot in slots { slot.release() } }
        var events: [GraphiteEvent] = []
        for owner in owners.sorted() {
            for summary in try await eventSummaries(owner: owner, processType: nil, from, to) {
                for event in summary.platformEvents.events where from <= event.time && event.time < to {
                    let graphite = GraphiteEvent(event, owner: owner, processType: summary.key.processType)
                    let eventTags = Set(graphite.tags)
                    let matches =
                        tags.isEmpty || (isUnion ? !tags.isDisjoint(with: eventTags) : tags.isSubset(of: eventTags))
                    if matches { events.append(graphite) }
                }
            }
        }
        events.sort { ($0.when, $0.what, $0.id) < ($1.when, $1.what, $1.id) }
        return try NativeReadRequest.json(events)
    }

    // MARK: - Shared

    /// A reader slot of each owner of the tenants file among `owners` (ids), or a 429 with `Retry-After`.
    private func readerSlots(for owners: some Collection<String>) throws -> [ReadQuota.ReaderSlot] {
        guard let quota else { return [] }
        let directory = tenants.current
        return try quota.readerSlots(for: owners.sorted().compactMap { directory.owner(id: $0) })
    }

    /// The owners the request's token reads: a Bearer token, or with `allowBasic` (graphite-web's endpoint) also
    /// basic auth whose password is the token, as the Graphite read routes take it.
    /// - Throws: 401 without a token or with an unknown one.
    private func readableOwners(_ request: Request, allowBasic: Bool) throws -> Set<String> {
        guard allowBasic else { return try NativeReadRequest.bearerAccess(request, tenants: tenants).readable }
        guard let token = ReadAccess.token(request.headers[.authorization]) else { throw ReadAccess.unauthorized }
        let readable = tenants.current.readableOwners(apiToken: token)
        guard !readable.isEmpty else { throw ReadAccess.unauthorized }
        return readable
    }
}

/// The JSON body of `GET /api/v1/events`.
package struct EventsResponse: Codable, Sendable, Equatable {
    /// One event: a marker.
    package struct Event: Codable, Sendable, Equatable {
        /// RFC 3339, whole seconds.
        package var time: String
        package var timeEpochMicroseconds: Int64
        /// A `PlatformEventKind`: `deploy`, `release`, `scale`, `config`, `addon`, `state`, `start`, `stop`,
        /// `exit`, `restart`, `cycle` or `error`.
        package var kind: String
        /// The dyno's process type, or `api` for app-wide events.
        package var processType: String
        /// `web.1`; empty for app-wide events.
        package var dyno: String
        package var text: String

        enum CodingKeys: String, CodingKey {
            case time, kind, dyno, text
            case timeEpochMicroseconds = "time_epoch_us"
            case processType = "process_type"
        }

        init(_ event: PlatformEvent, processType: String) {
            time = UTCDateTime(event.time).formatted(.rfc3339Seconds)
            timeEpochMicroseconds = event.time.microsecondsSinceEpoch
            kind = event.kind.rawValue
            self.processType = processType
            dyno = event.dyno
            text = event.text
        }
    }

    /// The counts of one stored summary: every event of the window by kind, including those not listed.
    package struct WindowCounts: Codable, Sendable, Equatable {
        package var windowStart: String
        package var windowStartEpoch: Int64
        package var processType: String
        package var counts: [String: UInt64]
        /// Events of the window beyond the listed ones (at most 100 are kept per window and process type).
        package var overflow: UInt64

        enum CodingKeys: String, CodingKey {
            case counts, overflow
            case windowStart = "window_start"
            case windowStartEpoch = "window_start_epoch"
            case processType = "process_type"
        }

        init(_ summary: Summary) {
            windowStart = UTCDateTime(summary.key.windowStart).formatted(.rfc3339Seconds)
            windowStartEpoch = summary.key.windowStart.secondsSinceEpoch
            processType = summary.key.processType
            counts = summary.counts
            overflow = summary.platformEvents.overflow
        }
    }

    package var owner: String
    package var from: String
    package var to: String
    /// Oldest first.
    package var events: [Event]
    /// One entry per stored one-minute summary, oldest first.
    package var counts: [WindowCounts]
}

/// One event as graphite-web's `/events/get_data` returns it.
package struct GraphiteEvent: Codable, Sendable, Equatable {
    /// Stable for the same event: 53 bits of an FNV-1a hash of owner, time, kind, dyno and text, so JSON readers
    /// keep it exact.
    package var id: Int64
    /// Unix seconds with the microseconds as a fraction.
    package var when: Double
    /// `deploy 4f2a1c7`, `web.1 state starting -> up`.
    package var what: String
    /// The event's text and where it happened.
    package var data: String
    /// The owner, the process type and the kind.
    package var tags: [String]

    init(_ event: PlatformEvent, owner: String, processType: String) {
        let location = event.dyno.isEmpty ? "" : event.dyno + " "
        let text = event.text.isEmpty ? "" : " " + event.text
        what = location + event.kind.rawValue + text
        data = "\(event.kind.rawValue) on \(event.kind.isAppWide ? "app \(owner)" : event.dyno)\(text)"
        tags = [owner, processType, event.kind.rawValue]
        when = Double(event.time.microsecondsSinceEpoch) / 1_000_000
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let identity = "\(owner)\u{1F}\(event.time.microsecondsSinceEpoch)\u{1F}\(what)"
        for byte in identity.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        id = Int64(hash & ((1 << 53) - 1))
    }
}
