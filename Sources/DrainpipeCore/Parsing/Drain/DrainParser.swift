/// Turns one Logplex drain request body into measurements (formats.md §1–§5 and its Decisions).
///
/// Frames are cut by `OctetFrameReader`, headers read by `SyslogLine`, and each line classified by `DrainLineKind`:
/// - router lines become `.routerRequests` (and, with `code=`, also a `.dynoErrors` measurement counting the code);
/// - runtime load and memory lines become `.dynoLoad` and `.dynoMemory`;
/// - dyno manager `Error Rxx` lines become `.dynoErrors`, and also a `.platformEvents` marker;
/// - l2met app lines become one `.customMetrics` measurement per metric;
/// - platform event lines (`api` releases, deploys, scaling, config and add-on changes; dyno state changes,
///   starts, stops, exits, restarts and cycles) become `.platformEvents` (docs/events.md).
///
/// Every other kind is counted as ignored after classification alone. A line is all or nothing (Decision 3): a
/// measured line with invalid UTF-8, a message of 10 000 bytes or more, or one bad value is rejected whole and counted
/// by reason. Work is done on byte ranges of the body; only the values a measurement keeps become strings.
///
/// Each framed message's zero-based position among the body's frames becomes its `DrainOrigin.lineIndex`, so a
/// retried batch yields the same origins; no two measurements of one line share a (type, metric).
package struct DrainParser: Sendable {
    /// Measured lines whose message has this many bytes or more are rejected: the platform splits longer output into
    /// 10 000-byte pieces, so such a message is a fragment, never a whole platform or l2met line.
    package static let messageLengthLimit = 10_000

    /// A parser; it keeps no state between requests.
    package init() {}

    /// Parses `body`, attributing every measurement to `owner` and to its origin in the batch.
    /// - Parameters:
    ///   - owner: the app (or tenant) the authenticated drain belongs to.
    ///   - drainID: the drain's identity for retry de-duplication.
    ///   - frameID: `Logplex-Frame-Id`, empty when absent.
    ///   - receivedAt: when ingress received the request.
    package func parse(
        body: [UInt8], owner: String, drainID: String, frameID: String, receivedAt: EventTime
    ) -> DrainParseResult {
        var collected = MeasurementCollector()
        // About one measurement per router line, the most common line (~250 bytes), so the array rarely grows.
        collected.measurements.reserveCapacity(body.count / 256)
        var result = parse(
            body: body, owner: owner, drainID: drainID, frameID: frameID, receivedAt: receivedAt, into: &collected)
        result.measurements = collected.measurements
        return result
    }

    /// Parses `body` like `parse(body:owner:drainID:frameID:receivedAt:)`, but hands every measurement to `sink` as
    /// it is read instead of collecting them: the result's `measurements` is empty. The measurements handed over
    /// share one set of field and event buffers, reused line after line, so a sink that does not keep them (the
    /// ingress's batch writer) costs no allocation per line.
    package func parse(
        body: [UInt8], owner: String, drainID: String, frameID: String, receivedAt: EventTime,
        into sink: inout some MeasurementSink
    ) -> DrainParseResult {
        var frameRejections = Tally<FrameRejectionReason>()
        var lineRejections = Tally<LineRejectionReason>()
        var ignored = Tally<DrainLineKind>()
        var frameCount = 0
        var measuredLineCount = 0
        var skippedUniqueKeyCount = 0
        // The date and hour of the last timestamp read, which the next line's nearly always shares.
        var timestampHour = UTCDateTime.HourCache()
        // The metrics of one l2met line, emptied and refilled line after line.
        var metrics: [CustomMetricsReading.Metric] = []
        var draft = Draft(
            owner: owner, origin: DrainOrigin(drainID: drainID, frameID: frameID, lineIndex: 0),
            receivedAt: receivedAt)

        for step in OctetFrameReader(body: body) {
            let frame: Range<Int>
            switch step {
            case .rejected(let rejection):
                frameRejections.add(rejection.reason)
                continue
            case .message(let range):
                frame = range
            }
            let lineIndex = UInt32(clamping: frameCount)
            frameCount += 1
            do {
                let line = try SyslogLine(parsing: body, frame: frame, reusing: &timestampHour)
                let kind = DrainLineKind(classifying: line, in: body)
                draft.startLine(time: line.timestamp, lineIndex: lineIndex)
                // The checks of every measured line. (The draft is not captured here: a captured variable's
                // accesses are checked at run time, and the readers take two parts of it inout at once.)
                func measurable() throws(LineRejectionReason) { try Self.checkMeasurable(body, line) }
                switch kind {
                case .router:
                    try measurable()
                    draft.start(.routerRequests)
                    let reading = try RouterRequestReading(
                        parsing: body, line: line, fields: &draft.measurement.fields,
                        events: &draft.measurement.events)
                    draft.measurement.processType = reading.processType
                    sink.append(draft.measurement)
                    if let code = reading.errorCode {
                        draft.start(.dynoErrors)
                        draft.measurement.events.append(code)
                        sink.append(draft.measurement)
                    }
                case .runtimeLoad, .runtimeMemory:
                    try measurable()
                    let (type, schema): (MeasurementType, RuntimeSampleSchema) =
                        kind == .runtimeLoad ? (.dynoLoad, .load) : (.dynoMemory, .memory)
                    draft.start(type)
                    let reading = try RuntimeSampleReading(
                        parsing: body, line: line, schema: schema, fields: &draft.measurement.fields)
                    draft.measurement.processType = reading.processType
                    sink.append(draft.measurement)
                case .runtimeError:
                    try measurable()
                    let code = try HerokuErrorCode.name(ofErrorLine: body, message: line.message)
                    let processType = try ProcessType.named(body, in: line.processID)
                    let event = try PlatformEventReading.errorDetail(
                        body, processID: line.processID, message: line.message)
                    draft.start(.dynoErrors, processType: processType)
                    draft.measurement.events.append(code)
                    sink.append(draft.measurement)
                    draft.start(event: event, processType: processType)
                    sink.append(draft.measurement)
                case .appEvent:
                    try measurable()
                    let reading = try PlatformEventReading(apiLine: body, message: line.message)
                    draft.start(event: reading.detail, processType: reading.processType)
                    sink.append(draft.measurement)
                case .dynoEvent:
                    try measurable()
                    let reading = try PlatformEventReading(
                        dynoLine: body, processID: line.processID, message: line.message)
                    draft.start(event: reading.detail, processType: reading.processType)
                    sink.append(draft.measurement)
                case .customMetrics:
                    try measurable()
                    let processType = try ProcessType.named(body, in: line.processID)
                    metrics.removeAll(keepingCapacity: true)
                    let reading = try CustomMetricsReading(parsing: body, line: line, metrics: &metrics)
                    skippedUniqueKeyCount += reading.skippedUniqueKeys
                    guard !metrics.isEmpty else {
                        ignored.add(kind)
                        continue
                    }
                    for metric in metrics {
                        let name = String(decoding: body[metric.name], as: UTF8.self)
                        draft.start(.customMetrics, processType: processType, metric: name)
                        draft.measurement.fields.append(MeasurementField(name: "value", value: metric.value))
                        sink.append(draft.measurement)
                    }
                case .logplexError, .logShuttleError, .appOutput, .addOn, .other:
                    ignored.add(kind)
                    continue
                }
                measuredLineCount += 1
            } catch {
                lineRejections.add(error)
            }
        }
        return DrainParseResult(
            frameCount: frameCount,
            frameRejections: frameRejections.counts,
            lineRejections: lineRejections.counts,
            ignoredLinesByKind: ignored.counts,
            measuredLineCount: measuredLineCount,
            skippedUniqueKeyCount: skippedUniqueKeyCount
        )
    }

    /// The checks every measured line passes before its values are read (Decision 3).
    private static func checkMeasurable(_ body: [UInt8], _ line: SyslogLine) throws(LineRejectionReason) {
        guard line.message.count < messageLengthLimit else { throw .lineTooLong }
        guard ASCIIBytes.isValidUTF8(body, in: line.message) else { throw .invalidUTF8 }
    }

    /// The one measurement a parse fills and hands over again and again: same owner, receive time and drain
    /// origin throughout; time and line index per line; the rest per measurement, its fields and events emptied
    /// in place so their buffers are reused.
    private struct Draft {
        var measurement: Measurement

        init(owner: String, origin: DrainOrigin, receivedAt: EventTime) {
            measurement = Measurement(
                type: .routerRequests, owner: owner, processType: ProcessType.web,
                metric: MeasurementType.routerRequests.platformMetricName, time: receivedAt, receivedAt: receivedAt,
                fields: [], events: [], origin: origin)
        }

        mutating func startLine(time: EventTime, lineIndex: UInt32) {
            measurement.time = time
            measurement.origin?.lineIndex = lineIndex
        }

        /// A measurement of `type` named `metric` (the type's platform metric name when nil), without fields,
        /// events or platform event yet.
        mutating func start(_ type: MeasurementType, processType: String? = nil, metric: String? = nil) {
            measurement.type = type
            if let processType { measurement.processType = processType }
            measurement.metric = metric ?? type.platformMetricName
            // Most measurements leave one of them empty; emptying an empty array still costs a call.
            if !measurement.fields.isEmpty { measurement.fields.removeAll(keepingCapacity: true) }
            if !measurement.events.isEmpty { measurement.events.removeAll(keepingCapacity: true) }
            measurement.platformEvent = nil
        }

        /// A platform event, counted under its kind.
        mutating func start(event: PlatformEventDetail, processType: String) {
            start(.platformEvents, processType: processType)
            measurement.events.append(event.kind.rawValue)
            measurement.platformEvent = event
        }
    }

    /// Counts enum cases in an array indexed by raw value, so the hot loop never hashes.
    private struct Tally<Case: RawRepresentable<Int> & CaseIterable & Hashable> {
        private var slots = [Int](repeating: 0, count: Case.allCases.count)

        mutating func add(_ value: Case) { slots[value.rawValue] += 1 }

        /// The non-zero counts.
        var counts: [Case: Int] {
            var result: [Case: Int] = [:]
            for value in Case.allCases where slots[value.rawValue] > 0 { result[value] = slots[value.rawValue] }
            return result
        }
    }
}
