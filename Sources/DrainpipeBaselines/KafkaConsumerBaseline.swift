import DrainpipeKafka

extension KafkaConsumer.Options {
    /// librdkafka 2.0.2's own defaults: the baseline `drainpipe bench-aggregator` compares the production options
    /// against, kept here because nothing else uses it.
    package static let librdkafkaDefaults = Self(
        fetchWaitMax: .milliseconds(500), fetchMinBytes: 1, maxPartitionFetchBytes: 1_048_576,
        fetchMaxBytes: 52_428_800, queuedMinMessages: 100_000, queuedMaxKilobytes: 65_536)
}
