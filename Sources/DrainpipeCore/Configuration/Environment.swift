/// The process environment as a plain value, so configuration is built from an injected map and never reads
/// `ProcessInfo` itself. Only `main` creates one from the real environment.
package struct Environment: Sendable {
    package var values: [String: String]

    package init(_ values: [String: String]) {
        self.values = values
    }

    package subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// Reads and parses a required variable, recording a problem when it is missing or malformed.
    package func required<Value: EnvironmentParsable>(
        _ name: String, as type: Value.Type, hint: String = "", noting problems: inout [ConfigurationError.Problem]
    ) -> Value? {
        guard let raw = self[name] else {
            problems.append(.missing(variable: name, hint: hint))
            return nil
        }
        return parse(name, raw: raw, as: type, noting: &problems)
    }

    /// Reads and parses an optional variable; nil when unset, a recorded problem when malformed.
    package func optional<Value: EnvironmentParsable>(
        _ name: String, as type: Value.Type, noting problems: inout [ConfigurationError.Problem]
    ) -> Value? {
        guard let raw = self[name] else { return nil }
        return parse(name, raw: raw, as: type, noting: &problems)
    }

    private func parse<Value: EnvironmentParsable>(
        _ name: String, raw: String, as type: Value.Type, noting problems: inout [ConfigurationError.Problem]
    ) -> Value? {
        do {
            return try Value(environmentValue: raw)
        } catch {
            problems.append(.malformed(variable: name, expected: error.expected))
            return nil
        }
    }
}

/// Why an environment value could not be parsed: what a valid value looks like.
package struct EnvironmentValueError: Error, Sendable {
    package var expected: String

    package init(expected: String) {
        self.expected = expected
    }
}

/// A type that can be read from one environment variable.
package protocol EnvironmentParsable {
    init(environmentValue: String) throws(EnvironmentValueError)
}

extension Int: EnvironmentParsable {
    package init(environmentValue: String) throws(EnvironmentValueError) {
        guard let value = Int(environmentValue) else { throw EnvironmentValueError(expected: "a whole number") }
        self = value
    }
}

extension String: EnvironmentParsable {
    package init(environmentValue: String) throws(EnvironmentValueError) {
        self = environmentValue
    }
}

extension Duration: EnvironmentParsable {
    /// Accepts a positive number with a unit, at most seven days: `250ms`, `1s`, `5m`, `2h`.
    package init(environmentValue: String) throws(EnvironmentValueError) {
        let expected = EnvironmentValueError(
            expected: "a positive duration of at most 7 days, such as 250ms, 1s, 5m or 2h")
        let digits = environmentValue.prefix(while: \.isNumber)
        guard digits.count <= 9, let amount = Int64(digits), amount > 0 else { throw expected }
        let milliseconds: Int64
        switch environmentValue.dropFirst(digits.count) {
        case "ms": milliseconds = amount
        case "s": milliseconds = amount * 1_000
        case "m": milliseconds = amount * 60_000
        case "h": milliseconds = amount * 3_600_000
        default: throw expected
        }
        guard milliseconds <= 7 * 86_400_000 else { throw expected }
        self = .milliseconds(milliseconds)
    }
}
