// swift-tools-version: 6.1
import PackageDescription

let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let mainDependencies: [Target.Dependency] = [
    "Drainpipe", "DrainpipeCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
]

let package = Package(
    name: "drainpipe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ingress", targets: ["IngressMain"]),
        .executable(name: "aggregator", targets: ["AggregatorMain"]),
        .executable(name: "postgres-sink", targets: ["PostgresSinkMain"]),
        .executable(name: "retry-sink", targets: ["RetrySinkMain"]),
        .executable(name: "influx-sink", targets: ["InfluxSinkMain"]),
        .executable(name: "drainpipe", targets: ["DrainpipeTool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CWireSchema", dependencies: ["CProtobufC"], exclude: ["proto"]),

        // The pure core: time, the domain model, parsers, the aggregation state machine, routing, tenants.
        // No C library and no package dependency, so its tests link none.
        .target(name: "DrainpipeCore", swiftSettings: upcomingFeatures),

        // One adapter per C library, each the only importer of its C target.
        .target(
            name: "DrainpipeWire", dependencies: ["DrainpipeCore", "CWireSchema"], swiftSettings: upcomingFeatures),
        .target(
            name: "DrainpipeKafka",
            dependencies: ["DrainpipeCore", "CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcomingFeatures
        ),
        .target(
            name: "DrainpipePostgres",
            dependencies: ["DrainpipeCore", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcomingFeatures
        ),
        .target(name: "DrainpipeZlib", dependencies: ["CZlib"], swiftSettings: upcomingFeatures),

        // The services, one folder per pipeline stage (Ingress, Aggregator, Sink, ReadAPI) and the Runtime they share.
        .target(
            name: "Drainpipe",
            dependencies: [
                "DrainpipeCore", "DrainpipeWire", "DrainpipeKafka", "DrainpipePostgres", "DrainpipeZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
                // The ingress's guarded HTTP/1 child channel (deadlines and the connection cap).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The influx-sink's HTTP client (already built for Hummingbird).
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The dashboard's page, style sheet and script, served by the web process at `/`.
            resources: [.copy("ReadAPI/Dashboard")],
            swiftSettings: upcomingFeatures
        ),

        // The slower paths the benchmarks measure the production ones against; no service links them.
        .target(
            name: "DrainpipeBaselines",
            dependencies: ["Drainpipe", "DrainpipeCore", "DrainpipeKafka", "DrainpipePostgres"],
            swiftSettings: upcomingFeatures
        ),

        // Load and benchmark generators for the tool and the tests.
        .target(name: "DrainpipeWorkloads", dependencies: ["DrainpipeCore"], swiftSettings: upcomingFeatures),

        .target(
            name: "DrainpipeTestSupport",
            dependencies: [
                "Drainpipe", "DrainpipeCore", "DrainpipeKafka", "DrainpipePostgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .executableTarget(name: "IngressMain", dependencies: mainDependencies, swiftSettings: upcomingFeatures),
        .executableTarget(name: "AggregatorMain", dependencies: mainDependencies, swiftSettings: upcomingFeatures),
        .executableTarget(name: "PostgresSinkMain", dependencies: mainDependencies, swiftSettings: upcomingFeatures),
        .executableTarget(name: "RetrySinkMain", dependencies: mainDependencies, swiftSettings: upcomingFeatures),
        .executableTarget(name: "InfluxSinkMain", dependencies: mainDependencies, swiftSettings: upcomingFeatures),
        .executableTarget(
            name: "DrainpipeTool",
            dependencies: mainDependencies + [
                "DrainpipeWire", "DrainpipeKafka", "DrainpipePostgres", "DrainpipeWorkloads", "DrainpipeBaselines",
            ],
            swiftSettings: upcomingFeatures
        ),

        // Tests mirror the modules.
        .testTarget(
            name: "DrainpipeCoreTests", dependencies: ["DrainpipeCore", "DrainpipeWorkloads"],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "DrainpipeWireTests", dependencies: ["DrainpipeCore", "DrainpipeWire"],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "DrainpipeKafkaTests",
            dependencies: ["DrainpipeCore", "DrainpipeKafka", "DrainpipeTestSupport"],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "DrainpipePostgresTests", dependencies: ["DrainpipeCore", "DrainpipePostgres"],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "DrainpipeTests",
            dependencies: [
                "Drainpipe", "DrainpipeCore", "DrainpipeWire", "DrainpipeKafka", "DrainpipePostgres", "DrainpipeZlib",
                "DrainpipeWorkloads",
                "DrainpipeTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                // The influx-sink HTTP client's misbehaving test server.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Drainpipe", "DrainpipeCore", "DrainpipeWire", "DrainpipeKafka", "DrainpipePostgres",
                "DrainpipeWorkloads",
                "DrainpipeTestSupport", "DrainpipeBaselines",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: upcomingFeatures
        ),
    ],
    swiftLanguageModes: [.v6]
)
