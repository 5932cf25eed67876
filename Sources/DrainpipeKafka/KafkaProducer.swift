import Logging
import Synchronization

/// An idempotent producer (`enable.idempotence=true`, `acks=all`) whose `send` returns once Kafka acknowledged
/// every record of the batch.
///
/// A dedicated thread drains librdkafka's event queue (delivery reports, logs, errors) and resumes waiting senders.
/// Call `close` during shutdown; `deinit` also stops the thread and destroys the client, without flushing.
package final class KafkaProducer: Sendable {
    /// Tunables with production defaults.
    package struct Options: Sendable, Hashable {
        /// How long librdkafka keeps trying to deliver a record before reporting failure (`message.timeout.ms`).
        package var messageTimeout: Duration
        /// How long records wait to form a batch (`linger.ms`).
        package var linger: Duration
        /// Local queue bound in records (`queue.buffering.max.messages`).
        package var queueMaxMessages: Int
        /// Local queue bound in KiB (`queue.buffering.max.kbytes`).
        package var queueMaxKilobytes: Int
        /// How long `send` keeps retrying while the local queue is full before throwing `.queueFull`.
        package var enqueueTimeout: Duration

        /// Options with the production defaults, overriding only what is given.
        package init(
            messageTimeout: Duration = .seconds(30), linger: Duration = .milliseconds(5),
            queueMaxMessages: Int = 100_000, queueMaxKilobytes: Int = 65_536, enqueueTimeout: Duration = .seconds(10)
        ) {
            self.messageTimeout = messageTimeout
            self.linger = linger
            self.queueMaxMessages = queueMaxMessages
            self.queueMaxKilobytes = queueMaxKilobytes
            self.enqueueTimeout = enqueueTimeout
        }
    }

    private let client: RDKafkaClient
    private let tracker: DeliveryTracker
    private let pollThread: KafkaPollThread
    private let options: Options
    private let logger: Logger

    /// Creates the client and starts its event thread.
    ///
    /// - Throws: `.invalidConfiguration` or `.clientCreationFailed`; neither fixes itself.
    package init(
        connection: KafkaConnection, clientID: String, options: Options = Options(), logger: Logger
    ) throws(KafkaError) {
        var properties = connection.clientProperties
        properties["client.id"] = clientID
        properties["enable.idempotence"] = "true"
        properties["acks"] = "all"
        properties["linger.ms"] = String(options.linger.rdKafkaMilliseconds)
        // TCP_NODELAY, as the Java client sets it: a produce request's last segment must not wait for the broker's
        // delayed ACK of the one before (Nagle), which adds up to tens of milliseconds to an acknowledgement.
        properties["socket.nagle.disable"] = "true"
        properties["message.timeout.ms"] = String(options.messageTimeout.rdKafkaMilliseconds)
        properties["queue.buffering.max.messages"] = String(options.queueMaxMessages)
        properties["queue.buffering.max.kbytes"] = String(options.queueMaxKilobytes)
        let client = try RDKafkaClient(kind: .producer, properties: properties, deliveryReports: true, logger: logger)
        let tracker = DeliveryTracker()
        self.client = client
        self.tracker = tracker
        self.options = options
        self.logger = logger
        self.pollThread = KafkaPollThread(name: "kafka-producer-\(clientID)") {
            client.pollEvents(timeout: Self.pollTimeout) { event in
                switch event {
                case .delivery(let reports): tracker.delivered(reports)
                case .fatal(let code, let reason): tracker.failAll(with: .fatal(code: code, reason: reason))
                }
            }
            tracker.expireOverdue(at: .now)
        }
    }

    deinit {
        pollThread.stopAndWait()
        tracker.close()
    }

    // MARK: - Sending

    /// Produces every record and returns when all were acknowledged by the in-sync replicas.
    ///
    /// Records are enqueued in order. While librdkafka's queue is full this suspends briefly and retries, up to
    /// `Options.enqueueTimeout` (or until the task is cancelled). Once a record is enqueued it cannot be withdrawn,
    /// so even after a failure this waits for the delivery reports of the records already enqueued.
    /// - Throws: the first failure: `.invalidPartition`, `.produceFailed`, `.queueFull`, `.deliveryFailed`,
    ///   `.fatal` or `.closed`. Check `isRetryable`; records of a failed batch may have been written, so a retry
    ///   must be idempotent downstream.
    package func send(_ records: [KafkaRecord]) async throws(KafkaError) {
        try await send(records, deadline: nil)
    }

    /// Like `send(_:)`, but stops waiting after `timeout` (for room in the queue or for the acknowledgements) and
    /// then throws `.acknowledgementTimedOut`: the records already enqueued stay with librdkafka and may still be
    /// written, so a retry must be idempotent downstream, as after any failure.
    ///
    /// The event thread checks the deadline between its polls, so the error comes at most `pollTimeout` late; no
    /// timer or task is started per call.
    package func send(_ records: [KafkaRecord], waitingAtMost timeout: Duration) async throws(KafkaError) {
        try await send(records, deadline: Deadline(at: .now + timeout, timeout: timeout))
    }

    /// How long the event thread waits for an event before it checks the senders' deadlines again.
    static let pollTimeout = Duration.milliseconds(100)

    private func send(_ records: [KafkaRecord], deadline: Deadline?) async throws(KafkaError) {
        guard !records.isEmpty else { return }
        // Every record counts as outstanding from the start (one lock, not two per record), so no early report is
        // missed; the ones that never reach librdkafka are taken off again before the batch is finished.
        let batch = try tracker.begin(outstanding: records.count, deadline: deadline)
        var enqueued = 0
        for record in records {
            guard record.partition >= 0 else {
                tracker.noteFailure(.invalidPartition(topic: record.topic, partition: record.partition), in: batch)
                break
            }
            // A delivery failure stops the batch early; looking once per 256 records keeps the lock off the loop.
            if enqueued % 256 == 255, tracker.failure(of: batch) != nil { break }
            if let code = client.produce(record, opaque: batch) {
                if let failure = await enqueueWhenQueueFull(record, code: code, batch: batch, deadline: deadline) {
                    tracker.noteFailure(failure, in: batch)
                    break
                }
            }
            enqueued += 1
        }
        if enqueued < records.count { tracker.didNotEnqueue(records.count - enqueued, in: batch) }
        let result = await withCheckedContinuation { continuation in
            tracker.finish(batch, continuation: continuation)
        }
        try result.get()
    }

    /// The slow path of a record librdkafka refused with `code`: waits out a full queue and retries, until
    /// `Options.enqueueTimeout` or the batch's deadline; nil once enqueued.
    private func enqueueWhenQueueFull(
        _ record: KafkaRecord, code: KafkaErrorCode, batch: UInt, deadline batchDeadline: Deadline?
    ) async -> KafkaError? {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + options.enqueueTimeout
        var code = code
        while true {
            guard code.isQueueFull else {
                return .produceFailed(topic: record.topic, partition: record.partition, code: code)
            }
            if let batchDeadline, clock.now >= batchDeadline.instant {
                return .acknowledgementTimedOut(waited: batchDeadline.timeout)
            }
            if clock.now >= deadline || Task.isCancelled {
                return .queueFull(topic: record.topic, waited: clock.now - start)
            }
            try? await clock.sleep(for: .milliseconds(5))
            if let failure = tracker.failure(of: batch) { return failure }
            guard let next = client.produce(record, opaque: batch) else { return nil }
            code = next
        }
    }

    /// Records librdkafka still holds (queued, in flight or awaiting their report), for a queue-depth gauge.
    package var pendingRecordCount: Int { client.outQueueLength }

    /// Asks the cluster for its brokers (blocking, at most `timeout`), for readiness checks: the count when a broker
    /// answered.
    package func brokerCount(timeout: Duration) throws(KafkaError) -> Int {
        try client.brokerCount(timeout: timeout)
    }

    // MARK: - Shutdown

    /// Waits until librdkafka has no queued or unacknowledged records, suspending (not blocking) while it waits.
    ///
    /// - Throws: `.flushTimedOut` with the number of records still pending, at the deadline or when cancelled.
    package func flush(timeout: Duration) async throws(KafkaError) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while client.outQueueLength > 0 {
            guard clock.now < deadline else { throw .flushTimedOut(pendingMessages: client.outQueueLength) }
            do {
                try await clock.sleep(for: .milliseconds(10))
            } catch {
                // Cancelled: stop waiting rather than spin; senders of what is left are failed, never acknowledged.
                throw .flushTimedOut(pendingMessages: client.outQueueLength)
            }
        }
    }

    /// Flushes, stops the event thread and fails any sender still waiting with `.closed`. Later sends throw `.closed`.
    package func close(flushTimeout: Duration = .seconds(10)) async {
        do {
            try await flush(timeout: flushTimeout)
        } catch {
            logger.warning("Kafka producer closed with unacknowledged records", metadata: ["error": "\(error)"])
        }
        tracker.close()
        pollThread.requestStop()
    }
}

