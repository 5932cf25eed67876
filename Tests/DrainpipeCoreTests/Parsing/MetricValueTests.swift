import DrainpipeCore
import Testing

@Suite("MetricValue")
struct MetricValueTests {
    static func parse(_ text: String) throws(LineRejectionReason) -> (number: Double, unit: String) {
        let bytes = Array(text.utf8)
        let value = try MetricValue(parsing: bytes, in: bytes.indices)
        return (value.number, DrainFixtures.text(bytes, value.unit))
    }

    @Test(
        "reads digits with an optional fraction and unit",
        arguments: [
            ("0.42", 0.42, ""), ("17", 17, ""), ("0", 0, ""), ("007", 7, ""), ("301.57MB", 301.57, "MB"),
            ("184022pages", 184_022, "pages"), ("412ms", 412, "ms"), ("2.05MB", 2.05, "MB"),
            ("999999999999999", 999_999_999_999_999, ""), ("0.000000000000000000001", 1e-21, ""),
            ("0.1234567890123456789", 0.1234567890123456789, ""), ("123456789.123456789", 123_456_789.123456789, ""),
        ] as [(String, Double, String)])
    func valid(_ text: String, number: Double, unit: String) throws {
        let parsed = try Self.parse(text)
        #expect(parsed.number == number)
        #expect(parsed.unit == unit)
    }

    @Test(
        "rejects signs, exponents, non-numbers and absurd magnitudes",
        arguments: [
            "", "-0.42", "+0.42", "1e3", "1E3", "1e-3", "NaN", "nan", "inf", "Infinity", ".5", "5.", "1.2.3", "1,5",
            "0x10", "12MB3", "1 2", "1000000000000000", "0.42\n203", "MB",
        ])
    func invalid(_ text: String) {
        #expect(throws: LineRejectionReason.badNumber) { try Self.parse(text) }
    }

    @Test("matches Double(String) for 20,000 seeded random decimals")
    func agreesWithStandardLibrary() throws {
        var generator = SplitMix64(seed: 0xD1_617)
        for _ in 0..<20_000 {
            let integerDigits = Int.random(in: 1...15, using: &generator)
            let fractionDigits = Int.random(in: 0...20, using: &generator)
            var text = String((0..<integerDigits).map { _ in "0123456789".randomElement(using: &generator)! })
            if fractionDigits > 0 {
                text += "." + String((0..<fractionDigits).map { _ in "0123456789".randomElement(using: &generator)! })
            }
            #expect(try Self.parse(text).number == Double(text), "\(text)")
        }
    }
}
