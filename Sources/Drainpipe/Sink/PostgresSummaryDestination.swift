import DrainpipeCore
import DrainpipePostgres
import Metrics

/// Where the postgres-sink writes: summaries routed by owner to a shard and to one session of it.
///
/// `ShardedDatabase` in production; an in-memory recorder in unit tests.
package protocol SummaryShardWriter: Sendable {
    func shard(forOwner owner: String) -> Int
    /// The session, in the shard's sessions, that writes `owner`'s summaries.
    func session(forOwner owner: String) -> Int
    /// Writes summaries of `shard` on its session `session`, one transaction per UTC day.
    /// - Returns: the number of rows inserted or replaced.
    @discardableResult
    func write(_ summaries: [Summary], toShard shard: Int, session: Int) async throws(PostgresError) -> Int
}

extension ShardedDatabase: SummaryShardWriter {}

/// The Postgres shards as a sink kit destination: how a poll becomes transactions (``SummaryBatch``) and what a
/// failed one means (`PostgresError.recovery`).
///
/// Shards, and the sessions of a shard (owners spread over them), are written concurrently; each session writes
/// its batches (one transaction per UTC day) one after the other. A failed transaction wrote none of its
/// summaries: all of them are retryable, but a transaction failed by a summary no table can hold is written again
/// without the unstorable ones.
package struct PostgresSummaryDestination: SummaryDestination {
    package let database: any SummaryShardWriter
    private let tracker = SinkHealthTracker()
    /// Rows and duration of every committed batch (one transaction: COPY into staging, upsert, commit).
    private let copyRows: Recorder
    private let copyDuration: Timer

    /// - Parameter dimensions: the labels of the batch metrics (the sink and its mode).
    package init(
        database: any SummaryShardWriter, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        dimensions: [(String, String)] = []
    ) {
        self.database = database
        copyRows = Recorder(label: "drainpipe_sink_copy_rows", dimensions: dimensions, factory: metrics)
        copyDuration = Timer(label: "drainpipe_sink_copy_duration_seconds", dimensions: dimensions, factory: metrics)
    }

    package var health: SinkHealth { tracker.current }

    package func write(_ summaries: [Summary]) async -> SinkWriteReport {
        let batches = SummaryBatch.split(
            Array(summaries.indices), summary: { summaries[$0] },
            route: { [database] owner in
                ShardSession(shard: database.shard(forOwner: owner), session: database.session(forOwner: owner))
            })
        let report = await withTaskGroup(of: SinkWriteReport.self) { group in
            for sessionBatches in batches.values {
                group.addTask {
                    var report = SinkWriteReport()
                    for batch in sessionBatches {
                        let batchReport = await writeBatch(batch, of: summaries)
                        report.retryable += batchReport.retryable
                        report.unstorable += batchReport.unstorable
                        report.failures += batchReport.failures
                    }
                    return report
                }
            }
            var report = SinkWriteReport()
            for await sessionReport in group {
                report.retryable += sessionReport.retryable
                report.unstorable += sessionReport.unstorable
                report.failures += sessionReport.failures
            }
            return report
        }
        tracker.record(report)
        return report
    }

    /// Writes one batch in one transaction, setting aside summaries no table can hold.
    private func writeBatch(_ batch: SummaryBatch<Int>, of summaries: [Summary]) async -> SinkWriteReport {
        var indices = batch.items
        var report = SinkWriteReport()
        let location = ["shard": "\(batch.target.shard)"]
        while !indices.isEmpty {
            do throws(PostgresError) {
                let started = ContinuousClock.now
                try await database.write(
                    indices.map { summaries[$0] }, toShard: batch.target.shard, session: batch.target.session)
                copyDuration.record(duration: ContinuousClock.now - started)
                copyRows.record(indices.count)
                return report
            } catch {
                if error.recovery == .unstorable {
                    let storable = indices.filter { (try? SummaryTableLayout.validate(summaries[$0])) != nil }
                    if storable.count < indices.count {
                        report.unstorable += indices.filter { !storable.contains($0) }
                        report.failures.append(
                            SinkWriteFailure(
                                summaries: indices.count - storable.count, reason: "\(error)", location: location,
                                isUnstorable: true))
                        indices = storable
                        continue
                    }
                }
                report.failures.append(
                    SinkWriteFailure(summaries: indices.count, reason: "\(error)", location: location))
                report.retryable += indices
                return report
            }
        }
        return report
    }
}
