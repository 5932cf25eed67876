import DrainpipeCore
import Testing

@Suite("Murmur2Partitioner")
struct Murmur2PartitionerTests {
    @Test(
        "hashes exactly like Kafka's Utils.murmur2",
        arguments: [
            // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971), ("abc", 479_470_107),
            // Akka's Murmur2Spec, computed with Kafka's implementation; adds the one-byte tail.
            ("1", -1_993_445_489), ("12", 126_087_238), ("123", -267_702_483), ("1234", -1_614_185_708),
            ("12345", -1_188_365_604),
        ] as [(String, Int32)])
    func kafkaVectors(_ key: String, expected: Int32) {
        #expect(Murmur2Partitioner.murmur2(Array(key.utf8)) == expected)
        #expect(Murmur2Partitioner.murmur2(key.utf8) == expected)
    }

    @Test("clears only the sign bit in toPositive")
    func toPositive() {
        #expect(Murmur2Partitioner.toPositive(-790_332_482) == 1_357_151_166)
        #expect(Murmur2Partitioner.toPositive(Int32.min) == 0)
        #expect(Murmur2Partitioner.toPositive(-1) == Int32.max)
        #expect(Murmur2Partitioner.toPositive(479_470_107) == 479_470_107)
    }

    @Test("picks toPositive(murmur2(key)) % partitionCount")
    func partitions() {
        #expect(Murmur2Partitioner.partition(forKey: Array("foobar".utf8), partitionCount: 32) == 30)
        #expect(Murmur2Partitioner.partition(forKey: "21".utf8, partitionCount: 32) == 12)
        #expect(Murmur2Partitioner.partition(forKey: Array("abc".utf8), partitionCount: 32) == 27)
        #expect(Murmur2Partitioner.partition(forKey: Array("abc".utf8), partitionCount: 1) == 0)
        #expect(
            Murmur2Partitioner.partition(forKey: [], partitionCount: 7)
                == Murmur2Partitioner.toPositive(Murmur2Partitioner.murmur2([])) % 7)
    }

    @Test("hashes a measurement's partition key as its UTF-8 bytes")
    func measurementKey() {
        let key = SeriesKey.partitionKey(owner: "5c1d2e3f-0000-4a52-9b1e-2f6a8d3c4e71", processType: "web")
        let partition = Murmur2Partitioner.partition(forKey: key.utf8, partitionCount: 32)
        #expect(partition == Murmur2Partitioner.partition(forKey: Array(key.utf8), partitionCount: 32))
        #expect((0..<32).contains(partition))
    }
}
