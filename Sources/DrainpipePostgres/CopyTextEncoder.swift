/// Encodes rows in the text format of `COPY … FROM STDIN`: fields separated by tabs, rows ended by newlines,
/// NULL as `\N`.
///
/// Backslash, tab, newline and carriage return inside a value are escaped (`\\`, `\t`, `\n`, `\r`); every other
/// byte, any Unicode included, is written as is. Postgres text cannot hold NUL, so the server refuses a value that
/// contains one (SQLSTATE 22021).
package struct CopyTextEncoder: Sendable {
    /// The encoded rows so far.
    package private(set) var bytes: [UInt8] = []
    package private(set) var rowCount = 0

    package init() {}

    /// Appends one row; every row of a COPY must have the statement's column count.
    package mutating func appendRow(_ fields: [String?]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "\t")) }
            guard let field else {
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\n"))
        rowCount += 1
    }
}
