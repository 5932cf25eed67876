import DrainpipeCore

/// A running deployment's health on one screen, as `drainpipe status` prints it: each consumer stage's workers
/// (partitions, lag, claim, how far their data reaches) from Kafka's committed offsets, and each shard's health.
///
/// Built from plain readings (``PartitionProgress``, ``ShardStatus``) so the arithmetic and the layout are tested
/// without a broker; the command gathers the readings.
package struct DeploymentStatus: Sendable {
    package var stages: [StageStatus]
    package var shards: [ShardStatus]

    package init(stages: [StageStatus], shards: [ShardStatus]) {
        self.stages = stages
        self.shards = shards
    }

    /// The screen: one table per stage, then the shards.
    package func rendered(now: EventTime) -> String {
        var lines: [String] = []
        for stage in stages {
            lines.append(
                "\(stage.name) (group \(stage.group), \(stage.workers.count) worker(s); lag \(stage.lag) messages)")
            lines.append(
                Self.row(["worker", "partitions", "committed", "lag", "data through", "claim"], widths: Self.widths))
            for worker in stage.workers {
                lines.append(
                    Self.row(
                        [
                            "\(worker.index + 1) of \(stage.workers.count)", "\(worker.partitions)",
                            "\(worker.committedPartitions)", "\(worker.lag)",
                            worker.dataThrough.map { Self.age(of: $0, now: now) } ?? "-", worker.claim ?? "-",
                        ], widths: Self.widths))
            }
            lines.append("")
        }
        lines.append("shards")
        for (index, shard) in shards.enumerated() {
            let health: String
            switch shard.health {
            case .answering(let milliseconds, let layout):
                health = "ok (\(milliseconds) ms), recorded as \(layout.map { "\($0)" } ?? "nothing yet")"
            case .failing(let reason): health = "DOWN: \(reason)"
            }
            lines.append("  \(index + 1). \(shard.name): \(health)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static let widths = [10, 11, 10, 10, 22, 40]

    private static func row(_ cells: [String], widths: [Int]) -> String {
        "  "
            + zip(cells, widths).map { cell, width in
                cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
            }.joined().trimmingSuffixSpaces()
    }

    /// `14:02:11 (35 s ago)`: a UTC time of day and how long before `now` it was.
    private static func age(of time: EventTime, now: EventTime) -> String {
        let (difference, overflow) = now.microsecondsSinceEpoch.subtractingReportingOverflow(
            time.microsecondsSinceEpoch)
        let seconds = overflow ? 0 : max(0, difference / 1_000_000)
        let clock = UTCDateTime(time).formatted(.rfc3339Seconds).split(separator: "T").last.map(String.init) ?? ""
        let ago = seconds < 120 ? "\(seconds) s" : seconds < 7_200 ? "\(seconds / 60) min" : "\(seconds / 3_600) h"
        return "\(clock.prefix(8)) (\(ago) ago)"
    }
}

/// One partition of a stage's input topics: its watermarks and what the stage's group committed.
package struct PartitionProgress: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    /// The oldest retained and the next offset to be written.
    package var low: Int64
    package var high: Int64
    /// The next offset the group will read, and the commit's metadata; nil when the group never committed here.
    package var committed: Int64?
    package var metadata: String?

    package init(topic: String, partition: Int32, low: Int64, high: Int64, committed: Int64?, metadata: String?) {
        self.topic = topic
        self.partition = partition
        self.low = low
        self.high = high
        self.committed = committed
        self.metadata = metadata
    }

    /// Messages not yet consumed: from the committed offset (or the oldest retained one) to the end.
    package var lag: Int64 { max(0, high - max(committed ?? low, low)) }
}

/// A consumer stage (aggregator, a sink) and its workers.
package struct StageStatus: Sendable {
    package var name: String
    package var group: String
    package var workers: [WorkerStatus]

    package var lag: Int64 { workers.reduce(0) { $0 + $1.lag } }

    /// Splits the partitions among `workerCount` workers as the services do (`p mod n == i`) and sums each worker's.
    package init(name: String, group: String, workerCount: Int, partitions: [PartitionProgress]) {
        self.name = name
        self.group = group
        workers = (0..<max(workerCount, 1)).map { index in
            let owned = partitions.filter { Int($0.partition) % max(workerCount, 1) == index }
            let claims = owned.compactMap { $0.metadata.flatMap(AggregatorWorkerClaim.init(metadata:)) }
            let newest = claims.max { $0.isSuperseded(by: $1) }
            return WorkerStatus(
                index: index, partitions: owned.count, committedPartitions: owned.filter { $0.committed != nil }.count,
                lag: owned.reduce(0) { $0 + $1.lag }, claim: newest.map { "\($0)" },
                dataThrough: owned.compactMap { $0.metadata.flatMap(CommitMarker.init(metadata:))?.watermark }
                    .filter { $0.microsecondsSinceEpoch > 0 }.max())
        }
    }
}

/// One worker of a stage.
package struct WorkerStatus: Sendable, Hashable {
    package var index: Int
    package var partitions: Int
    /// Partitions where the group has committed an offset.
    package var committedPartitions: Int
    package var lag: Int64
    /// The newest aggregator claim in the worker's commits (which process holds the index), when there is one.
    package var claim: String?
    /// The newest data the worker's commits account for (the aggregator's watermark), when its commits say (a
    /// partition that has seen no data yet commits no watermark worth showing).
    package var dataThrough: EventTime?
}

/// One Postgres shard as `drainpipe status` found it.
package struct ShardStatus: Sendable {
    package enum Health: Sendable {
        /// It answered a query in this many milliseconds; the layout it recorded (nil before any sink started).
        case answering(milliseconds: Int, layout: ShardLayout?)
        case failing(String)
    }

    /// `host:port/database`, never the password.
    package var name: String
    package var health: Health

    package init(name: String, health: Health) {
        self.name = name
        self.health = health
    }
}

extension String {
    fileprivate func trimmingSuffixSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
