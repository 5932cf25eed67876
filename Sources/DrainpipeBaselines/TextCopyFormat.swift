import Drainpipe
import DrainpipeCore
import DrainpipePostgres

/// `COPY` in the text format through ``CopyTextEncoder`` (every value rendered and escaped): the format the sinks
/// used before binary `COPY`, kept as `drainpipe bench-sink`'s comparison.
package struct TextCopyFormat: SummaryCopyFormat {
    package init() {}

    package var name: String { "text" }
    package var optionsClause: String { "" }

    package func encode(
        _ summaries: ArraySlice<Summary>, layout: SummaryTableLayout
    ) throws(PostgresError) -> [UInt8] {
        var encoder = CopyTextEncoder()
        for summary in summaries {
            encoder.appendRow(try layout.textValues(of: summary))
        }
        return encoder.bytes
    }
}
