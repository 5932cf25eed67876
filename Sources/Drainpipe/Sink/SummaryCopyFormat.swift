import DrainpipeCore
import DrainpipePostgres

/// How ``SummaryTableWriter`` encodes the rows of one `COPY` statement into its staging table.
///
/// Production writes ``BinaryCopyFormat``; the benchmarks compare it with the text format (`DrainpipeBaselines`).
package protocol SummaryCopyFormat: Sendable {
    /// A short name for reports, e.g. `binary`.
    var name: String { get }
    /// What follows `FROM STDIN` in the `COPY` statement, e.g. ` (FORMAT binary)`; empty for the text format.
    var optionsClause: String { get }
    /// The `COPY` data of `summaries`, all of `layout`'s type, in the layout's column order.
    /// - Throws: `.invalidValue` for a summary the table cannot hold.
    func encode(_ summaries: ArraySlice<Summary>, layout: SummaryTableLayout) throws(PostgresError) -> [UInt8]
}

/// `COPY … (FORMAT binary)` through ``CopyBinaryEncoder``: no escaping, about twice as fast to encode and for the
/// server to read as the text format.
package struct BinaryCopyFormat: SummaryCopyFormat {
    package init() {}

    package var name: String { "binary" }
    package var optionsClause: String { " (FORMAT binary)" }

    package func encode(
        _ summaries: ArraySlice<Summary>, layout: SummaryTableLayout
    ) throws(PostgresError) -> [UInt8] {
        var encoder = CopyBinaryEncoder()
        for summary in summaries {
            try layout.appendBinaryRow(of: summary, to: &encoder)
        }
        return encoder.finished
    }
}