/// When a sender stops waiting for its batch (`KafkaProducer.send(_:waitingAtMost:)`).
private struct Deadline: Sendable {
    var instant: ContinuousClock.Instant
    /// The wait it ends, for the error.
    var timeout: Duration

    init(at instant: ContinuousClock.Instant, timeout: Duration) {
        self.instant = instant
        self.timeout = timeout
    }
}

/// Batches awaiting delivery reports, keyed by the integer passed to librdkafka as `msg_opaque`.
///
/// A batch completes when its records are all enqueued (`finish`) and none is outstanding; its waiter then
/// resumes with the first failure, if any, or with `.acknowledgementTimedOut` once its deadline passed
/// (`expireOverdue`); reports arriving for it later are ignored. Shared by `KafkaProducer` and its event thread.
private final class DeliveryTracker: Sendable {
    private struct Batch {
        var outstanding = 0
        var isFinished = false
        var failure: KafkaError?
        var continuation: CheckedContinuation<Result<Void, KafkaError>, Never>?
        var deadline: Deadline?
    }

    private struct State {
        var nextID: UInt = 1
        var batches: [UInt: Batch] = [:]
        /// No batch's deadline is earlier: `expireOverdue` looks at the batches only from then on.
        var earliestDeadline: ContinuousClock.Instant?
        /// Set after a fatal error; new batches fail with it, running ones get it unless they already failed.
        var fatalFailure: KafkaError?
        /// Set by `close`: no delivery report will arrive any more, so nobody may wait for one.
        var isClosed = false
    }

