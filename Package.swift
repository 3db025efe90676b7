// swift-tools-version: 6.1
import Foundation
import PackageDescription

// ISA-L (Debian: libisal-dev) inflates gzip about twice as fast as zlib. Used when its header
// is present at build time; zlib otherwise, with identical output.
let haveISAL = FileManager.default.fileExists(atPath: "/usr/include/isa-l/igzip_lib.h")

let package = Package(
    name: "distill-detect",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "distill-detect", targets: ["distill-detect"]),
        .library(name: "DistillDetect", targets: ["DistillDetect"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // SQLite (Debian: libsqlite3-dev) for the nightly job's state.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // The system zlib (zlib1g-dev): gzip inflate for ingest, deflate for `generate`.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(
            name: "CISAL",
            path: "Sources/CISAL",
            cSettings: haveISAL ? [.define("DD_HAVE_ISAL")] : [],
            linkerSettings: haveISAL ? [.linkedLibrary("isal")] : []
        ),
        // memmem(3), which Swift's Glibc module leaves out, and a prefetch hint.
        .target(name: "CSupport", path: "Sources/CSupport"),
        // The engine: every pipeline stage, free of CLI concerns.
        .target(
            name: "DistillDetect",
            dependencies: ["CZlib", "CISAL", "CSupport", .product(name: "GRDB", package: "GRDB.swift")]
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
            dependencies: ["DistillDetect", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
