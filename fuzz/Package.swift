// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets over IncidentKit; build and run them with `make fuzz` (see README.md).
// Each target's main calls LLVMFuzzerRunDriver, so libFuzzer's own main is not linked and SwiftPM's
// handling of executable entry points (and of the build tool the root package uses) is left alone.
let targets = ["frontmatter", "yaml-roundtrip", "template", "analyzer"]

let package = Package(
    name: "incident-fuzz",
    dependencies: [
        .package(name: "incident", path: ".."),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // The declaration of libFuzzer's entry point; the library itself is linked by `make fuzz`.
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CLibFuzzer", .product(name: "IncidentKit", package: "incident"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
    ]
        + targets.map { name in
            .executableTarget(
                name: name,
                dependencies: [
                    "FuzzSupport", .product(name: "IncidentKit", package: "incident"),
                    .product(name: "OrderedCollections", package: "swift-collections"),
                ]
            )
        },
    swiftLanguageModes: [.v6]
)
