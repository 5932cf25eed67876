/// What a run of Graphite plaintext lines turned into: the datapoints, and every dropped line by reason.
package struct GraphiteParseResult: Sendable, Hashable {
    /// One accepted datapoint of a Graphite line.
    package struct Point: Sendable, Hashable {
        /// The full metric path, e.g. `prod.us-east.checkout.app.ip-10-0-3-17.http.requests.count`.
        package var path: String
        package var value: Double
        /// The line's timestamp (whole seconds), or the receive time for Carbon's `-1`.
        package var time: EventTime
        /// Zero-based index of the line in the parsed bytes (blank and rejected lines count), so a retried batch
        /// gives every datapoint the same index again.
        package var lineIndex: UInt32

        package init(path: String, value: Double, time: EventTime, lineIndex: UInt32 = 0) {
            self.path = path
            self.value = value
            self.time = time
            self.lineIndex = lineIndex
        }
    }

    /// Accepted datapoints, in line order.
    package var points: [Point]
    /// Dropped lines, by reason.
    package var rejections: [GraphiteLineRejectionReason: Int]

    package init(points: [Point] = [], rejections: [GraphiteLineRejectionReason: Int] = [:]) {
        self.points = points
        self.rejections = rejections
    }

    /// Dropped lines, for every reason.
    package var rejectedLineCount: Int { rejections.values.reduce(0, +) }

    /// A short account of what was dropped, e.g. "2 lines rejected: 1 bad value, 1 line too long"; never quotes
    /// the lines themselves.
    package var rejectionSummary: String {
        guard rejectedLineCount > 0 else { return "nothing rejected" }
        let details = GraphiteLineRejectionReason.allCases.compactMap { reason in
            rejections[reason].map { "\($0) \(reason)" }
        }
        return "\(rejectedLineCount) line\(rejectedLineCount == 1 ? "" : "s") rejected: "
            + details.joined(separator: ", ")
    }
}
