/// Where each known field of a measurement type is accumulated: a position in a fixed array instead of a key in a
/// dictionary, and which of those fields also feed a quantile sketch.
struct FieldLayout: Sendable {
    /// The type's summary fields (`MeasurementType.summaryFieldNames`), in column order.
    let names: [String]
    /// For each position of `names`, the position of its sketch in `sketchedNames`, or nil.
    let sketchPositions: [Int?]
    /// The fields with a sketch, in the order of `names`.
    let sketchedNames: [String]

    init(type: MeasurementType) {
        let names = type.summaryFieldNames
        let sketched = Set(type.sketchedFieldNames)
        let sketchedNames = names.filter(sketched.contains)
        self.names = names
        self.sketchedNames = sketchedNames
        sketchPositions = names.map { sketchedNames.firstIndex(of: $0) }
    }

    /// The position of `name`, trying `hint` (the field's position in its measurement) first; nil when the type has
    /// no column for it.
    func position(of name: String, hint: Int) -> Int? {
        if hint < names.count, names[hint] == name { return hint }
        return names.firstIndex(of: name)
    }
}

/// The layouts of every measurement type, built once per aggregator.
struct FieldLayouts: Sendable {
    private let layouts: [FieldLayout] = [
        MeasurementType.routerRequests, .dynoLoad, .dynoMemory, .dynoErrors, .customMetrics, .platformEvents,
    ]
    .map(FieldLayout.init(type:))

    subscript(type: MeasurementType) -> FieldLayout {
        switch type {
        case .routerRequests: layouts[0]
        case .dynoLoad: layouts[1]
        case .dynoMemory: layouts[2]
        case .dynoErrors: layouts[3]
        case .customMetrics: layouts[4]
        case .platformEvents: layouts[5]
        }
    }
}

extension MeasurementType {
    /// The fields whose distribution a summary keeps as a `QuantileSketch`: router service and connect times.
    package var sketchedFieldNames: [String] {
        switch self {
        case .routerRequests: ["connect_ms", "service_ms"]
        case .dynoLoad, .dynoMemory, .dynoErrors, .customMetrics, .platformEvents: []
        }
    }
}
