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
        var measurements: [Measurement] = []
        // About one measurement per router line, the most common line (~250 bytes), so the array rarely grows.
        measurements.reserveCapacity(body.count / 256)
        var frameRejections = Tally<FrameRejectionReason>()
        var lineRejections = Tally<LineRejectionReason>()
        var ignored = Tally<DrainLineKind>()
        var frameCount = 0
        var measuredLineCount = 0
        var skippedUniqueKeyCount = 0

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
                let line = try SyslogLine(parsing: body, frame: frame)
                let kind = DrainLineKind(classifying: line, in: body)
                // The line's measurement factory, once the line passed the checks of every measured line.
                func measurable() throws(LineRejectionReason) -> MeasurementFactory {
                    try Self.checkMeasurable(body, line)
                    return MeasurementFactory(
                        owner: owner, time: line.timestamp, receivedAt: receivedAt,
                        origin: DrainOrigin(drainID: drainID, frameID: frameID, lineIndex: lineIndex))
                }
                switch kind {
                case .router:
                    let factory = try measurable()
                    let reading = try RouterRequestReading(parsing: body, line: line)
                    measurements.append(
                        factory.make(
                            .routerRequests, processType: reading.processType, fields: reading.fields,
                            events: reading.events))
                    if let code = reading.errorCode {
                        measurements.append(factory.make(.dynoErrors, processType: reading.processType, events: [code]))
                    }
                case .runtimeLoad, .runtimeMemory:
                    let factory = try measurable()
                    let (type, schema): (MeasurementType, RuntimeSampleSchema) =
                        kind == .runtimeLoad ? (.dynoLoad, .load) : (.dynoMemory, .memory)
                    let reading = try RuntimeSampleReading(parsing: body, line: line, schema: schema)
                    measurements.append(factory.make(type, processType: reading.processType, fields: reading.fields))
                case .runtimeError:
                    let factory = try measurable()
                    let code = try HerokuErrorCode.name(ofErrorLine: body, message: line.message)
                    let processType = try ProcessType.named(body, in: line.processID)
                    let event = try PlatformEventReading.errorDetail(
                        body, processID: line.processID, message: line.message)
                    measurements.append(factory.make(.dynoErrors, processType: processType, events: [code]))
                    measurements.append(factory.make(event: event, processType: processType))
                case .appEvent:
                    let factory = try measurable()
                    let reading = try PlatformEventReading(apiLine: body, message: line.message)
                    measurements.append(factory.make(event: reading.detail, processType: reading.processType))
                case .dynoEvent:
                    let factory = try measurable()
                    let reading = try PlatformEventReading(
                        dynoLine: body, processID: line.processID, message: line.message)
                    measurements.append(factory.make(event: reading.detail, processType: reading.processType))
                case .customMetrics:
                    let factory = try measurable()
                    let processType = try ProcessType.named(body, in: line.processID)
                    let reading = try CustomMetricsReading(parsing: body, line: line)
                    skippedUniqueKeyCount += reading.skippedUniqueKeys
                    guard !reading.metrics.isEmpty else {
                        ignored.add(kind)
                        continue
                    }
                    for metric in reading.metrics {
                        measurements.append(factory.make(customMetric: metric, processType: processType))
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
            measurements: measurements,
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

    /// Builds the measurements of one line: same owner, time, receive time and origin.
    private struct MeasurementFactory {
        var owner: String
        var time: EventTime
        var receivedAt: EventTime
        var origin: DrainOrigin

        /// A measurement of a platform type, named by the type's platform metric name.
        func make(
            _ type: MeasurementType, processType: String, fields: [MeasurementField] = [], events: [String] = []
        ) -> Measurement {
            Measurement(
                type: type, owner: owner, processType: processType, metric: type.platformMetricName, time: time,
                receivedAt: receivedAt, fields: fields, events: events, origin: origin)
        }

        /// A platform event, counted under its kind.
        func make(event: PlatformEventDetail, processType: String) -> Measurement {
            Measurement(
                type: .platformEvents, owner: owner, processType: processType,
                metric: MeasurementType.platformEvents.platformMetricName, time: time, receivedAt: receivedAt,
                fields: [], events: [event.kind.rawValue], origin: origin, platformEvent: event)
        }

        /// A custom metric with its single `value` field.
        func make(customMetric metric: CustomMetricsReading.Metric, processType: String) -> Measurement {
            Measurement(
                type: .customMetrics, owner: owner, processType: processType, metric: metric.name, time: time,
                receivedAt: receivedAt, fields: [MeasurementField(name: "value", value: metric.value)], origin: origin)
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
