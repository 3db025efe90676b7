// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "distill-detect",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "distill-detect", targets: ["distill-detect"]),
        .library(name: "DistillDetect", targets: ["DistillDetect"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // The system zlib (zlib1g-dev): gzip inflate for ingest, deflate for `generate`.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // The engine: every pipeline stage, free of CLI concerns.
        .target(
            name: "DistillDetect",
            dependencies: ["CZlib"]
        ),
        // A thin shell: parses arguments and calls the engine.
        .executableTarget(
            name: "distill-detect",
            dependencies: [
                "DistillDetect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DistillDetectTests",
            dependencies: ["DistillDetect"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
