// EmbeddedKafkaCluster — librdkafka's in-process mock cluster, for tests and the local stack.
//
// Invariants:
// - The mock cluster is created on a dedicated producer handle (`RDKafkaClient`) that this object owns, and is
//   destroyed (`rd_kafka_mock_cluster_destroy`) before that handle, exactly once, under `cluster`'s lock; every
//   other mock call also runs under that lock, so none can race with destruction.
// - The handle's log and error events are drained by this object's own poll thread, stopped before destruction.
// - The mock brokers' listening sockets get TCP_NODELAY, which Linux hands on to every connection they accept (see
//   `disableNagle`); the mock leaves Nagle's algorithm on, and Kafka's own brokers turn it off.
// - Limits of librdkafka 2.0.2's mock: each partition keeps at most 5 MiB or 100,000 message sets and silently
//   drops older data; no CreateTopics or DescribeConfigs; no authentication or TLS.
internal import CRdKafka
import DrainpipeCore
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An in-process Kafka-protocol cluster listening on localhost TCP ports.
package final class EmbeddedKafkaCluster: Sendable {
    /// `rd_kafka_mock_cluster_t *`, lent only under `cluster`'s lock.
    private struct ClusterPointer: @unchecked Sendable {
        // @unchecked Sendable: only dereferenced by librdkafka while `cluster`'s lock is held.
        var pointer: OpaquePointer
    }

    private let client: RDKafkaClient
    private let cluster: Mutex<ClusterPointer?>
    private let pollThread: KafkaPollThread
    /// The brokers' `host:port` list for `bootstrap.servers`.
    package let bootstrapServers: String

    /// Starts `brokers` mock brokers (ids 1…n) on ephemeral localhost ports.
    package init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        let client = try RDKafkaClient(
            kind: .producer, properties: ["client.id": "embedded-kafka-cluster"], deliveryReports: false,
            logger: logger
        )
        guard let pointer = client.withUnsafeHandle({ rd_kafka_mock_cluster_new($0, Int32(clamping: brokers)) }) else {
            throw .clientCreationFailed(reason: "librdkafka could not start a mock cluster with \(brokers) broker(s)")
        }
        self.client = client
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(pointer))
        Self.disableNagle(onListenersOf: bootstrapServers)
        cluster = Mutex(ClusterPointer(pointer: pointer))
        pollThread = KafkaPollThread(name: "kafka-embedded-cluster") {
            client.pollEvents(timeout: .milliseconds(100)) { _ in }
        }
    }

    deinit {
        close()
    }

    /// Sets TCP_NODELAY on this process's listening sockets at the brokers' ports; on Linux the connections they
    /// accept inherit it.
    ///
    /// librdkafka 2.0.2 sends one ProduceRequest per partition, so a producer has several in flight; with Nagle on,
    /// the mock's small answers after the first waited for the producer's delayed ACK, 40 ms of every acknowledgement
    /// at low concurrency (issue 15). Kafka's brokers set TCP_NODELAY on every connection.
    private static func disableNagle(onListenersOf bootstrapServers: String) {
        #if canImport(Glibc)
            let ports = Set(
                bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last }
                    .compactMap { UInt16($0) })
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
            for descriptor in entries.compactMap({ Int32($0) }) {
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let named = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
                }
                var listening: Int32 = 0
                var optionLength = socklen_t(MemoryLayout<Int32>.size)
                guard named == 0, address.sin_family == sa_family_t(AF_INET),
                    ports.contains(UInt16(bigEndian: address.sin_port)),
                    getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optionLength) == 0, listening != 0
                else { continue }
                var enabled: Int32 = 1
                _ = setsockopt(
                    descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &enabled, socklen_t(MemoryLayout<Int32>.size))
            }
        #endif
    }

    /// A plaintext connection to this cluster, with `prefix` for topic names and group ids.
    package func connection(prefix: String = "") -> KafkaConnection {
        KafkaConnection(bootstrapServers: bootstrapServers, prefix: prefix)
    }

    /// Creates a topic (`rd_kafka_mock_topic_create`), the mock's replacement for the Admin API.
    ///
    /// The mock caps the replication factor at its broker count.
    /// - Throws: `.invalidConfiguration` for fewer than one partition or replica, `.topicOperationFailed` (e.g.
    ///   `TOPIC_ALREADY_EXISTS`), `.closed`.
    package func createTopic(name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        guard partitions >= 1, replicationFactor >= 1 else {
            throw .invalidConfiguration(
                property: "topic \(name)", reason: "partitions and replication factor must be at least 1"
            )
        }
        let code: rd_kafka_resp_err_t? = cluster.withLock { cluster in
            cluster.map {
                rd_kafka_mock_topic_create(
                    $0.pointer, name, Int32(clamping: partitions), Int32(clamping: replicationFactor)
                )
            }
        }
        guard let code else { throw .closed }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .topicOperationFailed(topic: name, operation: "create (mock)", code: KafkaErrorCode(code))
        }
    }

    /// Takes broker `id` (1…n) down or brings it back up (`rd_kafka_mock_broker_set_down`/`_up`): while down it
    /// closes its connections and refuses new ones, so producers cannot get acknowledgements.
    ///
    /// - Throws: `.topicOperationFailed` naming the broker when librdkafka refuses, `.closed`.
    package func setBroker(_ id: Int, isUp: Bool) throws(KafkaError) {
        let code: rd_kafka_resp_err_t? = cluster.withLock { cluster in
            cluster.map {
                isUp
                    ? rd_kafka_mock_broker_set_up($0.pointer, Int32(clamping: id))
                    : rd_kafka_mock_broker_set_down($0.pointer, Int32(clamping: id))
            }
        }
        guard let code else { throw .closed }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .topicOperationFailed(
                topic: "broker \(id)", operation: isUp ? "set up (mock)" : "set down (mock)", code: KafkaErrorCode(code)
            )
        }
    }

    /// Delays every response of broker `id` by `roundTripTime` (`rd_kafka_mock_broker_set_rtt`): a slow broker.
    ///
    /// - Throws: `.topicOperationFailed` naming the broker when librdkafka refuses, `.closed`.
    package func setBroker(_ id: Int, roundTripTime: Duration) throws(KafkaError) {
        let milliseconds = Int32(clamping: roundTripTime.wholeMicroseconds / 1_000)
        let code: rd_kafka_resp_err_t? = cluster.withLock { cluster in
            cluster.map { rd_kafka_mock_broker_set_rtt($0.pointer, Int32(clamping: id), milliseconds) }
        }
        guard let code else { throw .closed }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .topicOperationFailed(topic: "broker \(id)", operation: "set rtt (mock)", code: KafkaErrorCode(code))
        }
    }

    /// Stops the brokers; clients connected to them start failing. Safe to call repeatedly; `deinit` calls it.
    package func close() {
        cluster.withLock { cluster in
            guard let pointer = cluster.take() else { return }
            rd_kafka_mock_cluster_destroy(pointer.pointer)
        }
        pollThread.stopAndWait()
    }
}
