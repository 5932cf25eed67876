/// Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014).
///
/// Maps a 64-bit key to one of `bucketCount` buckets so that growing from n to n + 1 buckets moves only about
/// 1 / (n + 1) of the keys, all of them into the new bucket. Matches the paper's reference code (and Guava's
/// `consistentHash`) bit for bit.
package enum JumpConsistentHash {
    /// The bucket in `0..<bucketCount` for `key`; `bucketCount` must be positive.
    package static func bucket(forKey key: UInt64, bucketCount: Int) -> Int {
        precondition(bucketCount > 0, "bucketCount must be positive")
        var key = key
        var bucket: Int64 = -1
        var next: Int64 = 0
        while next < Int64(bucketCount) {
            bucket = next
            key = key &* 2_862_933_555_777_941_757 &+ 1
            next = Int64(Double(bucket + 1) * (Double(UInt64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int(bucket)
    }
}
