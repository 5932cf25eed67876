import DrainpipeCore
import DrainpipePostgres
import Foundation

/// Settings of the postgres-sink and retry-sink processes, read once at start-up.
package struct SinkConfiguration: Sendable, CustomStringConvertible {
    package var pipeline: PipelineConfiguration
    /// Every shard in order: `DATABASE_SHARD_URLS` (comma-separated) when set, otherwise `DATABASE_URL` alone.
    package var shards: [DatabaseURL]
    package var assignment: WorkerAssignment  // DYNO index of <workersVariable> (default 1)
    package var batchSize: Int  // SINK_BATCH_SIZE (1024)
    package var retentionDays: Int  // RETENTION_DAYS (21)

    package init(environment: Environment, workersVariable: String) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        let pipeline = PipelineConfiguration(environment: environment, noting: &problems)
        let assignment = PipelineConfiguration.assignment(
            dyno: pipeline?.dyno, workersVariable: workersVariable, environment: environment, noting: &problems)
        let shards = Self.shards(environment: environment, noting: &problems)
        batchSize = environment.optional("SINK_BATCH_SIZE", as: Int.self, noting: &problems) ?? 1024
        retentionDays = environment.optional("RETENTION_DAYS", as: Int.self, noting: &problems) ?? 21
        if batchSize < 1 { problems.append(.invalid(variable: "SINK_BATCH_SIZE", reason: "must be at least 1")) }
        if retentionDays < 1 { problems.append(.invalid(variable: "RETENTION_DAYS", reason: "must be at least 1")) }
        guard problems.isEmpty, let pipeline, let assignment, let shards else { throw .invalidEnvironment(problems) }
        self.pipeline = pipeline
        self.assignment = assignment
        self.shards = shards
    }

    /// Reads the shard list shared by the sinks and the read API.
    package static func shards(
        environment: Environment, noting problems: inout [ConfigurationError.Problem]
    ) -> [DatabaseURL]? {
        if let list = environment["DATABASE_SHARD_URLS"] {
            let before = problems.count
            var urls: [DatabaseURL] = []
            for (index, text) in list.split(separator: ",").enumerated() {
                do {
                    urls.append(try DatabaseURL(environmentValue: text.trimmingCharacters(in: .whitespaces)))
                } catch {
                    problems.append(
                        .malformed(variable: "DATABASE_SHARD_URLS (entry \(index + 1))", expected: error.expected))
                }
            }
            if urls.isEmpty, problems.count == before {
                problems.append(
                    .malformed(variable: "DATABASE_SHARD_URLS", expected: "a comma-separated list of postgres:// URLs"))
            }
            return problems.count == before ? urls : nil
        }
        guard
            let url = environment.required(
                "DATABASE_URL", as: DatabaseURL.self, hint: "a postgres:// URL of the metrics database",
                noting: &problems)
        else {
            return nil
        }
        return [url]
    }

    package var description: String {
        "\(pipeline) shards=\(shards.count) assignment=\(assignment) batch=\(batchSize) retention_days=\(retentionDays)"
    }
}
