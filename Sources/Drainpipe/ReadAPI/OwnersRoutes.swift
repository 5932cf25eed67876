import DrainpipeCore
import DrainpipePostgres
import Foundation
import HTTPTypes
import Hummingbird

/// Which process types of an owner have stored summaries in a range, and the newest window of each.
package protocol SeriesActivityStore: Sendable {
    /// The newest window start per process type among `owner`'s metric summaries (every measurement type but
    /// platform events) whose windows start in `[from, to)`.
    func newestWindows(owner: String, from: EventTime, to: EventTime) async throws -> [String: EventTime]
}

/// `GET /api/v1/owners?from=…&to=…`: the owners a token reads, with their names and the process types seen in the
/// range (default: the last 24 hours) and the newest window of each, so a client can offer an app and a process
/// type to look at and say how old the newest data is.
///
/// Requires `Authorization: Bearer <token>`, read against the tenants file in force, like ``SeriesRoutes``, and
/// takes a reader slot of each owner listed (the read quotas, 429 with `Retry-After` over them), as
/// `/metrics/find` does.
package struct OwnersRoutes: Sendable {
    package var tenants: LiveTenantDirectory
    package var store: any SeriesActivityStore
    package var clock: any WallClock
    /// The per-tenant read quotas; nil reads without quotas.
    package var quota: ReadQuota?

    package init(
        tenants: LiveTenantDirectory, store: any SeriesActivityStore, clock: any WallClock, quota: ReadQuota? = nil
    ) {
        self.tenants = tenants
        self.store = store
        self.clock = clock
        self.quota = quota
    }

    package func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/owners") { request, _ in try await owners(request) }
    }

    private func owners(_ request: Request) async throws -> Response {
        let (directory, readable) = try NativeReadRequest.bearerAccess(request, tenants: tenants)
        let (from, to) = try NativeReadRequest.range(
            of: request, now: clock.now(), defaultSpan: .seconds(86_400), maximumRange: .seconds(31 * 86_400))
        let owners = directory.owners.filter { readable.contains($0.id) }
        let slots = try quota?.readerSlots(for: owners) ?? []
        defer { for slot in slots { slot.release() } }
        let listed = try await withThrowingTaskGroup(of: OwnersResponse.Owner.self) { group in
            for owner in owners {
                group.addTask {
                    let newest = try await store.newestWindows(owner: owner.id, from: from, to: to)
                    return OwnersResponse.Owner(
                        id: owner.id, name: owner.name ?? owner.id,
                        processTypes: newest.sorted { $0.key < $1.key }.map {
                            OwnersResponse.ProcessType(
                                name: $0.key, newestWindowStart: UTCDateTime($0.value).formatted(.rfc3339Seconds),
                                newestWindowStartEpoch: $0.value.secondsSinceEpoch)
                        })
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let body = OwnersResponse(
            from: UTCDateTime(from).formatted(.rfc3339Seconds), to: UTCDateTime(to).formatted(.rfc3339Seconds),
            owners: listed.sorted { ($0.name, $0.id) < ($1.name, $1.id) })
        return try NativeReadRequest.json(body)
    }
}

/// The JSON body of `GET /api/v1/owners`.
package struct OwnersResponse: Codable, Sendable, Equatable {
    package struct ProcessType: Codable, Sendable, Equatable {
        package var name: String
        package var newestWindowStart: String
        package var newestWindowStartEpoch: Int64

        enum CodingKeys: String, CodingKey {
            case name
            case newestWindowStart = "newest_window_start"
            case newestWindowStartEpoch = "newest_window_start_epoch"
        }
    }

    package struct Owner: Codable, Sendable, Equatable {
        package var id: String
        /// The tenants file's `name`, or the id when it has none.
        package var name: String
        package var processTypes: [ProcessType]

        enum CodingKeys: String, CodingKey {
            case id, name
            case processTypes = "process_types"
        }
    }

    package var from: String
    package var to: String
    package var owners: [Owner]
}

extension SummaryReader {
    /// The newest window start per process type of `owner` in `from..<to`, across every measurement type's table
    /// of every day schema the range touches. Blocks on the connection.
    package func newestWindows(
        owner: String, from: EventTime, to: EventTime, on connection: PQConnection
    ) throws(PostgresError) -> [String: EventTime] {
        guard from < to else { return [:] }
        let days = DaySchema(containing: from)...DaySchema(containing: to - .microseconds(1))
        var attempt = 1
        while true {
            var branches: [String] = []
            // Metrics only: app-wide platform events are stored under the `api` writer, which has no charts.
            for type in MeasurementType.allCases where type != .platformEvents {
                for day in try DaySchema.existing(holding: type, on: connection) where days.contains(day) {
                    branches.append(
                        """
                        SELECT process_type, max(window_start) AS newest FROM \(day.qualifiedTableName(for: type))
                        WHERE owner = $1 AND window_start >= $2::timestamptz AND window_start < $3::timestamptz
                        GROUP BY process_type
                        """)
                }
            }
            guard !branches.isEmpty else { return [:] }
            let statement =
                "SELECT process_type, (extract(epoch FROM max(newest)) * 1000000)::bigint FROM ("
                + branches.joined(separator: "\nUNION ALL\n") + ") AS newest GROUP BY process_type"
            do throws(PostgresError) {
                let rows = try connection.query(
                    statement, parameters: [owner, DaySchema.timestampText(from), DaySchema.timestampText(to)])
                var newest: [String: EventTime] = [:]
                for row in rows.rows {
                    guard row.count == 2, let processType = row[0], let text = row[1], let micros = Int64(text) else {
                        throw .invalidValue(table: "day schemas", reason: "a newest window is not a number")
                    }
                    newest[processType] = EventTime(microsecondsSinceEpoch: micros)
                }
                return newest
            } catch {
                // Retention dropped a day between listing and reading: list again.
                let dropped = error.sqlState == .invalidSchemaName || error.sqlState == .undefinedTable
                guard dropped, attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }
}

extension ShardedDatabase: SeriesActivityStore {
    package func newestWindows(owner: String, from: EventTime, to: EventTime) async throws -> [String: EventTime] {
        try await withReadSession(shard(forOwner: owner)) { connection throws(PostgresError) in
            try SummaryReader().newestWindows(owner: owner, from: from, to: to, on: connection)
        }
    }
}