    private let state = Mutex(State())

    /// Registers a new batch with `outstanding` records counted before they are handed to librdkafka, so an early
    /// report cannot be missed.
    func begin(outstanding: Int, deadline: Deadline?) throws(KafkaError) -> UInt {
        let id: Result<UInt, KafkaError> = state.withLock { state in
            if state.isClosed { return .failure(.closed) }
            if let fatal = state.fatalFailure { return .failure(fatal) }
            let id = state.nextID
            state.nextID &+= 1
            state.batches[id] = Batch(outstanding: outstanding, deadline: deadline)
            if let instant = deadline?.instant, state.earliestDeadline.map({ instant < $0 }) ?? true {
                state.earliestDeadline = instant
            }
            return .success(id)
        }
        return try id.get()
    }

    /// Takes `count` records that never reached librdkafka off the outstanding ones.
    func didNotEnqueue(_ count: Int, in id: UInt) {
        state.withLock { $0.batches[id]?.outstanding -= count }
    }

    func failure(of id: UInt) -> KafkaError? {
        state.withLock { $0.batches[id]?.failure }
    }

    /// Records a failure unless the batch already has one.
    func noteFailure(_ failure: KafkaError, in id: UInt) {
        state.withLock { state in
            if state.batches[id]?.failure == nil { state.batches[id]?.failure = failure }
        }
    }

