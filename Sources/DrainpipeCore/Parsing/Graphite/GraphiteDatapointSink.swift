/// Takes Graphite datapoints one at a time as `GraphiteLineParser` reads them, so a consumer that encodes them (the
/// ingress's raw batches) needs neither an array of points nor a `String` per path.
package protocol GraphiteDatapointSink {
    /// One clean line's datapoint, its path the bytes `bytes[path]`; `lineIndex` is the line's zero-based index in
    /// the parsed range (blank and rejected lines count).
    mutating func append(path: Range<Int>, of bytes: [UInt8], value: Double, time: EventTime, lineIndex: UInt32)
}
