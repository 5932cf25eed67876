/// The Graphite paths of one owner's stored series, as a tree of segments below the owner's segment: what
/// `/metrics/find`, `/metrics/expand` and a wildcard in `/render` search.
///
/// Holds one owner only, so a search in it can never reach another owner's paths.
package struct PathCatalog: Sendable {
    private struct Node: Sendable {
        var children: [String: Int] = [:]
        var reading: SummaryReading?
        var series: StoredSeries?
        var precedence: GraphiteNaming.Precedence?
    }

    /// A node found by a search: its full dotted path (owner segment first), and what it is.
    package struct Match: Hashable, Sendable {
        package var path: String
        /// The last segment of `path`.
        package var name: String
        /// What the path reads, when it is a leaf.
        package var source: SeriesSource?
        /// Whether deeper paths start with `path`.
        package var hasChildren: Bool

        package var isLeaf: Bool { source != nil }

        package init(path: String, name: String, source: SeriesSource?, hasChildren: Bool) {
            self.path = path
            self.name = name
            self.source = source
            self.hasChildren = hasChildren
        }
    }

    /// The owner's id, as stored.
    package let owner: String
    /// The first segment of every path (``GraphiteNaming/ownerSegment(id:name:)``).
    package let ownerSegment: String
    private var nodes = [Node()]

    /// How many leaves (readable paths) the catalog holds.
    package private(set) var leafCount = 0

    package init(owner: String, ownerSegment: String) {
        self.owner = owner
        self.ownerSegment = ownerSegment
    }

    /// Adds every path of one stored series (``GraphiteNaming/readings(of:eventNames:)``).
    package mutating func insert(_ series: StoredSeries, eventNames: some Sequence<String> = [String]()) {
        for named in GraphiteNaming.readings(of: series, eventNames: eventNames) {
            var node = 0
            for segment in named.segments { node = child(of: node, named: segment) }
            if let existing = nodes[node].precedence, existing >= named.precedence { continue }
            if nodes[node].reading == nil { leafCount += 1 }
            nodes[node].reading = named.reading
            nodes[node].series = series
            nodes[node].precedence = named.precedence
        }
    }

    private mutating func child(of parent: Int, named segment: String) -> Int {
        if let existing = nodes[parent].children[segment] { return existing }
        nodes.append(Node())
        nodes[parent].children[segment] = nodes.count - 1
        return nodes.count - 1
    }

    /// One segment of a search: a plain segment, or a test a segment must pass (a wildcard).
    package enum SegmentMatcher: Sendable {
        case literal(String)
        case pattern(@Sendable (String) -> Bool)

        func accepts(_ segment: String) -> Bool {
            switch self {
            case .literal(let text): text == segment
            case .pattern(let test): test(segment)
            }
        }
    }

    /// The nodes whose path below the owner's segment has one segment per matcher, each accepted by its matcher,
    /// sorted by path. Empty without matchers.
    package func matches(_ segments: some Collection<SegmentMatcher>) -> [Match] {
        guard !segments.isEmpty else { return [] }
        var frontier: [(path: String, name: String, node: Int)] = [(ownerSegment, ownerSegment, 0)]
        for matcher in segments {
            var next: [(path: String, name: String, node: Int)] = []
            for (path, _, node) in frontier {
                let children = nodes[node].children
                if case .literal(let text) = matcher {
                    if let child = children[text] { next.append((path + "." + text, text, child)) }
                    continue
                }
                for (segment, child) in children where matcher.accepts(segment) {
                    next.append((path + "." + segment, segment, child))
                }
            }
            frontier = next
            if frontier.isEmpty { return [] }
        }
        return frontier.map { path, name, index in
            let node = nodes[index]
            let source = node.series.flatMap { series in
                node.reading.map { SeriesSource(owner: owner, series: series, reading: $0) }
            }
            return Match(path: path, name: name, source: source, hasChildren: !node.children.isEmpty)
        }
        .sorted { $0.path < $1.path }
    }
}
