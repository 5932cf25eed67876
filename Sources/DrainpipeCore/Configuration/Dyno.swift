/// This process's dyno name from `DYNO`: a process type and a 1-based number, such as `aggregator.3`.
package struct Dyno: Sendable, Hashable, CustomStringConvertible, EnvironmentParsable {
    /// `web`, `aggregator`…: letters, digits, `_` and `-`.
    package let processType: String
    /// The 1-based dyno number.
    package let number: Int

    /// The dyno used when `DYNO` is unset (running locally).
    package static let local = Dyno(processType: "local", number: 1)

    /// A dyno name from its parts; `number` must be at least 1.
    package init(processType: String, number: Int) {
        precondition(number >= 1, "dyno numbers start at 1")
        self.processType = processType
        self.number = number
    }

    /// Parses `<process type>.<number>`: one dot, a number of at least 1 without leading zeros.
    package init(environmentValue: String) throws(EnvironmentValueError) {
        let expected = EnvironmentValueError(
            expected: "a dyno name such as aggregator.3 (process type, dot, number ≥ 1)")
        let parts = environmentValue.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2, let type = parts.first, let digits = parts.last, !type.isEmpty,
            type.allSatisfy(ASCIIBytes.isProcessTypeByte), !digits.isEmpty, digits.count <= 9,
            digits.first != UInt8(ascii: "0"), digits.allSatisfy(ASCIIBytes.isDigit)
        else { throw expected }
        self.init(
            processType: String(decoding: type, as: UTF8.self),
            number: digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
    }

    /// The zero-based worker index: `number - 1`.
    package var index: Int { number - 1 }

    /// `aggregator.3`, as `DYNO` spells it.
    package var description: String { "\(processType).\(number)" }
}
