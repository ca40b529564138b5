// swift-tools-version:6.1
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "leadline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leadline", targets: ["leadline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // The one C library from the system (Debian: libpq-dev).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // The libpq layer: connections, queries, errors, pool, notifications.
        .target(name: "Postgres", dependencies: [
            "CLibPQ", "LeadCore",
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swift6),

        // A private PostgreSQL cluster (initdb + pg_ctl) for `serve` without DATABASE_URL and for tests.
        .target(name: "EmbeddedPostgres", dependencies: [
            "Postgres",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swift6),

        // The pure domain: rules, states, priorities. No SQL, no sockets.
        .target(name: "LeadCore", swiftSettings: swift6),

        // Every SQL statement the service runs, plus the migration runner.
        .executableTarget(name: "EmbedSQLTool", swiftSettings: swift6),
        .plugin(name: "EmbedSQLPlugin", capability: .buildTool(), dependencies: ["EmbedSQLTool"]),
        .target(name: "LeadStore", dependencies: [
            "Postgres", "LeadCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swift6, plugins: ["EmbedSQLPlugin"]),

        // Bulk ingest from CSV, beside the service store: leads (`leadline import`) and the
        // catalogue (`leadline catalogue import`), checked by the same rules as the verbs.
        .target(name: "BulkImport", dependencies: [
            "LeadStore", "LeadCore", "Postgres",
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: swift6),

        // Demo data (`leadline demo`, `leadline seed`): a seeded floor and its history. Not the service.
        .target(name: "LeadDemo", dependencies: ["LeadStore", "LeadCore", "Postgres"], swiftSettings: swift6),

        // The pure line protocol: framing, parsing, encoding. No NIO, no SQL.
        .target(name: "LeadProtocol", dependencies: ["LeadCore"], swiftSettings: swift6),

        // The protocol client (`leadline cli`, the benchmarks, the tests): lines out, replies in;
        // and the protocol fuzzer (`leadline bench fuzz`, the fuzz test), a client too.
        .target(name: "LeadClient", dependencies: [
            "LeadProtocol", "LeadCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: swift6),

        // The SwiftNIO server: sessions, verbs, waiting claimers, background services.
        .target(name: "LeadServer", dependencies: [
            "LeadCore", "LeadStore", "LeadProtocol", "Postgres",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swift6),

        // The floor console: a web board for team leads and a desk for agents, on Hummingbird,
        // running the protocol's own verbs in-process (no second copy of any rule).
        .target(name: "LeadConsole", dependencies: [
            "LeadServer", "LeadStore", "LeadCore", "LeadProtocol", "Postgres",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swift6),

        // `leadline bench …`: the floor load generator, the pgbench and PgQueuer baselines,
        // wake-up and idle-connection measurements, the overlap check. Not part of the tests.
        .target(name: "LeadBench", dependencies: [
            "LeadServer", "LeadClient", "LeadStore", "LeadCore", "LeadProtocol", "Postgres",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swift6),

        .executableTarget(name: "leadline", dependencies: [
            "LeadServer", "LeadClient", "LeadConsole", "LeadStore", "LeadCore", "LeadProtocol", "Postgres", "EmbeddedPostgres", "LeadBench",
            "BulkImport", "LeadDemo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swift6),

        // Test support: a throwaway PostgreSQL cluster per test process, database per test.
        .target(name: "LeadTesting", dependencies: [
            "Postgres", "EmbeddedPostgres", "LeadStore", "LeadCore",
        ], swiftSettings: swift6),

        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "LeadTesting", "EmbeddedPostgres"], swiftSettings: swift6),
        .testTarget(name: "LeadCoreTests", dependencies: ["LeadCore"], swiftSettings: swift6),
        .testTarget(name: "LeadStoreTests", dependencies: ["LeadStore", "LeadCore", "LeadTesting", "Postgres", "BulkImport"],
                    swiftSettings: swift6),
        .testTarget(name: "BulkImportTests", dependencies: ["BulkImport", "LeadDemo", "LeadStore", "LeadCore", "LeadTesting", "Postgres"],
                    swiftSettings: swift6),
        .testTarget(name: "LeadDemoTests", dependencies: ["LeadDemo", "LeadStore", "LeadTesting", "Postgres"], swiftSettings: swift6),
        .testTarget(name: "LeadProtocolTests", dependencies: ["LeadProtocol", "LeadCore"], swiftSettings: swift6),
        // The bench's pure parts: the think-time flag and the soak's decay verdict.
        .testTarget(name: "LeadBenchTests", dependencies: ["LeadBench"], swiftSettings: swift6),
        // The floor console: its login and verbs in-process, the shared feed, and the browser
        // test (headless Chromium via Selenium, Tests/LeadConsoleTests/browser).
        .testTarget(name: "LeadConsoleTests", dependencies: ["LeadConsole", "LeadServer", "LeadTesting", "LeadStore", "LeadCore",
                                                            "LeadProtocol", "Postgres",
                                                            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    exclude: ["browser"], swiftSettings: swift6),
        .testTarget(name: "LeadServerTests", dependencies: ["LeadServer", "LeadClient", "LeadTesting", "LeadStore", "LeadCore", "LeadProtocol", "Postgres", "EmbeddedPostgres"],
                    exclude: ["Fixtures"], swiftSettings: swift6),
    ]
)
