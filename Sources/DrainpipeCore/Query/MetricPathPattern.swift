/// A Graphite path pattern: dot-separated segments, each matching exactly one segment of a metric path.
///
/// Within a segment, as graphite-web's finders match (`fnmatch` after brace expansion): `*` is any run of
/// characters (none too), `?` one character, `[a-z0-9]` one character of a class (`[!…]` negates it, a `]` right
/// after the `[` or `[!` is a member, `^` is an ordinary member), `{a,b}` any of the alternatives (nestable, and an
/// alternative may be empty or hold wildcards), all freely mixed (`web{1,2}*`). Characters are Unicode scalars;
/// matching is case-sensitive. No wildcard ever crosses a dot.
package struct MetricPathPattern: Sendable, Hashable, CustomStringConvertible {
    /// The most variants one segment's braces may expand to: far beyond hand-written patterns, small enough that
    /// matching stays cheap.
    package static let maximumVariantsPerSegment = 1024

    /// The pattern as written.
    package let text: String
    /// One entry per dot-separated segment.
    package let segments: [Segment]

    /// Parses a pattern; throws `.malformedPattern` for an empty pattern or segment, an unbalanced `{`/`}`, an
    /// unclosed `[`, or braces expanding to more than `maximumVariantsPerSegment` variants.
    package init(_ text: String) throws(QueryError) {
        guard !text.isEmpty else { throw QueryError(.malformedPattern, "empty path pattern") }
        self.text = text
        var segments: [Segment] = []
        var offset = 0
        for piece in text.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false) {
            segments.append(try Segment(Array(piece), offset: offset, pattern: text))
            offset += piece.count + 1
        }
        self.segments = segments
    }

    package var description: String { text }

    /// Whether no segment has a wildcard, so the pattern names exactly one path (its text).
    package var isLiteral: Bool { segments.allSatisfy(\.isLiteral) }

    /// How many leading segments are literal: a store can narrow its lookup to paths starting with them.
    package var literalPrefixCount: Int { segments.firstIndex { !$0.isLiteral } ?? segments.count }

    /// Whether a dotted metric path matches every segment.
    package func matches(_ path: String) -> Bool {
        var remaining = segments[...]
        for name in path.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false) {
            guard let segment = remaining.popFirst(), segment.matches(scalars: name) else { return false }
        }
        return remaining.isEmpty
    }

    /// Whether a path given as its segments matches, one pattern segment per path segment.
    package func matches(segments names: some Collection<some StringProtocol>) -> Bool {
        guard names.count == segments.count else { return false }
        return zip(segments, names).allSatisfy { $0.matches($1) }
    }

    /// One segment of a pattern, compiled to the brace-free globs it expands to.
    package struct Segment: Sendable, Hashable, CustomStringConvertible {
        /// The segment as written.
        package let text: String
        /// Whether it has no wildcard at all (no `*`, `?`, `[`, `{`).
        package let isLiteral: Bool
        /// The brace expansion: the segment matches a name when any variant does.
        private let variants: [[Glob]]

        fileprivate init(_ scalars: [Unicode.Scalar], offset: Int, pattern: String) throws(QueryError) {
            text = String(String.UnicodeScalarView(scalars))
            guard !scalars.isEmpty else {
                throw QueryError(.malformedPattern, "empty segment at character \(offset) of path pattern '\(pattern)'")
            }
            var parser = SegmentParser(scalars: scalars, offset: offset, pattern: pattern)
            let items = try parser.parseSequence(insideBraces: false)
            isLiteral = items.allSatisfy {
                if case .glob(.scalar) = $0 { true } else { false }
            }
            variants = try Self.expand(items, offset: offset, pattern: pattern)
        }

        package var description: String { text }

        /// Whether one segment of a metric path (no dots) matches.
        package func matches(_ name: some StringProtocol) -> Bool {
            matches(scalars: Array(name.unicodeScalars))
        }

        fileprivate func matches(scalars name: some Collection<Unicode.Scalar>) -> Bool {
            let name = Array(name)
            return variants.contains { Self.glob($0, matches: name) }
        }

        /// The variants of a sequence: the cartesian product of its groups' alternatives.
        private static func expand(_ items: [SegmentItem], offset: Int, pattern: String) throws(QueryError) -> [[Glob]]
        {
            var variants: [[Glob]] = [[]]
            for item in items {
                switch item {
                case .glob(let glob):
                    for index in variants.indices { variants[index].append(glob) }
                case .alternatives(let alternatives):
                    var expandedAlternatives: [[Glob]] = []
                    for alternative in alternatives {
                        expandedAlternatives += try expand(alternative, offset: offset, pattern: pattern)
                    }
                    guard variants.count * expandedAlternatives.count <= maximumVariantsPerSegment else {
                        throw QueryError(
                            .malformedPattern,
                            "the braces of the segment at character \(offset) of path pattern '\(pattern)' expand to "
                                + "more than \(maximumVariantsPerSegment) alternatives")
                    }
                    variants = variants.flatMap { prefix in expandedAlternatives.map { prefix + $0 } }
                }
            }
            return variants
        }

        /// Glob matching with backtracking to the latest `*` only: O(pattern × name) at worst.
        private static func glob(_ pattern: [Glob], matches name: [Unicode.Scalar]) -> Bool {
            var patternIndex = 0
            var nameIndex = 0
            var starPatternIndex = -1
            var starNameIndex = 0
            while nameIndex < name.count {
                if patternIndex < pattern.count {
                    switch pattern[patternIndex] {
                    case .anyRun:
                        starPatternIndex = patternIndex
                        starNameIndex = nameIndex
                        patternIndex += 1
                        continue
                    case let single where single.matchesOne(name[nameIndex]):
                        patternIndex += 1
                        nameIndex += 1
                        continue
                    default:
                        break
                    }
                }
                guard starPatternIndex >= 0 else { return false }
                starNameIndex += 1
                nameIndex = starNameIndex
                patternIndex = starPatternIndex + 1
            }
            while patternIndex < pattern.count, case .anyRun = pattern[patternIndex] { patternIndex += 1 }
            return patternIndex == pattern.count
        }
    }
}

