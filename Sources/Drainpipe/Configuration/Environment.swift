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
    /// Accepts a number with a unit: `250ms`, `1s`, `5m`.
    package init(environmentValue: String) throws(EnvironmentValueError) {
        let expected = EnvironmentValueError(expected: "a positive duration such as 250ms, 1s or 5m")
        let digits = environmentValue.prefix(while: \.isNumber)
        guard let amount = Int64(digits), amount > 0 else { throw expected }
        switch environmentValue.dropFirst(digits.count) {
        case "ms": self = .milliseconds(amount)
        case "s": self = .seconds(amount)
        case "m": self = .seconds(amount * 60)
        case "h": self = .seconds(amount * 3600)
        default: throw expected
        }
    }
}
