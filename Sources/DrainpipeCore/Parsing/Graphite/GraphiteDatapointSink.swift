/// Takes Graphite datapoints one at a time as `GraphiteLineParser` reads them, so a consumer that encodes them (the
/// ingress's raw batches) needs neither an array of points nor a `String` per path.
package protocol GraphiteDatapointSink {
    /// One clean line's datapoint. `path` points into the parsed bytes and is valid only during the call;
    /// `lineIndex` is the line's zero-based index in those bytes (blank and rejected lines count).
    mutating func append(path: UnsafeRawBufferPointer, value: Double, time: EventTime, lineIndex: UInt32)
}
