import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird

/// graphite-web 1.1's query API over the stored summaries: `/render`, `/metrics/find`, `/metrics/expand`,
/// `/functions` and `/version` (README, "Reading with Graphite clients").
///
/// Every route but `/functions` and `/version` needs an API token of the tenants file (``ReadAccess``) and sees
/// only the paths of the token's owners (``GraphiteNaming``): a path or wildcard that would reach another owner
/// matches nothing, exactly as a path that does not exist. Parameters come from the URL and, for `POST`, a
/// form-encoded body.
package struct GraphiteQueryRoutes: Sendable {
    package var tenants: LiveTenantDirectory
    package var store: any SeriesCatalogStore
    package var catalogs: PathCatalogCache
    package var clock: any WallClock
    /// The longest range one render may ask for.
    package var maximumRange: Duration
    /// The per-tenant read quotas (429 with `Retry-After` over them): every render, find and expand takes a reader
    /// slot of each owner the token reads, and a render charges each owner the series it matched; nil: no quotas.
    package var quota: ReadQuota?

    /// The graphite-web version `/version` reports, so clients (Grafana) enable their 1.1 features.
    static let graphiteVersion = "1.1.8"

    package init(
        tenants: LiveTenantDirectory, store: any SeriesCatalogStore, clock: any WallClock,
        catalogLifetime: Duration = .seconds(5), maximumRange: Duration = .seconds(31 * 86_400),
        quota: ReadQuota? = nil
    ) {
        self.quota = quota
        self.tenants = tenants
        self.store = store
        self.clock = clock
        self.maximumRange = maximumRange
        catalogs = PathCatalogCache(store: store, clock: clock, lifetime: catalogLifetime)
    }

    package func register(on router: Router<BasicRequestContext>) {
        for path in ["/render", "/metrics/find", "/metrics/expand"] {
            let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
                let access = try ReadAccess(request, tenants: tenants)
                let slots = try acquireReaders(for: access)
                defer { for slot in slots { slot.release() } }
                let parameters = try await GraphiteParameters(request)
                switch path {
                case "/render": return try await render(parameters, access: access)
                case "/metrics/find": return try await find(parameters, access: access)
                default: return try await expand(parameters, access: access)
                }
            }
            router.get(RouterPath(path), use: handler)
            router.post(RouterPath(path), use: handler)
        }
        router.get("/version") { _, _ in Self.graphiteVersion + "\n" }
        router.get("/functions") { request, _ in
            let parameters = GraphiteParameters(pairs: GraphiteParameters.decode(request.uri.query ?? ""))
            let json = FunctionCatalog.json(grouped: parameters.flag("grouped"), group: parameters.first("group"))
            return Self.jsonResponse(Data(json.utf8))
        }
    }

    /// A reader slot of each of the token's owners, or a 429 with `Retry-After` (holding none).
    private func acquireReaders(for access: ReadAccess) throws -> [ReadQuota.ReaderSlot] {
        try quota?.readerSlots(for: access.owners) ?? []
    }

    // MARK: - Find and expand

    /// `/metrics/find`: the nodes one level below the pattern's parent, as `treejson` (default) or `completer`.
    private func find(_ parameters: GraphiteParameters, access: ReadAccess) async throws -> Response {
        guard var query = parameters.first("query") else {
            throw HTTPError(.badRequest, message: "The query parameter is required.")
        }
        let format = parameters.first("format") ?? "treejson"
        guard ["treejson", "completer"].contains(format) else {
            throw HTTPError(.badRequest, message: "format must be treejson or completer.")
        }
        if format == "completer" {
            query = query.replacingOccurrences(of: "..", with: "*.")
            if !query.hasSuffix("*") { query += "*" }
        }
        let from = try timeRange(parameters).from
        let leavesOnly = parameters.flag("leavesOnly")
        let nodes = Self.uniqueByName(try await matches(pattern(query), access: access, from: from))
            .filter { !leavesOnly || $0.isLeaf }
        let wildcards = parameters.flag("wildcards") && nodes.count > 1
        if format == "completer" {
            var metrics: [[String: String]] = nodes.map { node in
                [
                    "path": node.isLeaf ? node.path : node.path + ".", "name": node.name,
                    "is_leaf": node.isLeaf ? "1" : "0",
                ]
            }
            if wildcards { metrics.append(["name": "*"]) }
            return Self.jsonResponse(
                try JSONSerialization.data(withJSONObject: ["metrics": metrics], options: [.sortedKeys]))
        }
        let basePath = query.lastIndex(of: ".").map { String(query[...$0]) } ?? ""
        var tree: [[String: Any]] = []
        if wildcards {
            let anyBranch = nodes.contains { $0.hasChildren }
            tree.append(Self.treeNode(text: "*", id: basePath + "*", leaf: !anyBranch, expandable: anyBranch))
        }
        for node in nodes where node.hasChildren {
            tree.append(Self.treeNode(text: node.name, id: basePath + node.name, leaf: node.isLeaf, expandable: true))
        }
        for node in nodes where !node.hasChildren {
            tree.append(Self.treeNode(text: node.name, id: basePath + node.name, leaf: true, expandable: false))
        }
        return Self.jsonResponse(try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys]))
    }

    /// A `treejson` node; a node that is a leaf with deeper paths too (a Graphite path's average beside its other
    /// statistics) is both `leaf` and `expandable`.
    private static func treeNode(text: String, id: String, leaf: Bool, expandable: Bool) -> [String: Any] {
        [
            "text": text, "id": id, "leaf": leaf ? 1 : 0, "expandable": expandable ? 1 : 0,
            "allowChildren": expandable ? 1 : 0, "context": [String: String](),
        ]
    }

    /// `/metrics/expand`: every path the `query` patterns match, sorted, or grouped by pattern with `groupByExpr`.
    private func expand(_ parameters: GraphiteParameters, access: ReadAccess) async throws -> Response {
        let queries = parameters.all("query")
        guard !queries.isEmpty else { throw HTTPError(.badRequest, message: "The query parameter is required.") }
        let from = try timeRange(parameters).from
        let leavesOnly = parameters.flag("leavesOnly")
        var grouped: [String: [String]] = [:]
        for query in queries {
            let found = try await matches(pattern(query), access: access, from: from)
                .filter { !leavesOnly || $0.isLeaf }.map(\.path)
            grouped[query, default: []] += found
        }
        let results: Any =
            parameters.flag("groupByExpr")
            ? grouped.mapValues { Array(Set($0)).sorted() } : Array(Set(grouped.values.joined())).sorted()
        return Self.jsonResponse(
            try JSONSerialization.data(withJSONObject: ["results": results], options: [.sortedKeys]))
    }

    // MARK: - Matching

    func pattern(_ text: String) throws -> MetricPathPattern {
        do {
            return try MetricPathPattern(text)
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
    }

    /// The catalog nodes of the token's owners that `pattern` matches, sorted by path.
    ///
    /// The first segment matches the owners' segments (a literal first segment may also be an owner's id); the
    /// rest is searched in each matching owner's catalog only.
    func matches(
        _ pattern: MetricPathPattern, access: ReadAccess, from: EventTime
    ) async throws -> [PathCatalog.Match] {
        guard let first = pattern.segments.first else { return [] }
        var found: [PathCatalog.Match] = []
        for (owner, segment) in zip(access.owners, access.ownerSegments) {
            let reached = first.isLiteral ? first.text == segment || first.text == owner.id : first.matches(segment)
            guard reached else { continue }
            if pattern.segments.count == 1 {
                found.append(PathCatalog.Match(path: segment, name: segment, source: nil, hasChildren: true))
                continue
            }
            let catalog = try await catalogs.catalog(owner: owner, from: from)
            found += catalog.matches(
                pattern.segments.dropFirst().map { segment in
                    segment.isLiteral ? .literal(segment.text) : .pattern({ segment.matches($0) })
                })
        }
        return found.sorted { $0.path < $1.path }
    }

    /// One node per name, as graphite-web lists them; a name that is both a leaf and a branch merges into one.
    private static func uniqueByName(_ nodes: [PathCatalog.Match]) -> [PathCatalog.Match] {
        var seen: [String: Int] = [:]
        var unique: [PathCatalog.Match] = []
        for node in nodes {
            if let index = seen[node.path] {
                unique[index].hasChildren = unique[index].hasChildren || node.hasChildren
                unique[index].source = unique[index].source ?? node.source
            } else {
                seen[node.path] = unique.count
                unique.append(node)
            }
        }
        return unique
    }

    // MARK: - Time

    /// `from`, `until` and `now` of a request: graphite-web's defaults (`-24h`, `now`) and syntax, UTC.
    func timeRange(_ parameters: GraphiteParameters) throws -> (from: EventTime, until: EventTime, now: EventTime) {
        do {
            let now = try parameters.first("now").map { try GraphiteTime.parse($0, now: clock.now()) } ?? clock.now()
            let until = try parameters.first("until").map { try GraphiteTime.parse($0, now: now) } ?? now
            let from = try GraphiteTime.parse(parameters.first("from") ?? "-24h", now: now)
            return (min(from, until), max(from, until), now)
        } catch let error as QueryError {
            throw HTTPError(.badRequest, message: error.description)
        }
    }

    // MARK: - Responses

    static func jsonResponse(_ body: Data) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
