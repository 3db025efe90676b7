// The core target's folders stay in layers (scripts/check-layers, docs/architecture.md).
import Foundation
import Testing

@Suite("Layers of the core")
struct LayerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs scripts/check-layers on `core`: its exit status and standard error.
    static func check(_ core: String) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repository.appendingPathComponent("scripts/check-layers").path, core]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// A copy of the core's sources to plant violations in.
    static func copyOfCore(in dir: TemporaryDirectory) throws -> String {
        let copy = dir.file("core")
        try FileManager.default.copyItem(atPath: repository.appendingPathComponent("Sources/DistillDetect").path, toPath: copy)
        return copy
    }

    @Test("no folder of the core uses a folder above it")
    func coreIsLayered() throws {
        let result = try Self.check(Self.repository.appendingPathComponent("Sources/DistillDetect").path)
        #expect(result.status == 0, "\(result.errors)")
    }

    @Test("a stage that uses a later stage fails the check, named with the type that does it")
    func upwardUseFails() throws {
        let dir = try TemporaryDirectory()
        let core = try Self.copyOfCore(in: dir)
        // Store (which Scoring does not use) reaching up to the scored clusters.
        try dir.write("core/Store/Planted.swift", text: "func planted(_ cluster: ScoredCluster) -> Double { cluster.score }\n")
        let result = try Self.check(core)
        #expect(result.status == 1)
        #expect(result.errors.contains("Store uses a folder above it, Scoring: ScoredCluster"))
    }

    @Test("two folders that use each other fail the check")
    func mutualUseFails() throws {
        let dir = try TemporaryDirectory()
        let core = try Self.copyOfCore(in: dir)
        // Decode using the account state, which uses Decode's records.
        try dir.write("core/Decode/Planted.swift", text: "func planted(_ state: AccountState) -> Int { state.exchanges }\n")
        let result = try Self.check(core)
        #expect(result.status == 1)
        #expect(result.errors.contains("Decode uses each other with Accounts: AccountState"))
    }

    @Test("a comment or string naming a later stage's type is no use")
    func commentsAndStringsAreNoUse() throws {
        let dir = try TemporaryDirectory()
        let core = try Self.copyOfCore(in: dir)
        try dir.write("core/Decode/Planted.swift", text: """
            /* AccountState, ScoredCluster */
            let plantedText = "CampaignDetection \\(1)"
            """)
        #expect(try Self.check(core).status == 0)
    }

    @Test("a folder outside the declared order fails the check")
    func undeclaredFolderFails() throws {
        let dir = try TemporaryDirectory()
        let core = try Self.copyOfCore(in: dir)
        try dir.write("core/Embedding/Planted.swift", text: "struct PlantedEmbedding {}\n")
        let result = try Self.check(core)
        #expect(result.status == 1)
        #expect(result.errors.contains("Embedding: not in the layer order"))
    }
}
