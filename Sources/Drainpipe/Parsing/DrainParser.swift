/// Turns one Logplex drain request body into measurements (formats.md §1 and §3).
///
/// Frames are cut by `OctetFrameReader`, headers read by `SyslogLine`, and each line classified by `DrainLineKind`.
/// Runtime load lines become `.dynoLoad` measurements; every other kind is counted as ignored. Work is done on byte
/// ranges of the body; only the values a measurement keeps (its process type) become strings.
///
/// Each framed message's zero-based position among the body's frames becomes its `DrainOrigin.lineIndex`, so a
/// retried batch yields the same origins. UTF-8 is validated only for lines that produce measurements (Decision 3);
/// ignored lines are never inspected beyond classification.
package struct DrainParser: Sendable {
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
        var frameRejections = Tally<FrameRejectionReason>()
        var lineRejections = Tally<LineRejectionReason>()
        var ignored = Tally<DrainLineKind>()
        var frameCount = 0

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
                switch kind {
                case .runtimeLoad:
                    let reading = try RuntimeLoadReading(parsing: body, line: line)
                    measurements.append(
                        Measurement(
                            type: .dynoLoad,
                            owner: owner,
                            processType: reading.processType,
                            metric: MeasurementType.dynoLoad.platformMetricName,
                            time: line.timestamp,
                            receivedAt: receivedAt,
                            fields: reading.fields,
                            origin: DrainOrigin(drainID: drainID, frameID: frameID, lineIndex: lineIndex)
                        ))
                case .router, .runtimeMemory, .runtimeError, .logplexError, .customMetrics, .appOutput, .other:
                    ignored.add(kind)
                }
            } catch {
                lineRejections.add(error)
            }
        }
        return DrainParseResult(
            measurements: measurements,
            frameCount: frameCount,
            frameRejections: frameRejections.counts,
            lineRejections: lineRejections.counts,
            ignoredLinesByKind: ignored.counts
        )
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
