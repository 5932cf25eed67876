// RDKafkaClient — the one owner of an `rd_kafka_t`.
//
// Invariants:
// - `handle` and `mainQueue` are created in `init` and destroyed only in `deinit` (queue first, then handle), so no
//   method can see a dangling pointer; after `init` both are immutable.
// - Logs, errors and (for producers) delivery reports are routed to the main queue as events (`log.queue=true`,
//   `rd_kafka_conf_set_events`); nothing is delivered through C callbacks. `pollEvents` turns them into Swift
//   values and logs on the caller's thread.
// - Every byte and string read from librdkafka is copied into Swift values before the event or message is destroyed.
// - Configuration values are never echoed in errors or logs, since some are private keys.
internal import CRdKafka
import DrainpipeCore
import Logging

/// The delivery reports of one librdkafka DR event (one acknowledged or failed message set), as Swift values.
///
/// Acknowledged records are counted per `msg_opaque` (records of one `send` sit next to each other in a message
/// set), so a report of hundreds of records costs the producer one lock and no string; a failed record keeps its
/// topic and partition for the error.
struct RDKafkaDeliveryReports: Sendable {
    /// Acknowledged records: runs of the same `msg_opaque` given to `produce`, with their lengths.
    var acknowledged: [(opaque: UInt, count: Int)] = []
    var failed: [Failure] = []

    struct Failure: Sendable {
        /// The `msg_opaque` given to `produce`.
        var opaque: UInt
        var topic: String
        var partition: Int32
        var error: KafkaErrorCode
    }
}

/// Events that `pollEvents` hands to its caller; logs and non-fatal errors are logged directly.
enum RDKafkaEvent: Sendable {
    case delivery(RDKafkaDeliveryReports)
    /// The client is unusable from now on (`rd_kafka_fatal_error`).
    case fatal(code: KafkaErrorCode, reason: String)
}

/// Owns one librdkafka client handle; see the file comment for invariants.
final class RDKafkaClient: @unchecked Sendable {
    // @unchecked Sendable: `handle`/`mainQueue` are immutable and freed only in deinit, and the rd_kafka_* functions
    // called through them are thread-safe per librdkafka's documentation.
    enum Kind {
        case producer, consumer
    }

    private let handle: OpaquePointer
    private let mainQueue: OpaquePointer
    let logger: Logger
    /// What librdkafka logged lately, so its error event for the same problem is not logged twice.
    private let recentLogLines = RecentLogLines()

    /// Creates the handle from librdkafka properties.
    ///
    /// - Parameter deliveryReports: route delivery reports to the main queue (producers).
    init(kind: Kind, properties: [String: String], deliveryReports: Bool, logger: Logger) throws(KafkaError) {
        guard let configuration = rd_kafka_conf_new() else {
            throw .clientCreationFailed(reason: "rd_kafka_conf_new returned no configuration")
        }
        var allProperties = properties
        allProperties["log.queue"] = "true"
        for (name, value) in allProperties.sorted(by: { $0.key < $1.key }) {
            var errorText = [CChar](repeating: 0, count: 512)
            let result = rd_kafka_conf_set(configuration, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(configuration)
                throw .invalidConfiguration(property: name, reason: Self.string(errorText))
            }
        }
        var events = RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR
        if deliveryReports { events |= RD_KAFKA_EVENT_DR }
        rd_kafka_conf_set_events(configuration, events)

        var errorText = [CChar](repeating: 0, count: 512)
        // On success rd_kafka_new takes ownership of `configuration`; on failure it is still ours.
        guard
            let handle = rd_kafka_new(
                kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                configuration, &errorText, errorText.count)
        else {
            rd_kafka_conf_destroy(configuration)
            throw .clientCreationFailed(reason: Self.string(errorText))
        }
        guard let mainQueue = rd_kafka_queue_get_main(handle) else {
            rd_kafka_destroy(handle)
            throw .clientCreationFailed(reason: "librdkafka returned no main queue")
        }
        rd_kafka_set_log_queue(handle, nil)  // nil = the main queue
        self.handle = handle
        self.mainQueue = mainQueue
        self.logger = logger
    }

    deinit {
        rd_kafka_queue_destroy(mainQueue)
        rd_kafka_destroy(handle)
    }

