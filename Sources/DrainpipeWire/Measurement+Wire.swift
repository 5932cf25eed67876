// Measurement ↔ drainpipe.v1.Measurement (Sources/CWireSchema/proto/drainpipe/v1/measurement.proto).
//
// Invariants: every Drainpipe__V1__Measurement this file unpacks is freed by the `defer` right after its nil check,
// and every value is copied into Swift before that; a message being packed points only at `WireArena` memory,
// which outlives the `…__pack` call.
internal import CWireSchema
import DrainpipeCore

extension Measurement {
    /// Decodes a measurement from its `drainpipe.v1.Measurement` protobuf bytes.
    ///
    /// - Throws: `WireError` when the bytes do not parse, the type is unknown, `field_names` and `field_values`
    ///   differ in length, a string is not UTF-8, or the platform event's kind is unknown.
    package init(wireBytes: [UInt8]) throws(WireError) {
        let decoder = WireDecoder(message: "Measurement", byteCount: wireBytes.count)
        let unpacked = wireUnpack(wireBytes) { drainpipe__v1__measurement__unpack(nil, $0, $1) }
        guard let message = unpacked else { throw decoder.malformed }
        defer { drainpipe__v1__measurement__free_unpacked(message, nil) }
        try self.init(copying: message.pointee, with: decoder)
    }

    /// The `drainpipe.v1.Measurement` protobuf bytes of this measurement; fields keep their order.
    package var wireBytes: [UInt8] {
        withWireArena { arena in
            var message = Drainpipe__V1__Measurement()
            drainpipe__v1__measurement__init(&message)
            message.type = Drainpipe__V1__MeasurementType(rawValue: UInt32(bitPattern: type.wireNumber))
            message.owner = arena.cString(owner)
            message.process_type = arena.cString(processType)
            message.metric = arena.cString(metric)
            message.time_micros = time.microsecondsSinceEpoch
            message.received_micros = receivedAt.microsecondsSinceEpoch
            message.n_field_names = fields.count
            message.field_names = arena.cStrings(fields.map(\.name))
            message.n_field_values = fields.count
            message.field_values = arena.array(fields.map(\.value))
            message.n_event_names = events.count
            message.event_names = arena.cStrings(events)
            if let origin {
                message.has_origin = 1
                message.drain_id = arena.cString(origin.drainID)
                message.frame_id = arena.cString(origin.frameID)
                message.line_index = origin.lineIndex
            }
            if let platformEvent {
                message.has_platform_event = 1
                message.platform_event_kind = arena.cString(platformEvent.kind.rawValue)
                message.platform_event_dyno = arena.cString(platformEvent.dyno)
                message.platform_event_text = arena.cString(platformEvent.text)
            }
            return wirePacked(size: drainpipe__v1__measurement__get_packed_size(&message)) {
                drainpipe__v1__measurement__pack(&message, $0)
            }
        }
    }

    private init(copying message: Drainpipe__V1__Measurement, with decoder: WireDecoder) throws(WireError) {
        let names = try decoder.strings(message.field_names, count: message.n_field_names, field: "field_names")
        let values = try decoder.values(
            message.field_values, count: message.n_field_values, field: "field_values", parallelTo: names.count)
        let events = try decoder.strings(message.event_names, count: message.n_event_names, field: "event_names")
        var origin: DrainOrigin?
        if message.has_origin != 0 {
            origin = DrainOrigin(
                drainID: try decoder.string(message.drain_id, field: "drain_id"),
                frameID: try decoder.string(message.frame_id, field: "frame_id"),
                lineIndex: message.line_index)
        }
        var platformEvent: PlatformEventDetail?
        if message.has_platform_event != 0 {
            let kindName = try decoder.string(message.platform_event_kind, field: "platform_event_kind")
            guard let kind = PlatformEventKind(rawValue: kindName) else {
                throw decoder.outOfRange(field: "platform_event_kind")
            }
            platformEvent = PlatformEventDetail(
                kind: kind, dyno: try decoder.string(message.platform_event_dyno, field: "platform_event_dyno"),
                text: try decoder.string(message.platform_event_text, field: "platform_event_text"))
        }
        self.init(
            type: try decoder.measurementType(rawValue: message.type.rawValue),
            owner: try decoder.string(message.owner, field: "owner"),
            processType: try decoder.string(message.process_type, field: "process_type"),
            metric: try decoder.string(message.metric, field: "metric"),
            time: EventTime(microsecondsSinceEpoch: message.time_micros),
            receivedAt: EventTime(microsecondsSinceEpoch: message.received_micros),
            fields: zip(names, values).map { MeasurementField(name: $0, value: $1) },
            events: events,
            origin: origin,
            platformEvent: platformEvent)
    }
}
