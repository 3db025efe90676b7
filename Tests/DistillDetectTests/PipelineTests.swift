// The runs of Sources/DistillPipeline: one exit-code policy, and inputs nightly cannot
// fingerprint reported rather than hashed short.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

@Suite("Pipeline runs")
struct PipelineTests {
    /// A regular file that opens but whose first read fails (EIO: address 0 is not mapped).
    static let unreadableFile = "/proc/self/mem"

    static func input(_ file: String, error: String? = nil) -> InputReport {
        InputReport(
            file: file, bytes: 0, decompressedBytes: 0, gzip: false, gzipMembers: 0, lines: 0, accepted: 0, rejected: 0,
            blankLines: 0, error: error, problem: error == nil ? nil : "unreadable", cut: nil, trailingBytesIgnored: 0, shape: nil,
            oversizedValues: 0)
    }

    @Test("one exit-code policy: no readable input, incomplete outputs, alert, in that order")
    func exitCodePolicy() {
        var unread = ScanReport()
        unread.inputs = [Self.input("a.jsonl", error: "a.jsonl: no such file")]
        #expect(RunSummary.exitCode(report: unread, maxRejectRate: 0.01) == .failure)
        // A night with no new input replays the window: no failure, and its alert holds.
        let none = ScanReport()
        #expect(RunSummary.exitCode(report: none, maxRejectRate: 0.01, inputsGiven: false) == .success)
        #expect(RunSummary.exitCode(report: none, maxRejectRate: 0.01, inputsGiven: false, alert: true) == .alert)
        var rejecting = ScanReport()
        rejecting.inputs = [Self.input("a.jsonl")]
        rejecting.accepted = 90
        rejecting.rejectedByReason = [.invalidJSON: 10]
        #expect(rejecting.readableInputs == 1)
        #expect(RunSummary.exitCode(report: rejecting, maxRejectRate: 0.01, alert: true) == .rejectRateExceeded)
        #expect(RunSummary.exitCode(report: rejecting, maxRejectRate: 0.5, alert: true) == .alert)
        #expect(RunSummary.exitCode(report: rejecting, maxRejectRate: 0.5) == .success)
    }

    @Test("a read error while fingerprinting an input is an error, never the hash of what came before it")
    func fingerprintReadErrorThrows() throws {
        guard FileManager.default.isReadableFile(atPath: Self.unreadableFile) else { return }
        #expect(FileKind.of(Self.unreadableFile, followingLinks: true) == .regular)
        #expect(throws: InputFingerprintError.self) { try InputFingerprint.contentHash(path: Self.unreadableFile) }
        // A readable file still hashes, by content.
        let dir = try TemporaryDirectory()
        let a = try dir.write("a.jsonl", text: logLine() + "\n")
        let b = try dir.write("b.jsonl", text: logLine() + "\n")
        #expect(try InputFingerprint.contentHash(path: a) == InputFingerprint.contentHash(path: b))
        #expect(try InputFingerprint.contentHash(path: a).bytes == Int64(logLine().utf8.count + 1))
    }

    @Test("nightly reports an input it cannot fingerprint, reads the others, and does not remember it")
    func nightlyReportsUnfingerprintableInput() throws {
        guard FileManager.default.isReadableFile(atPath: Self.unreadableFile) else { return }
        let dir = try TemporaryDirectory()
        let good = try dir.write("good.jsonl", text: (0..<20).map { logLine(account: "acct_\($0)") }.joined(separator: "\n") + "\n")
        var config = NightlyConfig()
        config.statePath = dir.file("state.sqlite")
        config.analyze.scan.threads = 1
        let summary = try NightlyRun.run(paths: [good, Self.unreadableFile], outputDirectory: dir.file("out"), config: config)
        #expect(summary.exitCode == RunExitCode.rejectRateExceeded.rawValue)
        #expect(summary.recordsAccepted == 20)
        let problem = summary.inputProblems.first { $0.file == Self.unreadableFile }
        #expect(problem?.message.contains("could not be read to fingerprint it at byte 0") == true, "\(summary.inputProblems)")
        // Only the good input is remembered: the next night tries the other again.
        let store = try NightlyStore(path: config.statePath, topicNames: config.analyze.taxonomy.topicNames)
        #expect(try store.inputs().values.map(\.name) == [good])
    }
}
