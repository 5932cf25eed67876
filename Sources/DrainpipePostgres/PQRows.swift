/// The rows of a query result, copied out of libpq as text (or NULL), with their column names.
package struct PQRows: Sendable, Hashable {
    package var columnNames: [String]
    package var rows: [[String?]]
    /// The row count of the command tag (`INSERT 0 5` → 5, `SELECT 3` → 3); nil for commands without one.
    package var affectedRowCount: Int?

    package init(columnNames: [String], rows: [[String?]], affectedRowCount: Int? = nil) {
        self.columnNames = columnNames
        self.rows = rows
        self.affectedRowCount = affectedRowCount
    }

    package var count: Int { rows.count }
    package var isEmpty: Bool { rows.isEmpty }

    /// The position of a column, or nil if the result has none of that name.
    package func columnIndex(named name: String) -> Int? {
        columnNames.firstIndex(of: name)
    }
}