    /// Lends the raw handle to `body`, which must not keep it.
    func withUnsafeHandle<Result, Failure: Error>(
        _ body: (OpaquePointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(handle)
    }

    // MARK: - Events

    /// Waits up to `timeout` for events, logs log/error events and hands the rest to `onEvent`.
    ///
    /// Blocks the calling thread; serves at most `limit` events so a stop flag is checked regularly.
    func pollEvents(timeout: Duration, limit: Int = 1_000, onEvent: (RDKafkaEvent) -> Void) {
        var waitMilliseconds = timeout.rdKafkaMilliseconds
        for _ in 0..<limit {
            guard let event = rd_kafka_queue_poll(mainQueue, waitMilliseconds) else { return }
            waitMilliseconds = 0
            handle(event: event, onEvent: onEvent)
            rd_kafka_event_destroy(event)
        }
    }

    private func handle(event: OpaquePointer, onEvent: (RDKafkaEvent) -> Void) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            var reports = RDKafkaDeliveryReports()
            while let message = rd_kafka_event_message_next(event) {
                let opaque = UInt(bitPattern: message.pointee._private)
                let error = message.pointee.err
                if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                    reports.failed.append(
                        RDKafkaDeliveryReports.Failure(
                            opaque: opaque, topic: Self.topicName(message.pointee.rkt),
                            partition: message.pointee.partition, error: KafkaErrorCode(error)))
                } else if let last = reports.acknowledged.indices.last, reports.acknowledged[last].opaque == opaque {
                    reports.acknowledged[last].count += 1
                } else {
                    reports.acknowledged.append((opaque, 1))
                }
            }
            onEvent(.delivery(reports))
        case RD_KAFKA_EVENT_LOG:
            var facility: UnsafePointer<CChar>?
            var text: UnsafePointer<CChar>?
            var level: Int32 = 0
            guard rd_kafka_event_log(event, &facility, &text, &level) == 0 else { return }
            let message = text.map { String(cString: $0) } ?? ""
            let logLevel = Self.logLevel(syslog: level)
            if logLevel >= .warning { recentLogLines.remember(message) }
            var metadata: Logger.Metadata = ["librdkafka.facility": "\(facility.map { String(cString: $0) } ?? "")"]
            if let hint = KafkaTLSHint.hint(for: message) { metadata["hint"] = "\(hint)" }
            logger.log(level: logLevel, "\(message)", metadata: metadata)
        case RD_KAFKA_EVENT_ERROR:
            let code = KafkaErrorCode(rd_kafka_event_error(event))
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? code.reason
            if rd_kafka_event_error_is_fatal(event) != 0 {
                var reason = [CChar](repeating: 0, count: 512)
                let original = KafkaErrorCode(rd_kafka_fatal_error(handle, &reason, reason.count))
                let reasonText = Self.string(reason)
                logger.critical(
                    "librdkafka fatal error", metadata: ["code": "\(original.name)", "reason": "\(reasonText)"])
                onEvent(.fatal(code: original, reason: reasonText))
            } else {
                let level: Logger.Level = recentLogLines.takeRepeat(of: text) ? .debug : .warning
                logger.log(level: level, "librdkafka error", metadata: ["code": "\(code.name)", "reason": "\(text)"])
            }
        default:
            logger.debug(
                "librdkafka event ignored", metadata: ["event": "\(String(cString: rd_kafka_event_name(event)))"])
        }
    }

    // MARK: - Producing

    /// Enqueues one record with `rd_kafka_produceva`; librdkafka copies topic, key and value. Never blocks.
    ///
    /// - Returns: nil when enqueued, else the code (`_QUEUE_FULL` when the local queue is full).
    func produce(_ record: KafkaRecord, opaque: UInt) -> KafkaErrorCode? {
        record.topic.withCString { topic in
            Self.withNonNullBytes(record.value) { value in
                Self.withNonNullBytes(record.key ?? []) { key in
                    // A stack buffer: this runs once per record, so no array is allocated for the fields.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { fields in
                        fields.initialize(repeating: rd_kafka_vu_t())
                        fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        fields[0].u.cstr = topic
                        fields[1].vtype = RD_KAFKA_VTYPE_PARTITION
                        fields[1].u.i32 = record.partition
                        fields[2].vtype = RD_KAFKA_VTYPE_VALUE
                        fields[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        fields[2].u.mem.size = value.count
                        fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        fields[3].u.i = RD_KAFKA_MSG_F_COPY
                        fields[4].vtype = RD_KAFKA_VTYPE_OPAQUE
                        fields[4].u.ptr = UnsafeMutableRawPointer(bitPattern: opaque)
                        var count = 5
                        if record.key != nil {
                            fields[count].vtype = RD_KAFKA_VTYPE_KEY
                            fields[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                            fields[count].u.mem.size = key.count
                            count += 1
                        }
                        if let timestamp = record.timestamp {
                            fields[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                            fields[count].u.i64 = timestamp.millisecondsSinceEpoch
                            count += 1
                        }
                        guard let error = rd_kafka_produceva(handle, fields.baseAddress, count) else { return nil }
                        defer { rd_kafka_error_destroy(error) }
                        return KafkaErrorCode(rd_kafka_error_code(error))
                    }
                }
            }
        }
    }

    /// Records and requests librdkafka still holds (queued, in flight, or with undelivered reports).
    var outQueueLength: Int { Int(rd_kafka_outq_len(handle)) }

    // MARK: - Helpers

    /// Calls `body` with a non-null pointer even for empty input, so an empty value never becomes a null one.
    private static func withNonNullBytes<Result>(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        if bytes.isEmpty {
            var placeholder: UInt8 = 0
            return withUnsafeBytes(of: &placeholder) { body(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
        }
        return bytes.withUnsafeBytes(body)
    }

    static func topicName(_ topic: OpaquePointer?) -> String {
        guard let topic, let name = rd_kafka_topic_name(topic) else { return "" }
        return String(cString: name)
    }

    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}

extension KafkaErrorCode {
    /// Copies name and text of a librdkafka error code and classifies it.
    init(_ code: rd_kafka_resp_err_t) {
        self.init(
            rawValue: code.rawValue,
            name: String(cString: rd_kafka_err2name(code)),
            reason: String(cString: rd_kafka_err2str(code)),
            isTransient: Self.transientCodes.contains(code)
        )
    }

    /// librdkafka's local producer queue is full.
    var isQueueFull: Bool { rawValue == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue }

    /// Codes after which the same request may succeed later without anyone changing configuration.
    private static let transientCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__QUEUE_FULL,
        RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR__RETRY,
        RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT,
        RD_KAFKA_RESP_ERR__NODE_UPDATE, RD_KAFKA_RESP_ERR__WAIT_CACHE, RD_KAFKA_RESP_ERR__INTR,
        RD_KAFKA_RESP_ERR__OUTDATED, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
        RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND, RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH, RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH,
        RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED,
        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT,
        RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
    ]
}

extension Duration {
    /// Milliseconds for a librdkafka timeout argument, rounded up and clamped to `0...Int32.max`.
    var rdKafkaMilliseconds: Int32 {
        let microseconds = max(0, wholeMicroseconds)
        return Int32(clamping: (microseconds + 999) / 1_000)
    }
}
