// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "incident",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "incident", targets: ["incident"]),
        .library(name: "IncidentKit", targets: ["IncidentKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // The MCP SDK's own dependencies, named here because the server's transport and the tests use their types.
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.0.0"),
    ],
    targets: [
        // Typed, non-variadic wrappers over libcurl; only IncidentKit/HTTP imports it.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // zlib, for streaming .gz logs (gzread also reads plain files as they are).
        .systemLibrary(name: "CZlib"),
        // Line editing on every prompt, over libedit (Debian's libedit-dev).
        .target(
            name: "CLineEdit",
            linkerSettings: [.linkedLibrary("edit")]
        ),
        // fork/exec with process groups: the editor in the terminal's foreground, checks killable as a group.
        .target(name: "CProcess"),
        // Turns templates/*.md into Swift source at build time, so the binary needs no resource folder.
        .executableTarget(name: "incident-embed-templates"),
        .plugin(
            name: "EmbedTemplates",
            capability: .buildTool(),
            dependencies: ["incident-embed-templates"]
        ),
        .target(
            name: "IncidentKit",
            dependencies: [
                "CCurl",
                "CZlib",
                "CLineEdit",
                "CProcess",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            // Release builds leave out the run-time exclusivity checks (each mutation of an engine's
            // property on every line of a log was one: 4% of a large analysis, perf); debug
            // builds, which the test suite runs, keep them, and the compile-time checks stay.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))],
            plugins: ["EmbedTemplates"]
        ),
        // `incident mcp`: the Model Context Protocol over stdio, translating to and from IncidentKit's workflows.
        .target(
            name: "IncidentMCP",
            dependencies: [
                "IncidentKit", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "incident",
            dependencies: [
                "IncidentKit",
                "IncidentMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A pseudo-terminal pair for the prompt tests (Glibc's module does not export posix_openpt).
        .target(name: "CPTY"),
        // A GitHub REST API on loopback with fault injection, for tests and `make demo`.
        .target(name: "FakeGitHub"),
        .executableTarget(name: "fake-github", dependencies: ["FakeGitHub"]),
        .target(name: "IncidentTestSupport", dependencies: ["IncidentKit", "CPTY", "FakeGitHub"]),
        .testTarget(
            name: "IncidentKitTests",
            dependencies: ["IncidentKit", "IncidentTestSupport", "CCurl", "FakeGitHub"]
        ),
        .testTarget(
            name: "IncidentCLITests",
            dependencies: ["IncidentKit", "IncidentTestSupport", "FakeGitHub"]
        ),
        // argv → request, in process: the commands parsed as `incident` parses them, their requests checked.
        .testTarget(
            name: "IncidentCommandTests",
            dependencies: [
                "incident", "IncidentKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "IncidentMCPTests",
            dependencies: [
                "IncidentKit", "IncidentTestSupport", "FakeGitHub", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