/// One brace-free matching element.
private enum Glob: Sendable, Hashable {
    case scalar(Unicode.Scalar)
    case anyOne
    case anyRun
    case characterClass(members: [ClosedRange<Unicode.Scalar>], negated: Bool)

    func matchesOne(_ character: Unicode.Scalar) -> Bool {
        switch self {
        case .scalar(let expected): character == expected
        case .anyOne: true
        case .anyRun: false
        case .characterClass(let members, let negated): members.contains { $0.contains(character) } != negated
        }
    }
}

private enum SegmentItem {
    case glob(Glob)
    case alternatives([[SegmentItem]])
}

/// A recursive-descent parser of one segment's text into globs and brace groups.
private struct SegmentParser {
    let scalars: [Unicode.Scalar]
    let offset: Int
    let pattern: String
    var position = 0

    init(scalars: [Unicode.Scalar], offset: Int, pattern: String) {
        self.scalars = scalars
        self.offset = offset
        self.pattern = pattern
    }

    func error(_ reason: String, at index: Int) -> QueryError {
        QueryError(.malformedPattern, "\(reason) at character \(offset + index) of path pattern '\(pattern)'")
    }

    /// Parses up to the end (top level) or up to an unconsumed `,` or `}` (inside braces).
    mutating func parseSequence(insideBraces: Bool) throws(QueryError) -> [SegmentItem] {
        var items: [SegmentItem] = []
        while position < scalars.count {
            let scalar = scalars[position]
            switch scalar {
            case "*":
                items.append(.glob(.anyRun))
                position += 1
            case "?":
                items.append(.glob(.anyOne))
                position += 1
            case "[":
                items.append(.glob(try parseCharacterClass()))
            case "{":
                items.append(try parseAlternatives())
            case "}" where insideBraces, "," where insideBraces:
                return items
            case "}":
                throw error("'}' without a matching '{'", at: position)
            default:
                items.append(.glob(.scalar(scalar)))
                position += 1
            }
        }
        return items
    }

    mutating func parseAlternatives() throws(QueryError) -> SegmentItem {
        let open = position
        position += 1
        var alternatives: [[SegmentItem]] = []
        while true {
            alternatives.append(try parseSequence(insideBraces: true))
            guard position < scalars.count else { throw error("'{' without a matching '}'", at: open) }
            position += 1
            if scalars[position - 1] == "}" { return .alternatives(alternatives) }
        }
    }

    mutating func parseCharacterClass() throws(QueryError) -> Glob {
        let open = position
        position += 1
        var negated = false
        if position < scalars.count, scalars[position] == "!" {
            negated = true
            position += 1
        }
        var members: [ClosedRange<Unicode.Scalar>] = []
        var first = true
        while position < scalars.count {
            let scalar = scalars[position]
            if scalar == "]" && !first {
                position += 1
                return .characterClass(members: members, negated: negated)
            }
            first = false
            if position + 2 < scalars.count, scalars[position + 1] == "-", scalars[position + 2] != "]" {
                let upper = scalars[position + 2]
                guard scalar <= upper else {
                    throw error("descending range '\(scalar)-\(upper)' in '['", at: position)
                }
                members.append(scalar...upper)
                position += 3
            } else {
                members.append(scalar...scalar)
                position += 1
            }
        }
        throw error("'[' without a matching ']'", at: open)
    }
}
