/// JSON string literals for JSON written by hand (the render API's output, the function catalog, the counts and
/// events columns), where building through an encoder would cost more or lose the key order.
package enum JSONStringLiteral {
    /// `text` in quotes: `"`, `\` and control characters escaped (`\n`, `\r`, `\t`, otherwise `\u00xx`), every
    /// other character verbatim.
    package static func quoted(_ text: String) -> String {
        var literal = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": literal += "\\\""
            case "\\": literal += "\\\\"
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                literal += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: literal.unicodeScalars.append(scalar)
            }
        }
        return literal + "\""
    }
}
