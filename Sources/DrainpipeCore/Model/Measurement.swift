/// One named numeric value of a measurement (`load_avg_1m = 0.42`).
package struct MeasurementField: Sendable, Hashable {
    package var name: String
    package var value: Double

    package init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// Where a drain line came from, so a retried Logplex batch can be recognised and counted once.
package struct DrainOrigin: Sendable, Hashable {
    /// The drain's identity: its `Logplex-Drain-Token` or, without one, the authenticated credential's user.
    package var drainID: String
    /// `Logplex-Frame-Id`, identical on every retry of the batch; empty when the sender did not send one.
    package var frameID: String
    /// Zero-based index of the frame within the request body.
    package var lineIndex: UInt32

    package init(drainID: String, frameID: String, lineIndex: UInt32) {
        self.drainID = drainID
        self.frameID = frameID
        self.lineIndex = lineIndex
    }
}

/// A parsed, typed observation as it travels on a raw topic.
package struct Measurement: Sendable, Hashable {
    package var type: MeasurementType
    /// The owning app's UUID (lower-case text) or, for Graphite, the tenant name.
    package var owner: String
    /// `web`, `worker`… (the dyno name up to its first dot).
    package var processType: String
    /// The metric name: the type's platform metric name, or a custom metric's own name.
    package var metric: String
    /// When the measurement was taken, by the emitter's clock.
    package var time: EventTime
    /// When ingress received it.
    package var receivedAt: EventTime
    package var fields: [MeasurementField]
    /// Events this measurement counts once each (`status_5xx`, `H12`, `R14`, `method_GET`); may repeat a name.
    package var events: [String]
    package var origin: DrainOrigin?
    /// For `PLATFORM_EVENTS`: what happened (its time is `time`); nil for every other type.
    package var platformEvent: PlatformEventDetail?

    package init(
        type: MeasurementType,
        owner: String,
        processType: String,
        metric: String,
        time: EventTime,
        receivedAt: EventTime,
        fields: [MeasurementField],
        events: [String] = [],
        origin: DrainOrigin? = nil,
        platformEvent: PlatformEventDetail? = nil
    ) {
        self.type = type
        self.owner = owner
        self.processType = processType
        self.metric = metric
        self.time = time
        self.receivedAt = receivedAt
        self.fields = fields
        self.events = events
        self.origin = origin
        self.platformEvent = platformEvent
    }

    /// The bytes Kafka's partitioner hashes: owner and process type (see `topics.yaml`).
    package var partitionKey: String { SeriesKey.partitionKey(owner: owner, processType: processType) }
}
