/// A numeric logfmt value in l2met's grammar: `DIGITS ["." DIGITS]` followed by an optional unit of letters.
///
/// No sign, no exponent, no NaN or infinity (formats.md §5): such values are errors, never a prefix read as a number.
/// The integer part may have at most 15 significant digits; anything larger counts as an absurd magnitude.
/// The result is the correctly rounded `Double`, identical to `Double(String)` of the same digits.
package struct MetricValue: Sendable, Hashable {
    /// The value, unit not applied.
    package var number: Double
    /// The unit suffix (`MB`, `ms`, `pages`), empty when there is none.
    package var unit: Range<Int>

    /// The largest number of significant integer digits accepted.
    package static let maximumIntegerDigits = 15

    /// Parses the value in `range`.
    /// - Throws: `.badNumber` when the digits do not follow the grammar or the letters are followed by anything.
    package init(parsing bytes: [UInt8], in range: Range<Int>) throws(LineRejectionReason) {
        let end = range.upperBound
        var index = range.lowerBound
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var integerDigits = 0
        var fractionDigits = 0
        while index < end, ASCIIBytes.isDigit(bytes[index]) {
            let digit = UInt64(bytes[index] &- ASCIIBytes.zero)
            if significantDigits > 0 || digit != 0 {
                significantDigits += 1
                integerDigits += 1
            }
            if significantDigits <= 19 { mantissa = mantissa &* 10 &+ digit }
            index += 1
        }
        guard index > range.lowerBound, integerDigits <= Self.maximumIntegerDigits else { throw .badNumber }
        if index < end, bytes[index] == ASCIIBytes.dot {
            index += 1
            let fractionStart = index
            while index < end, ASCIIBytes.isDigit(bytes[index]) {
                let digit = UInt64(bytes[index] &- ASCIIBytes.zero)
                if significantDigits > 0 || digit != 0 { significantDigits += 1 }
                if significantDigits <= 19 { mantissa = mantissa &* 10 &+ digit }
                index += 1
            }
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { throw .badNumber }
        }
        let numberEnd = index
        while index < end, ASCIIBytes.isLetter(bytes[index]) { index += 1 }
        guard index == end else { throw .badNumber }

        if significantDigits <= 15, fractionDigits < Self.powersOfTen.count {
            // Both operands are exact doubles, so one IEEE division is correctly rounded (Clinger's fast path).
            number = Double(mantissa) / Self.powersOfTen[fractionDigits]
        } else if let parsed = Double(String(decoding: bytes[range.lowerBound..<numberEnd], as: UTF8.self)) {
            number = parsed
        } else {
            throw .badNumber
        }
        unit = numberEnd..<end
    }

    /// 10⁰…10²², every one exactly representable as a `Double`.
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }
}

// MARK: - Whole numbers

extension MetricValue {
    /// Parses a non-negative integer with an optional letters-only unit (`48ms`, `5121`), as router lines write them.
    ///
    /// - Returns: the number and the unit's range (empty when there is none).
    /// - Throws: `.badNumber` for an empty value, a fraction, a sign, an exponent, anything after the unit, or more
    ///   than `maximumIntegerDigits` significant digits.
    package static func integer(
        parsing bytes: [UInt8], in range: Range<Int>
    ) throws(LineRejectionReason)
        -> (number: Int64, unit: Range<Int>)
    {
        let end = range.upperBound
        var index = range.lowerBound
        var number: Int64 = 0
        var significantDigits = 0
        while index < end, ASCIIBytes.isDigit(bytes[index]) {
            let digit = Int64(bytes[index] &- ASCIIBytes.zero)
            if significantDigits > 0 || digit != 0 {
                significantDigits += 1
                guard significantDigits <= maximumIntegerDigits else { throw .badNumber }
            }
            number = number * 10 + digit
            index += 1
        }
        guard index > range.lowerBound else { throw .badNumber }
        let numberEnd = index
        while index < end, ASCIIBytes.isLetter(bytes[index]) { index += 1 }
        guard index == end else { throw .badNumber }
        return (number, numberEnd..<end)
    }
}
