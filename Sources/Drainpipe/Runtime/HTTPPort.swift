import DrainpipeCore

/// A TCP port to listen on (`PORT`); 0 asks the system for a free one.
package struct HTTPPort: Sendable, Hashable, EnvironmentParsable, CustomStringConvertible {
    package var value: Int

    package init(_ value: Int) {
        self.value = value
    }

    package init(environmentValue: String) throws(EnvironmentValueError) {
        guard let value = Int(environmentValue), (0...65_535).contains(value) else {
            throw EnvironmentValueError(expected: "a port number between 0 and 65535")
        }
        self.value = value
    }

    package var description: String { String(value) }
}
