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
        // The engine (bytes to scored clusters) and the synthetic generator are the library API.
        .library(name: "DistillDetect", targets: ["DistillDetect"]),
        .library(name: "DistillGenerate", targets: ["DistillGenerate"]),
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
        // The pipeline, bottom to top (docs/architecture.md). Each target uses only those above it here.
        //
        // The core: ingest → decode → features → accounts → state files → linkage → clustering →
        // scoring, one module so the hot path (ingest, decode, account fold) is specialised and
        // inlined as a whole. Free of SQLite and of report formats.
        .target(
            name: "DistillDetect",
            dependencies: ["CZlib", "CISAL", "CSupport"]
        ),
        // Outputs of a run: clusters/accounts/candidates CSV and JSON, summary.json, report.html,
        // stable cluster ids and changes, `evaluate`.
        .target(name: "DistillReport", dependencies: ["DistillDetect"]),
        // The nightly job's SQLite state (GRDB).
        .target(
            name: "DistillNightly",
            dependencies: ["DistillDetect", "DistillReport", "CZlib", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Synthetic traffic with labelled campaigns, for demos, tests and benchmarks.
        .target(name: "DistillGenerate", dependencies: ["DistillDetect", "CZlib"]),
        // The runs: check, features, analyze, detect, the state steps and nightly; each reads,
        // calls the core, and writes its outputs through DistillReport.
        .target(name: "DistillPipeline", dependencies: ["DistillDetect", "DistillReport", "DistillNightly"]),
        // A thin shell: parses arguments and calls the pipeline (and the generator).
        .executableTarget(
            name: "distill-detect",
            dependencies: [
                "DistillPipeline", "DistillDetect", "DistillReport", "DistillGenerate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DistillDetectTests",
            dependencies: [
                "DistillDetect", "DistillReport", "DistillNightly", "DistillGenerate", "DistillPipeline",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
