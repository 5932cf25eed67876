/// What kind of thing happened to an app or one of its dynos (docs/events.md lists the line of each kind).
package enum PlatformEventKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `Deploy 4f2a1c7 by …`: new code was deployed.
    case deploy
    /// `Release v42 created by …` or `Rollback to v41 by …`: a new release.
    case release
    /// `Scale to web=3, worker=1 by …`: the formation changed.
    case scale
    /// `Set FOO, BAR config vars by …`, `Remove FOO config vars by …`.
    case config
    /// `Attach DATABASE (…) by …`, `Detach DATABASE by …`: an add-on was attached or detached.
    case addon
    /// `State changed from starting to up`.
    case state
    /// `Starting process with command …`.
    case start
    /// `Stopping all processes with SIGTERM`.
    case stop
    /// `Process exited with status 143`.
    case exit
    /// `Restarting`.
    case restart
    /// `Cycling` (the daily restart).
    case cycle
    /// `Error R14 (Memory quota exceeded)`: an R-code, also counted in `DYNO_ERRORS`.
    case error

    /// Whether the event concerns the whole app (written by `api`) rather than one dyno.
    package var isAppWide: Bool {
        switch self {
        case .deploy, .release, .scale, .config, .addon: true
        case .state, .start, .stop, .exit, .restart, .cycle, .error: false
        }
    }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What one platform event line says, apart from its time: the kind, the dyno (empty for app-wide events) and a
/// short text such as the release version or the new formation.
package struct PlatformEventDetail: Sendable, Hashable {
    package var kind: PlatformEventKind
    /// `web.1`; empty for app-wide events.
    package var dyno: String
    /// At most ``PlatformEvent/textLimit`` UTF-8 bytes.
    package var text: String

    package init(kind: PlatformEventKind, dyno: String, text: String) {
        self.kind = kind
        self.dyno = dyno
        self.text = text
    }
}

/// One platform event at its time: a marker on a chart.
///
/// Ordered by time, then kind, dyno and text, so every event has one place in a ``PlatformEventLog``.
package struct PlatformEvent: Sendable, Hashable, Comparable {
    package var time: EventTime
    package var kind: PlatformEventKind
    package var dyno: String
    package var text: String

    /// The process type of app-wide events (deploys, releases, scaling, config and add-on changes): the `api`
    /// writer of their lines, since no dyno is involved.
    package static let appWideProcessType = "api"

    /// Texts longer than this many UTF-8 bytes are cut (on a character boundary) by the parser.
    package static let textLimit = 120

    package init(time: EventTime, kind: PlatformEventKind, dyno: String, text: String) {
        self.time = time
        self.kind = kind
        self.dyno = dyno
        self.text = text
    }

    package init(time: EventTime, detail: PlatformEventDetail) {
        self.init(time: time, kind: detail.kind, dyno: detail.dyno, text: detail.text)
    }

    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.time, lhs.kind, lhs.dyno, lhs.text) < (rhs.time, rhs.kind, rhs.dyno, rhs.text)
    }
}

/// The events of one summary: the earliest ``capacity`` of them, sorted, and how many more there were.
///
/// A crash loop cannot grow a summary without limit, and merging stays exact: the kept events are always the
/// smallest `capacity` of all events merged in (by ``PlatformEvent``'s order) and `overflow` counts the rest, so
/// merging is associative and commutative and a replay in any grouping gives the same log.
package struct PlatformEventLog: Sendable, Hashable {
    /// Events kept per summary.
    package static let capacity = 100

    /// Sorted ascending; at most ``capacity``.
    package private(set) var events: [PlatformEvent]
    /// Events merged in but not kept.
    package private(set) var overflow: UInt64

    package static let empty = PlatformEventLog()

    package init() {
        events = []
        overflow = 0
    }

    /// A log of `events` (any order) plus `overflow` events not listed; events beyond ``capacity`` add to the
    /// overflow.
    package init(events: [PlatformEvent], overflow: UInt64 = 0) {
        var sorted = events.sorted()
        let cut = max(0, sorted.count - Self.capacity)
        sorted.removeLast(cut)
        self.events = sorted
        self.overflow = overflow + UInt64(cut)
    }

    package var isEmpty: Bool { events.isEmpty && overflow == 0 }

    /// Every event merged in, kept or not.
    package var totalCount: UInt64 { UInt64(events.count) + overflow }

    package mutating func add(_ event: PlatformEvent) {
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle] <= event { low = middle + 1 } else { high = middle }
        }
        guard low < Self.capacity else {
            overflow += 1
            return
        }
        events.insert(event, at: low)
        if events.count > Self.capacity {
            events.removeLast()
            overflow += 1
        }
    }

    package mutating func merge(_ other: PlatformEventLog) {
        guard !other.isEmpty else { return }
        var merged: [PlatformEvent] = []
        merged.reserveCapacity(min(Self.capacity, events.count + other.events.count))
        var left = events[...]
        var right = other.events[...]
        while merged.count < Self.capacity, let next = Self.popSmaller(&left, &right) {
            merged.append(next)
        }
        overflow += other.overflow + UInt64(left.count + right.count)
        events = merged
    }

    private static func popSmaller(
        _ left: inout ArraySlice<PlatformEvent>, _ right: inout ArraySlice<PlatformEvent>
    ) -> PlatformEvent? {
        switch (left.first, right.first) {
        case (let l?, let r?): l <= r ? left.popFirst() : right.popFirst()
        case (.some, nil): left.popFirst()
        case (nil, .some): right.popFirst()
        case (nil, nil): nil
        }
    }
}
