import DrainpipeCore
import Testing

@Suite("LogfmtScanner")
struct LogfmtScannerTests {
    static func pairs(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return LogfmtScanner(bytes, in: bytes.indices).map { pair in
            let key = DrainFixtures.text(bytes, pair.key)
            return pair.value.map { "\(key)=[\(DrainFixtures.text(bytes, $0))]" } ?? key
        }
    }

    @Test(
        "splits messages into pairs",
        arguments: [
            ("a=1 b=2", ["a=[1]", "b=[2]"]),
            ("  a=1   b  ", ["a=[1]", "b"]),
            (#"path="/x y" fwd="1.2.3.4""#, ["path=[/x y]", "fwd=[1.2.3.4]"]),
            (#"cause="say \"hi\"" next=1"#, [#"cause=[say \"hi\"]"#, "next=[1]"]),
            (#"open="unterminated"#, ["open=[unterminated]"]),
            (#"trailing="a\"#, [#"trailing=[a\]"#]),
            ("empty= x", ["empty=[]", "x"]),
            ("=v", ["=[v]"]),
            ("a=1=2", ["a=[1=2]"]),
            ("a=0.27\n203", ["a=[0.27\n203]"]),
            ("", []),
        ])
    func splits(_ text: String, expected: [String]) {
        #expect(Self.pairs(text) == expected)
    }

    @Test("scans only the given range")
    func range() {
        let bytes = Array("zz a=1 b=2 zz".utf8)
        let keys = LogfmtScanner(bytes, in: 3..<10).map { DrainFixtures.text(bytes, $0.key) }
        #expect(keys == ["a", "b"])
    }
}
