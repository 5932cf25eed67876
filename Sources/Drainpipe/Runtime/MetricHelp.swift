/// The `# HELP` text of every metric a Drainpipe process exposes on `/metrics`, by metric name.
///
/// A metric added without an entry here is exposed without help, and the exposition test (`promtool check metrics`
/// on every process) fails, so this list stays the one place that documents the metrics.
package enum MetricHelp {
    package static let text: [String: String] = [
        // ingress (web)
        "drainpipe_ingress_measurements_total": "Measurements from drains acknowledged by Kafka.",
        "drainpipe_ingress_frames_rejected_total":
            "Logplex frames that could not be read (skipped; the rest of the body is used).",
        "drainpipe_ingress_lines_ignored_total": "Drain lines that carry no measurement (other log lines), by kind.",
        "drainpipe_ingress_lines_rejected_total":
            "Drain lines that looked like measurements but were malformed, by reason.",
        "drainpipe_ingress_measurements_denied_total": "Measurements refused by the owner's allow/deny lists.",
        "drainpipe_ingress_msg_count_mismatches_total":
            "Drain requests whose Logplex-Msg-Count differed from the frames.",
        "drainpipe_ingress_requests_over_quota_total": "Requests refused with 429 because the owner was over a cap.",
        "drainpipe_ingress_requests_rejected_total": "Drain requests refused as a whole (nothing could be framed).",
        "drainpipe_ingress_tenant_reloads_total": "Reloads of the tenants file on SIGHUP, by result.",
        "drainpipe_graphite_datapoints_total": "Graphite datapoints acknowledged by Kafka (TCP and HTTP).",
        "drainpipe_graphite_lines_rejected_total": "Graphite lines refused, by reason.",
        "drainpipe_graphite_unknown_tokens_total": "Graphite connections or requests with an unknown token.",
        "drainpipe_ingress_connections_closed_total":
            "Connections refused over a cap, evicted to make room or closed at a deadline, by listener and reason.",
        "drainpipe_ingress_accept_failures_total": "Failed accept calls (e.g. no descriptor left), by listener.",
        // every process with a port
        "drainpipe_http_refusals_total": "HTTP answers of 400 or more, by status and reason.",
        "drainpipe_http_request_duration_seconds":
            "Time from a request's arrival until its handler answered, by route template and status.",
        // every process that produces (ingress, aggregator)
        "drainpipe_kafka_produce_duration_seconds":
            "Time from handing a batch of records to Kafka until every record was acknowledged or one failed.",
        "drainpipe_kafka_produce_errors_total": "Batches Kafka did not acknowledge, by reason and librdkafka code.",
        // aggregator
        "drainpipe_aggregator_measurements_total":
            "Raw measurements consumed, by outcome (accepted, duplicate, too late…).",
        "drainpipe_aggregator_malformed_messages_total": "Raw Kafka messages that could not be decoded.",
        "drainpipe_aggregator_summaries_published_total": "Summaries published to the compacted summary topics.",
        "drainpipe_aggregator_consumer_lag":
            "Messages between the aggregator's position and the end of its partitions.",
        "drainpipe_aggregator_partition_lag_messages":
            "Messages between the aggregator's position and the end of each raw partition, updated every flush.",
        "drainpipe_aggregator_flush_duration_seconds":
            "Time of one flush: read the claims back, publish the changed summaries, wait for the acks, commit.",
        "drainpipe_aggregator_open_windows": "Windows not yet final, over all owned partitions.",
        "drainpipe_aggregator_open_series": "Series with an open window, over all owned partitions.",
        "drainpipe_aggregator_distinct_series": "Distinct series names held in memory.",
        "drainpipe_aggregator_origin_fingerprints": "Frame fingerprints kept for de-duplicating Logplex retries.",
        "drainpipe_aggregator_state_bytes": "Estimated bytes of aggregation state, by part.",
        // sinks
        "drainpipe_sink_backlog_messages":
            "Summary messages between the sink's position and the end of its partitions, by mode.",
        "drainpipe_sink_partition_lag_messages":
            "Summary messages between the sink's committed position and the end of each partition, by mode.",
        "drainpipe_sink_copy_rows": "Summaries per committed Postgres batch (one COPY transaction), by mode.",
        "drainpipe_sink_copy_duration_seconds":
            "Time to write one batch to its shard: COPY into staging, upsert and commit, by mode.",
        "drainpipe_sink_summaries_written_total":
            "Summaries written to Postgres shards, by sink mode (primary or retry).",
        "drainpipe_sink_summaries_sent_to_retry_total":
            "Summaries handed to the RETRY topics after a failed write, by sink mode.",
        "drainpipe_sink_unstorable_summaries_total": "Summaries no table can hold, logged and set aside, by sink mode.",
        "drainpipe_sink_write_failures_total": "Failed batch writes to a shard, by sink mode.",
    ]
}
