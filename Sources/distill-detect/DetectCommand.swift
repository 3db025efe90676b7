import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run linkage, clustering and scoring on saved account state and write the outputs of analyze.",
        discussion: """
            Reads state files (`state build`, `state merge`, `features --save-state`) or \
            directories of *.ddstate files, merges them as `state merge` does (every partition \
            must be there, each holding the same input splits; per-day state has its days \
            merged) and writes clusters.csv, accounts.csv, candidates.csv, summary.json and \
            report.html as `analyze` does: clusters.csv and accounts.csv are byte-identical to \
            those of `analyze` on the same records. In summary.json the record counts, rejects, \
            times, field counts and the content-signal decision come from the scan tally in the \
            state; these fields are this run's or the splits' own: command, inputs (one per input \
            as each split read it, sorted by name; `-` for standard input), bytes_read, \
            decompressed_bytes, rejected_samples (file and line as each split saw them), \
            skipped_files, options, seconds, stage_seconds, decompressed_mb_per_second. With \
            --candidates, the candidate pairs come from the files (keys grouped elsewhere, as the \
            Spark job does) and are verified here; the outputs are the same. Exit codes as for \
            analyze.
            """
    )

    @Argument(help: "State files or directories of them.")
    var paths: [String] = []

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("max-reject-rate"), help: "Rejected-line share (from the scan tally) above which the exit code is 2.")
    var maxRejectRate: Double = 0.01

    @Option(name: .customLong("candidates"), help: "Candidate pair file from `state pairs` (repeatable): its pairs replace candidate generation from the accounts' linkage keys here.")
    var candidates: [String] = []

    @OptionGroup var detection: DetectionOptionGroup

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one state file or directory") }
        guard (threads ?? 1) >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0...1).contains(maxRejectRate) else { throw ValidationError("--max-reject-rate must be between 0 and 1") }
    }

    func run() throws {
        var scan = ScanOptions()
        scan.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let config = try detection.config(scan: scan, maxRejectRate: maxRejectRate)
        let started = monotonicSeconds()
        let summary = try orFail {
            try AnalyzeRun.runOnState(paths, outputDirectory: out, config: config, candidatePairs: candidates)
        }
        if let note = summary.contentSignalsNote {
            FileHandle.standardError.write(Data("detect: WARNING: \(note)\n".utf8))
        }
        let d = summary.detection
        FileHandle.standardError.write(Data(String(
            format: "detect: %d records (%d rejected), %d accounts, %d clusters reported, %d accounts flagged, %.1f s -> %@\n",
            summary.recordsAccepted, summary.recordsRejected, summary.accountsSeen, d?.clustersReported ?? 0,
            d?.accountsFlagged ?? 0, monotonicSeconds() - started, out).utf8))
        exitNow(RunExitCode(rawValue: summary.exitCode) ?? .failure)
    }
}
