/// Configuration that stops a process at start-up, listing every problem at once.
package enum ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// One thing wrong with the environment or a configuration file.
    package enum Problem: Sendable, Hashable, CustomStringConvertible {
        case missing(variable: String, hint: String)
        case malformed(variable: String, expected: String)
        case invalid(variable: String, reason: String)

        package var description: String {
            switch self {
            case .missing(let variable, let hint):
                "\(variable) is not set" + (hint.isEmpty ? "." : ": \(hint)")
            case .malformed(let variable, let expected):
                "\(variable) is malformed: expected \(expected)."
            case .invalid(let variable, let reason):
                "\(variable): \(reason)"
            }
        }
    }

    case invalidEnvironment([Problem])
    case unreadableFile(path: String, reason: String)

    package var description: String {
        switch self {
        case .invalidEnvironment(let problems):
            "Configuration is invalid:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case .unreadableFile(let path, let reason):
            "Cannot read configuration file \(path): \(reason)"
        }
    }

    /// Configuration errors never fix themselves; the process must be restarted with corrected settings.
    package var isRetryable: Bool { false }
}
