/// Python's `re.sub(pattern, template, text)` for `aliasSub`: every match replaced by the template, where `\1`…`\99`
/// and `\g<1>`/`\g<name>` insert a group (empty when it did not take part), `\n`, `\t`, `\r`, `\f`, `\v`, `\a`, `\b`
/// and `\\` are escapes, and any other backslash stays as written.
///
/// The pattern is compiled by the standard library's `Regex` (whose syntax covers Python's for the patterns
/// dashboards use). Grafana's wrapper `(^.*$)`, on every target it sends, is answered without the regex engine.
struct RegexSubstitution {
    private enum TemplatePart {
        case literal(String)
        case group(Int)
        case namedGroup(String)
    }

    private let regex: Regex<AnyRegexOutput>
    private let template: [TemplatePart]
    /// Whether the pattern matches a whole line as group 1 (`(^.*$)`, `^(.*)$`).
    private let matchesWholeLine: Bool

    init(pattern: String, template: String) throws(QueryError) {
        do {
            regex = try Regex(pattern)
        } catch {
            throw QueryError(.invalidCall(function: "aliasSub"), "aliasSub: invalid regular expression '\(pattern)'")
        }
        matchesWholeLine = pattern == "(^.*$)" || pattern == "^(.*)$"
        self.template = try Self.parse(template)
    }

    func apply(to text: String) throws(QueryError) -> String {
        if matchesWholeLine, !text.contains(where: \.isNewline) {
            return expand {
                $0 <= 1 ? Substring(text) : nil
            } named: { _ in
                nil
            }
        }
        var result = ""
        var position = text.startIndex
        for match in text.matches(of: regex) {
            result += text[position..<match.range.lowerBound]
            let output = match.output
            result += expand { index in
                index < output.count ? output[index].substring : nil
            } named: { name in
                output[name]?.substring
            }
            position = match.range.upperBound
        }
        result += text[position...]
        return result
    }

    private func expand(_ group: (Int) -> Substring?, named: (String) -> Substring?) -> String {
        var result = ""
        for part in template {
            switch part {
            case .literal(let text): result += text
            case .group(let index): result += group(index) ?? ""
            case .namedGroup(let name): result += named(name) ?? ""
            }
        }
        return result
    }

    private static func parse(_ template: String) throws(QueryError) -> [TemplatePart] {
        var parts: [TemplatePart] = []
        var literal = ""
        let characters = Array(template)
        var index = 0
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
        }
        while index < characters.count {
            let character = characters[index]
            guard character == "\\", index + 1 < characters.count else {
                literal.append(character)
                index += 1
                continue
            }
            let next = characters[index + 1]
            index += 2
            if let digit = next.wholeNumberValue, next.isASCII, digit > 0 {
                var number = digit
                if index < characters.count, characters[index].isASCII, let second = characters[index].wholeNumberValue
                {
                    number = number * 10 + second
                    index += 1
                }
                flush()
                parts.append(.group(number))
                continue
            }
            switch next {
            case "g":
                guard index < characters.count, characters[index] == "<",
                    let close = characters[index...].firstIndex(of: ">")
                else {
                    throw QueryError(
                        .invalidCall(function: "aliasSub"), "aliasSub: missing group name after \\g in '\(template)'")
                }
                let name = String(characters[(index + 1)..<close])
                index = close + 1
                flush()
                if let number = Int(name) { parts.append(.group(number)) } else { parts.append(.namedGroup(name)) }
            case "n": literal.append("\n")
            case "t": literal.append("\t")
            case "r": literal.append("\r")
            case "f": literal.append("\u{0C}")
            case "v": literal.append("\u{0B}")
            case "a": literal.append("\u{07}")
            case "b": literal.append("\u{08}")
            case "\\": literal.append("\\")
            default:
                literal.append("\\")
                literal.append(next)
            }
        }
        flush()
        return parts
    }
}