    /// Marks the batch fully enqueued and resumes `continuation` once nothing is outstanding.
    func finish(_ id: UInt, continuation: CheckedContinuation<Result<Void, KafkaError>, Never>) {
        let ready: Result<Void, KafkaError>? = state.withLock { state in
            guard var batch = state.batches[id] else { return .failure(.closed) }
            if batch.outstanding == 0 || state.isClosed {
                state.batches[id] = nil
                return batch.failure.map { .failure($0) } ?? (batch.outstanding == 0 ? .success(()) : .failure(.closed))
            }
            if let deadline = batch.deadline, deadline.instant <= .now {
                state.batches[id] = nil
                return .failure(batch.failure ?? .acknowledgementTimedOut(waited: deadline.timeout))
            }
            batch.isFinished = true
            batch.continuation = continuation
            state.batches[id] = batch
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// Applies the delivery reports of one event under one lock (event thread), then resumes the senders whose
    /// batches completed.
    func delivered(_ reports: RDKafkaDeliveryReports) {
        let completed: [(CheckedContinuation<Result<Void, KafkaError>, Never>, Result<Void, KafkaError>)] =
            state.withLock { state in
                var completed: [(CheckedContinuation<Result<Void, KafkaError>, Never>, Result<Void, KafkaError>)] = []
                for failure in reports.failed {
                    guard var batch = state.batches[failure.opaque] else { continue }
                    if batch.failure == nil {
                        batch.failure = .deliveryFailed(
                            topic: failure.topic, partition: failure.partition, code: failure.error)
                    }
                    state.batches[failure.opaque] = batch
                    Self.count(delivered: 1, of: failure.opaque, in: &state, completing: &completed)
                }
                for (opaque, count) in reports.acknowledged {
                    Self.count(delivered: count, of: opaque, in: &state, completing: &completed)
                }
                return completed
            }
        for (continuation, result) in completed { continuation.resume(returning: result) }
    }

    /// Takes `count` reports off a batch's outstanding records; a finished batch with none left is removed and its
    /// waiter appended to `completed`.
    private static func count(
        delivered count: Int, of id: UInt, in state: inout State,
        completing completed: inout [(CheckedContinuation<Result<Void, KafkaError>, Never>, Result<Void, KafkaError>)]
    ) {
        guard var batch = state.batches[id] else { return }
        batch.outstanding -= count
        guard batch.isFinished, batch.outstanding == 0, let continuation = batch.continuation else {
            state.batches[id] = batch
            return
        }
        state.batches[id] = nil
        completed.append((continuation, batch.failure.map { .failure($0) } ?? .success(())))
    }

    /// Resumes the waiting senders whose deadline is not after `now` with `.acknowledgementTimedOut` (event thread,
    /// after each poll); their batches are forgotten, so later reports of their records change nothing.
    func expireOverdue(at now: ContinuousClock.Instant) {
        let expired: [(CheckedContinuation<Result<Void, KafkaError>, Never>, KafkaError)] = state.withLock { state in
            guard let earliest = state.earliestDeadline, earliest <= now else { return [] }
            var expired: [(CheckedContinuation<Result<Void, KafkaError>, Never>, KafkaError)] = []
            var next: ContinuousClock.Instant?
            for (id, batch) in state.batches {
                guard let deadline = batch.deadline else { continue }
                if deadline.instant <= now, let continuation = batch.continuation {
                    state.batches[id] = nil
                    expired.append((continuation, .acknowledgementTimedOut(waited: deadline.timeout)))
                } else if next.map({ deadline.instant < $0 }) ?? true {
                    // Overdue but still enqueuing: `finish` fails it; until then it is looked at after each poll.
                    next = deadline.instant
                }
            }
            state.earliestDeadline = next
            return expired
        }
        for (continuation, failure) in expired { continuation.resume(returning: .failure(failure)) }
    }

    /// Fails every batch with a fatal error; waiting senders resume at once, and so will later ones.
    func failAll(with failure: KafkaError) {
        let waiting = state.withLock { state in
            if state.fatalFailure == nil { state.fatalFailure = failure }
            return Self.takeWaiters(from: &state, failure: failure)
        }
        for continuation in waiting { continuation.resume(returning: .failure(failure)) }
    }

    /// Marks the producer closed: waiting senders resume with `.closed` and later `send`s throw it.
    func close() {
        let waiting = state.withLock { state in
            state.isClosed = true
            return Self.takeWaiters(from: &state, failure: .closed)
        }
        for continuation in waiting { continuation.resume(returning: .failure(.closed)) }
    }

    /// Removes the batches that have a waiter and marks the others failed.
    private static func takeWaiters(
        from state: inout State, failure: KafkaError
    ) -> [CheckedContinuation<Result<Void, KafkaError>, Never>] {
        let waiting = state.batches.values.compactMap(\.continuation)
        state.batches = state.batches.filter { $0.value.continuation == nil }
        for id in state.batches.keys where state.batches[id]?.failure == nil {
            state.batches[id]?.failure = failure
        }
        return waiting
    }
}
