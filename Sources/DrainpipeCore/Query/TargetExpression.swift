/// A parsed Graphite render target: a path expression, a function call, or a literal argument.
///
/// ``parse(_:)`` reads graphite-web 1.1's grammar: `sumSeries(app.web{1,2}.*.count)`, positional arguments before
/// keyword ones (`summarize(a.b, '1h', 'max', alignToFrom=true)`), strings in either quote kind (kept verbatim,
/// backslashes included, as graphite-web keeps them: `"\1 A"` is the four characters `\1 A`), numbers (`2`, `-1.5`,
/// `1e3`), `true`/`false`/`none`/`inf` in any case, and the pipe form `a.b|scale(2)` for `scale(a.b, 2)`.
package indirect enum TargetExpression: Sendable, Hashable, CustomStringConvertible {
    /// A path expression, possibly with wildcards; backslash escapes are already removed.
    case path(String)
    case call(FunctionCall)
    case integer(Int)
    case float(Double)
    case string(String)
    case boolean(Bool)
    case none

    /// The expression in graphite syntax: positional arguments, then keyword arguments, strings in single quotes
    /// unless they hold one.
    package var description: String {
        switch self {
        case .path(let path): path
        case .call(let call): call.description
        case .integer(let value): String(value)
        case .float(let value): value == .infinity ? "inf" : String(value)
        case .string(let text): text.contains("'") ? "\"\(text)\"" : "'\(text)'"
        case .boolean(let value): value ? "true" : "false"
        case .none: "none"
        }
    }

    /// Every path expression in the expression, depth first, in order of appearance.
    package var pathExpressions: [String] {
        switch self {
        case .path(let path): [path]
        case .call(let call):
            call.arguments.flatMap(\.pathExpressions) + call.keywordArguments.flatMap(\.value.pathExpressions)
        case .integer, .float, .string, .boolean, .none: []
        }
    }
}

/// A function call in a target: `name(positional…, keyword=value…)`.
package struct FunctionCall: Sendable, Hashable, CustomStringConvertible {
    package var name: String
    package var arguments: [TargetExpression]
    package var keywordArguments: [KeywordArgument]

    package init(name: String, arguments: [TargetExpression], keywordArguments: [KeywordArgument] = []) {
        self.name = name
        self.arguments = arguments
        self.keywordArguments = keywordArguments
    }

    package var description: String {
        let parts = arguments.map(\.description) + keywordArguments.map { "\($0.name)=\($0.value)" }
        return "\(name)(\(parts.joined(separator: ",")))"
    }
}

/// `name=value` in a call.
package struct KeywordArgument: Sendable, Hashable {
    package var name: String
    package var value: TargetExpression

    package init(name: String, value: TargetExpression) {
        self.name = name
        self.value = value
    }
}

extension TargetExpression {
    /// How deeply calls may nest: far beyond any dashboard, shallow enough that evaluation's recursion is safe.
    package static let maximumNestingDepth = 64

    /// Parses one render target. Errors are `.malformedTarget(position:)` whose message names the 0-based character
    /// (Unicode scalar) position, what was expected there and what was found.
    package static func parse(_ text: String) throws(QueryError) -> TargetExpression {
        var parser = TargetParser(text: text)
        parser.skipWhitespace()
        guard !parser.isAtEnd else { throw parser.error(expected: "a path expression or a function call") }
        let expression = try parser.parseExpression(depth: 0)
        parser.skipWhitespace()
        guard parser.isAtEnd else { throw parser.error(expected: "the end of the target or '|'") }
        return expression
    }
}

extension TargetExpression {
    /// The path expression reached from a series name like `scale(sumSeries(a.b.c),2)` by following first
    /// arguments (graphite's `_getFirstPathExpression`, which `aliasByNode` and `groupByNode` use on function
    /// names); nil when a first argument is a literal. Reads only up to that path, not the whole name.
    package static func firstPathExpression(in name: String) -> String? {
        var parser = TargetParser(text: name)
        parser.skipWhitespace()
        while parser.identifierBeforeParenthesis() != nil {
            parser.position += 1
            parser.skipWhitespace()
        }
        guard let first = parser.current, first != "'", first != "\"", parser.literalBeforeTerminator() == nil else {
            return nil
        }
        return try? parser.parsePath()
    }
}

/// A recursive-descent parser over the target's Unicode scalars.
private struct TargetParser {
    let text: String
    let scalars: [Unicode.Scalar]
    var position = 0

    init(text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
    }

