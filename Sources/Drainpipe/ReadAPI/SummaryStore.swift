import DrainpipeCore

/// Read access to stored summaries, across shards and day schemas.
package protocol SummaryStore: Sendable {
    /// The one-minute (or stored-period) summaries of an owner's series in `[from, to)`, oldest first.
    func summaries(
        type: MeasurementType, owner: String, processType: String?, metric: String?, from: EventTime, to: EventTime
    ) async throws -> [Summary]
}
