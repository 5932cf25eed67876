/// Numbers written the way graphite-web's Python writes them into series names and tags: `repr` (`str(2.0)` is
/// `2.0`, `str(1e16)` is `1e+16`) and `%g` (`scale(a,2)`, `1e+06`).
///
/// Digits come from Swift's shortest round-trip form, which is what Python's `repr` prints; `%g` rounds those to six
/// significant digits half to even, which can differ from C's rounding of the exact binary value only for a decimal
/// that lies exactly halfway at the seventh digit.
package enum PythonNumberFormat {
    /// Python's `repr(float)`.
    package static func repr(_ value: Double) -> String {
        if let special = special(value) { return special }
        let (negative, digits, pointPosition) = decompose(value)
        let sign = negative ? "-" : ""
        if pointPosition <= -4 || pointPosition > 16 {
            return sign + scientific(digits: digits, exponent: pointPosition - 1)
        }
        return sign + fixed(digits: digits, pointPosition: pointPosition, keepDotZero: true)
    }

    /// Python's `str(int)` for integral arguments and `repr` for the rest.
    package static func repr(_ value: Int) -> String { String(value) }

    /// Python's `'%g' % value`.
    package static func g(_ value: Double) -> String {
        if let special = special(value) { return special }
        var (negative, digits, pointPosition) = decompose(value)
        if digits.count > 6 {
            let kept = Array(digits.prefix(6))
            let rest = digits.dropFirst(6)
            var roundUp = rest.first! > 5 || (rest.first! == 5 && rest.dropFirst().contains { $0 > 0 })
            if rest.first! == 5 && !rest.dropFirst().contains(where: { $0 > 0 }) { roundUp = kept.last! % 2 == 1 }
            digits = kept
            if roundUp {
                var index = digits.count - 1
                while index >= 0 {
                    if digits[index] == 9 {
                        digits[index] = 0
                        index -= 1
                    } else {
                        digits[index] += 1
                        break
                    }
                }
                if index < 0 {
                    digits.insert(1, at: 0)
                    digits.removeLast()
                    pointPosition += 1
                }
            }
        }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }
        if digits == [0] { negative = value.sign == .minus }
        let sign = negative ? "-" : ""
        let exponent = pointPosition - 1
        if exponent < -4 || exponent >= 6 { return sign + scientific(digits: digits, exponent: exponent) }
        return sign + fixed(digits: digits, pointPosition: pointPosition, keepDotZero: false)
    }

    private static func special(_ value: Double) -> String? {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return nil
    }

    /// The sign, the significant decimal digits (no leading or trailing zeros, `[0]` for zero) and the position of
    /// the decimal point relative to the first digit (value = 0.d₁d₂… × 10^pointPosition).
    private static func decompose(_ value: Double) -> (negative: Bool, digits: [Int], pointPosition: Int) {
        let text = abs(value).description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            mantissa = text[..<e]
        }
        let integerPart = mantissa.prefix { $0 != "." }
        let fractionPart = mantissa.drop { $0 != "." }.dropFirst()
        var digits = (integerPart + fractionPart).compactMap(\.wholeNumberValue)
        var pointPosition = integerPart.count + exponent
        while digits.count > 1, digits.first == 0 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }
        if digits == [0] { pointPosition = 1 }
        return (value < 0, digits, pointPosition)
    }

    private static func scientific(digits: [Int], exponent: Int) -> String {
        var text = String(digits[0])
        if digits.count > 1 { text += "." + digits.dropFirst().map(String.init).joined() }
        let magnitude = abs(exponent)
        return text + (exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    private static func fixed(digits: [Int], pointPosition: Int, keepDotZero: Bool) -> String {
        let text = digits.map(String.init).joined()
        var integer: String
        var fraction: String
        if pointPosition <= 0 {
            integer = "0"
            fraction = String(repeating: "0", count: -pointPosition) + text
        } else if pointPosition >= digits.count {
            integer = text + String(repeating: "0", count: pointPosition - digits.count)
            fraction = ""
        } else {
            integer = String(text.prefix(pointPosition))
            fraction = String(text.dropFirst(pointPosition))
        }
        if fraction.isEmpty { return keepDotZero ? integer + ".0" : integer }
        return integer + "." + fraction
    }
}