    var isAtEnd: Bool { position >= scalars.count }
    var current: Unicode.Scalar? { isAtEnd ? nil : scalars[position] }

    /// Whether a character belongs in a path element: anything printable but graphite-web's `(){},.'"\|`.
    static func isPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "(", ")", "{", "}", ",", ".", "'", "\"", "\\", "|": false
        case "\u{21}"..."\u{7E}": true
        case "\u{00}"..."\u{A0}": false
        default: !scalar.properties.isWhitespace
        }
    }

    /// The whitespace graphite-web skips between tokens.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}": true
        default: false
        }
    }

    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    static func isIdentifierCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || ("0"..."9").contains(scalar)
    }

    func error(expected: String, at errorPosition: Int? = nil) -> QueryError {
        let at = errorPosition ?? position
        let found =
            at < scalars.count
            ? "'\(String(String.UnicodeScalarView(scalars[at..<min(scalars.count, at + 12)])))'" : "the end"
        return QueryError(
            .malformedTarget(position: at),
            "malformed target at character \(at) (0-based): expected \(expected), found \(found)")
    }

    mutating func skipWhitespace() {
        while let scalar = current, Self.isWhitespace(scalar) { position += 1 }
    }

    /// A call or path, then any number of `| call(…)` pipes.
    mutating func parseExpression(depth: Int) throws(QueryError) -> TargetExpression {
        guard depth < TargetExpression.maximumNestingDepth else {
            throw error(expected: "at most \(TargetExpression.maximumNestingDepth) nested calls")
        }
        var expression = try parsePrimary(depth: depth)
        while true {
            let beforePipe = position
            skipWhitespace()
            guard current == "|" else {
                position = beforePipe
                return expression
            }
            position += 1
            skipWhitespace()
            guard let name = identifierBeforeParenthesis() else { throw error(expected: "a function call after '|'") }
            var call = try parseCall(name: name, depth: depth + 1)
            call.arguments.insert(expression, at: 0)
            expression = .call(call)
        }
    }

    mutating func parsePrimary(depth: Int) throws(QueryError) -> TargetExpression {
        if let name = identifierBeforeParenthesis() {
            return .call(try parseCall(name: name, depth: depth + 1))
        }
        return .path(try parsePath())
    }

    /// The function name when an identifier, optional whitespace and `(` start here; consumes up to the `(`.
    mutating func identifierBeforeParenthesis() -> String? {
        guard let first = current, Self.isIdentifierStart(first) else { return nil }
        var end = position + 1
        while end < scalars.count, Self.isIdentifierCharacter(scalars[end]) { end += 1 }
        var afterName = end
        while afterName < scalars.count, Self.isWhitespace(scalars[afterName]) { afterName += 1 }
        guard afterName < scalars.count, scalars[afterName] == "(" else { return nil }
        let name = String(String.UnicodeScalarView(scalars[position..<end]))
        position = afterName
        return name
    }

    /// The arguments after a function name; `position` is at the `(`.
    mutating func parseCall(name: String, depth: Int) throws(QueryError) -> FunctionCall {
        position += 1
        var call = FunctionCall(name: name, arguments: [])
        skipWhitespace()
        if current == ")" {
            position += 1
            return call
        }
        while true {
            skipWhitespace()
            if let keyword = keywordBeforeEquals() {
                let value = try parseArgument(depth: depth)
                call.keywordArguments.append(KeywordArgument(name: keyword, value: value))
            } else {
                guard call.keywordArguments.isEmpty else {
                    throw error(expected: "a keyword argument (name=value): positional arguments come first")
                }
                call.arguments.append(try parseArgument(depth: depth))
            }
            skipWhitespace()
            switch current {
            case ",": position += 1
            case ")":
                position += 1
                return call
            default: throw error(expected: "',' or ')' in the arguments of \(name)")
            }
        }
    }

    /// The keyword when an identifier, optional whitespace and `=` start here; consumes up to after the `=`.
    mutating func keywordBeforeEquals() -> String? {
        guard let first = current, Self.isIdentifierStart(first) else { return nil }
        var end = position + 1
        while end < scalars.count, Self.isIdentifierCharacter(scalars[end]) { end += 1 }
        var afterName = end
        while afterName < scalars.count, Self.isWhitespace(scalars[afterName]) { afterName += 1 }
        guard afterName < scalars.count, scalars[afterName] == "=" else { return nil }
        let name = String(String.UnicodeScalarView(scalars[position..<end]))
        position = afterName + 1
        skipWhitespace()
        return name
    }

    /// A literal when one ends right before `,`, `)` or the end (as graphite-web requires of numbers), else an
    /// expression.
    mutating func parseArgument(depth: Int) throws(QueryError) -> TargetExpression {
        guard let first = current else { throw error(expected: "an argument") }
        if first == "'" || first == "\"" { return .string(try parseString(quote: first)) }
        if let literal = literalBeforeTerminator() { return literal }
        return try parseExpression(depth: depth)
    }

    mutating func literalBeforeTerminator() -> TargetExpression? {
        var end = position
        while end < scalars.count, Self.isPathCharacter(scalars[end]) || scalars[end] == "." { end += 1 }
        var afterToken = end
        while afterToken < scalars.count, Self.isWhitespace(scalars[afterToken]) { afterToken += 1 }
        guard end > position, afterToken == scalars.count || scalars[afterToken] == "," || scalars[afterToken] == ")"
        else { return nil }
        let first = scalars[position]
        let isKeywordLength = end - position <= 5
        guard first == "-" || ("0"..."9").contains(first) || isKeywordLength else { return nil }
        let token = String(String.UnicodeScalarView(scalars[position..<end]))
        let literal: TargetExpression
        switch isKeywordLength ? token.lowercased() : "" {
        case "true": literal = .boolean(true)
        case "false": literal = .boolean(false)
        case "none": literal = .none
        case "inf": literal = .float(.infinity)
        default:
            guard let number = Self.number(token) else { return nil }
            literal = number
        }
        position = end
        return literal
    }

    /// graphite-web's number forms: `-?\d+`, `-?\d+\.\d+`, either followed by `[eE]-?\d+`.
    static func number(_ token: String) -> TargetExpression? {
        var bytes = token.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        guard digits() > 0 else { return nil }
        var isInteger = true
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return nil }
            isInteger = false
        }
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return nil }
            isInteger = false
        }
        guard bytes.isEmpty else { return nil }
        if isInteger, let integer = Int(token) { return .integer(integer) }
        return Double(token).map(TargetExpression.float)
    }

    /// A quoted string's content, verbatim: a backslash keeps itself and protects the next character; a doubled
    /// quote stays in the string.
    mutating func parseString(quote: Unicode.Scalar) throws(QueryError) -> String {
        let open = position
        position += 1
        var content = String.UnicodeScalarView()
        while let scalar = current {
            switch scalar {
            case "\\" where position + 1 < scalars.count:
                content.append(scalar)
                content.append(scalars[position + 1])
                position += 2
            case quote where position + 1 < scalars.count && scalars[position + 1] == quote:
                content.append(scalar)
                content.append(scalar)
                position += 2
            case quote:
                position += 1
                return String(content)
            case "\n", "\r":
                throw error(expected: "a closing \(quote) before the end of the line", at: position)
            default:
                content.append(scalar)
                position += 1
            }
        }
        throw error(expected: "a closing \(quote) for the string opened at character \(open)")
    }

    /// Dot-separated elements, each a run of path characters, backslash escapes and `{a,b}` groups.
    mutating func parsePath() throws(QueryError) -> String {
        var path: [Unicode.Scalar] = []
        path.reserveCapacity(scalars.count - position)
        while true {
            let elementStart = path.count
            while let scalar = current {
                if scalar == "\\", position + 1 < scalars.count,
                    "(){},.'\"\\|=".unicodeScalars.contains(scalars[position + 1])
                {
                    path.append(scalars[position + 1])
                    position += 2
                } else if scalar == "{" {
                    try parseBraces(into: &path)
                } else if Self.isPathCharacter(scalar) {
                    path.append(scalar)
                    position += 1
                } else {
                    break
                }
            }
            guard path.count > elementStart else {
                throw error(expected: path.isEmpty ? "a path expression or a function call" : "a path element")
            }
            guard current == "." else { return String(String.UnicodeScalarView(path)) }
            path.append(".")
            position += 1
        }
    }

    mutating func parseBraces(into path: inout [Unicode.Scalar]) throws(QueryError) {
        let open = position
        path.append("{")
        position += 1
        var alternativeStart = position
        while let scalar = current {
            if scalar == "}" || scalar == "," {
                guard position > alternativeStart else { throw error(expected: "an alternative inside '{…}'") }
                path.append(scalar)
                position += 1
                if scalar == "}" { return }
                alternativeStart = position
            } else if Self.isPathCharacter(scalar) {
                path.append(scalar)
                position += 1
            } else {
                break
            }
        }
        throw error(expected: "'}' closing the '{' at character \(open)")
    }
}
