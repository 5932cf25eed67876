import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("Aggregator commit metadata")
struct CommitMetadataTests {
    @Test("the marker and the worker claim share the metadata and read back independently")
    func markerAndClaim() throws {
        let marker = CommitMarker(
            finalBefore: EventTime(microsecondsSinceEpoch: 1_700_000_040_000_000),
            watermark: EventTime(microsecondsSinceEpoch: -5))
        let claim = AggregatorWorkerClaim(epoch: 7, instance: "00ff00ff00ff00ff")
        let metadata = "\(marker.metadata) \(claim.metadataWord)"
        #expect(CommitMarker(metadata: metadata) == marker)
        #expect(AggregatorWorkerClaim(metadata: metadata) == claim)
        #expect(AggregatorWorkerClaim(metadata: marker.metadata) == nil)
        #expect(metadata.utf8.count < 120)
    }

    @Test(
        "foreign or broken metadata reads as no marker and no claim",
        arguments: ["", "v2 x", "claim=", "claim=x.y", "claim=3.", "v1 final_before=1"])
    func foreign(metadata: String) {
        #expect(CommitMarker(metadata: metadata) == nil)
        #expect(AggregatorWorkerClaim(metadata: metadata) == nil)
    }

    @Test(
        """
        a new claim outranks every committed one; only a newer claim, \
        or a rival of the same epoch with a larger name, supersedes
        """
    )
    func ordering() {
        let committed = [
            "v1 final_before=0 watermark=0 claim=4.aaaa", "v1 final_before=0 watermark=0 claim=9.bbbb", "garbage",
        ]
        let claim = AggregatorWorkerClaim(following: committed)
        #expect(claim.epoch == 10)
        #expect(claim.instance.count == 16)
        #expect(!claim.isSuperseded(by: claim))
        #expect(!claim.isSuperseded(by: AggregatorWorkerClaim(epoch: 9, instance: "bbbb")))
        #expect(claim.isSuperseded(by: AggregatorWorkerClaim(epoch: 11, instance: "cccc")))
        // Two starts that took the same epoch: the larger instance name wins, so exactly one of them stays.
        let rivals = (
            AggregatorWorkerClaim(epoch: 10, instance: "00000000000000aa"),
            AggregatorWorkerClaim(epoch: 10, instance: "00000000000000bb")
        )
        #expect(rivals.0.isSuperseded(by: rivals.1) && !rivals.1.isSuperseded(by: rivals.0))
        #expect(AggregatorWorkerClaim(following: []).epoch == 1)
    }
}
