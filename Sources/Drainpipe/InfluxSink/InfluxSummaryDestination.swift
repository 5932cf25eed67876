import DrainpipeCore
import Foundation

/// InfluxDB as a sink kit destination: each summary one point (``InfluxLineProtocol``), a poll one write request.
///
/// InfluxDB has no conditional write: the last write of a point wins. Versions of a summary reach the primary loop
/// in order (the aggregator publishes them so, and a replay reads them so again), and within one write only the
/// newest version of each summary is sent. The retry loop, whose summaries may be older than what the primary loop
/// wrote meanwhile, writes only summaries newer than the stored `version` (``Guard/newerVersionsOnly``); both
/// loops of a process share one ``InfluxWriteLock``, so no primary write falls between that read and the write.
package struct InfluxSummaryDestination: SummaryDestination {
    /// Whether a write first checks the stored versions.
    package enum Guard: Sendable {
        /// Write every summary (the primary loop).
        case none
        /// Skip summaries whose stored version is the same or newer (the retry loop).
        case newerVersionsOnly
    }

    private let client: InfluxClient
    private let versionGuard: Guard
    private let lock: InfluxWriteLock
    private let tracker = SinkHealthTracker()

    package init(client: InfluxClient, guard versionGuard: Guard, lock: InfluxWriteLock) {
        self.client = client
        self.versionGuard = versionGuard
        self.lock = lock
    }

    package var health: SinkHealth { tracker.current }

    package func write(_ summaries: [Summary]) async -> SinkWriteReport {
        var report = SinkWriteReport()
        // The newest version of each summary in the batch; older ones are superseded by it (written with it, or
        // retried with it).
        var newest: [SeriesKey: Int] = [:]
        for (index, summary) in summaries.enumerated() {
            if let other = newest[summary.key], summaries[other].version >= summary.version { continue }
            newest[summary.key] = index
        }
        var lines: [Int: [UInt8]] = [:]
        for index in newest.values.sorted() {
            do {
                var line: [UInt8] = []
                try InfluxLineProtocol.append(summaries[index], to: &line)
                lines[index] = line
            } catch {
                report.unstorable.append(index)
                report.failures.append(SinkWriteFailure(summaries: 1, reason: "\(error)", isUnstorable: true))
            }
        }
        let candidates = lines.keys.sorted()
        let outcome = await lock.withLock { () async -> SinkWriteReport in
            var toWrite = candidates
            if versionGuard == .newerVersionsOnly {
                do {
                    let stored = try await storedVersions(of: candidates.map { summaries[$0].key })
                    toWrite = candidates.filter { (stored[summaries[$0].key] ?? .min) < summaries[$0].version }
                } catch {
                    return SinkWriteReport(
                        retryable: candidates,
                        failures: [SinkWriteFailure(summaries: candidates.count, reason: "\(error)")])
                }
            }
            return await send(toWrite, lines: lines, of: summaries)
        }
        report.retryable += outcome.retryable
        report.unstorable += outcome.unstorable
        report.failures += outcome.failures
        tracker.record(report)
        return report
    }

    /// Writes the summaries at `indices` in one request; when InfluxDB refuses the body, one request per summary
    /// tells the refused ones (unstorable) from the rest.
    private func send(_ indices: [Int], lines: [Int: [UInt8]], of summaries: [Summary]) async -> SinkWriteReport {
        guard !indices.isEmpty else { return .allWritten }
        var body: [UInt8] = []
        body.reserveCapacity(indices.reduce(0) { $0 + (lines[$1]?.count ?? 0) })
        for index in indices { body += lines[index] ?? [] }
        switch await client.write(body) {
        case .written:
            return .allWritten
        case .unavailable(let reason):
            return SinkWriteReport(
                retryable: indices, failures: [SinkWriteFailure(summaries: indices.count, reason: reason)])
        case .rejected:
            var report = SinkWriteReport()
            for index in indices {
                switch await client.write(lines[index] ?? []) {
                case .written:
                    continue
                case .rejected(let reason):
                    report.unstorable.append(index)
                    report.failures.append(
                        SinkWriteFailure(
                            summaries: 1, reason: reason, location: ["series": "\(summaries[index].key)"],
                            isUnstorable: true))
                case .unavailable(let reason):
                    report.retryable.append(index)
                    report.failures.append(SinkWriteFailure(summaries: 1, reason: reason))
                }
            }
            return report
        }
    }

    /// The stored `version` of each summary that has a point, asked 200 statements per request.
    private func storedVersions(of keys: [SeriesKey]) async throws(InfluxQueryError) -> [SeriesKey: Int64] {
        var versions: [SeriesKey: Int64] = [:]
        var start = 0
        while start < keys.count {
            let chunk = Array(keys[start..<min(start + 200, keys.count)])
            let results = try await client.query(chunk.map(InfluxLineProtocol.versionQuery).joined(separator: ";"))
            for result in results {
                guard let statement = result["statement_id"] as? Int, chunk.indices.contains(statement),
                    let series = (result["series"] as? [[String: Any]])?.first,
                    let row = (series["values"] as? [[Any]])?.first, row.count > 1
                else { continue }
                if let version = (row[1] as? NSNumber)?.int64Value { versions[chunk[statement]] = version }
            }
            start += chunk.count
        }
        return versions
    }
}
