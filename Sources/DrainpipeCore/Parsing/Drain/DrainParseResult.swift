/// What one drain request body turned into: measurements, plus every frame and line that was not used, by reason.
///
/// Every frame the reader cut ends up in exactly one place: it produced measurements (`measuredLineCount`), was
/// ignored (by kind) or was rejected (by reason), so `accountedLineCount == frameCount`. Bytes that could not be framed
/// at all are counted in `frameRejections`.
package struct DrainParseResult: Sendable, Hashable {
    /// In body order: one per accepted line, except router error lines (a request and a `DYNO_ERRORS` measurement),
    /// dyno manager R-code lines (`DYNO_ERRORS` and a `PLATFORM_EVENTS` marker) and l2met lines (one per metric).
    package var measurements: [Measurement]
    /// Framed lines that produced measurements.
    package var measuredLineCount: Int
    /// Frames cut from the body, whatever became of their lines.
    package var frameCount: Int
    /// Runs of bytes that could not be framed, by reason.
    package var frameRejections: [FrameRejectionReason: Int]
    /// Framed lines rejected as a whole, by reason.
    package var lineRejections: [LineRejectionReason: Int]
    /// Framed lines Drainpipe does not measure, by kind; a custom metrics line with nothing but `unique#` keys
    /// counts under `.customMetrics`.
    package var ignoredLinesByKind: [DrainLineKind: Int]
    /// `unique#` keys skipped on app lines (Decision 5: not supported).
    package var skippedUniqueKeyCount: Int

    /// A result with the given parts; everything defaults to empty.
    package init(
        measurements: [Measurement] = [],
        frameCount: Int = 0,
        frameRejections: [FrameRejectionReason: Int] = [:],
        lineRejections: [LineRejectionReason: Int] = [:],
        ignoredLinesByKind: [DrainLineKind: Int] = [:],
        measuredLineCount: Int = 0,
        skippedUniqueKeyCount: Int = 0
    ) {
        self.measurements = measurements
        self.measuredLineCount = measuredLineCount
        self.skippedUniqueKeyCount = skippedUniqueKeyCount
        self.frameCount = frameCount
        self.frameRejections = frameRejections
        self.lineRejections = lineRejections
        self.ignoredLinesByKind = ignoredLinesByKind
    }

    /// Framed lines ignored, of every kind.
    package var ignoredLines: Int { ignoredLinesByKind.values.reduce(0, +) }
    /// Runs of unframeable bytes, for every reason.
    package var rejectedFrameCount: Int { frameRejections.values.reduce(0, +) }
    /// Framed lines rejected, for every reason.
    package var rejectedLineCount: Int { lineRejections.values.reduce(0, +) }

    /// Framed lines measured, ignored or rejected: equal to `frameCount`.
    package var accountedLineCount: Int { measuredLineCount + ignoredLines + rejectedLineCount }

    /// True when nothing in a non-empty body could be framed: the request is unusable and deserves a 400.
    package var isUnframeable: Bool { frameCount == 0 && rejectedFrameCount > 0 }

    /// A short account of what was rejected, fit for a 400 body or a log line; never quotes payload bytes.
    ///
    /// For example "2 frames rejected: 1 truncated frame, 1 bad length prefix; 1 line rejected: 1 bad number".
    package var rejectionSummary: String {
        var parts: [String] = []
        if rejectedFrameCount > 0 {
            let details = FrameRejectionReason.allCases.compactMap { reason in
                frameRejections[reason].map { Self.counted($0, reason.description, reason.pluralDescription) }
            }
            parts.append(
                Self.counted(rejectedFrameCount, "frame", "frames") + " rejected: " + details.joined(separator: ", "))
        }
        if rejectedLineCount > 0 {
            let details = LineRejectionReason.allCases.compactMap { reason in
                lineRejections[reason].map { Self.counted($0, reason.description, reason.pluralDescription) }
            }
            parts.append(
                Self.counted(rejectedLineCount, "line", "lines") + " rejected: " + details.joined(separator: ", "))
        }
        return parts.isEmpty ? "nothing rejected" : parts.joined(separator: "; ")
    }

    private static func counted(_ count: Int, _ singular: String, _ plural: String) -> String {
        "\(count) \(count == 1 ? singular : plural)"
    }
}
