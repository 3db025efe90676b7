// `analyze` and `detect`: account states (read from logs, or saved) → linkage → clusters →
// scores → every output.
import DistillDetect
import DistillReport
import Foundation

public struct AnalyzeConfig: Sendable {
    public var scan = ScanOptions()
    public var detection = DetectionConfig()
    public var maxRejectRate = 0.01
    public var json = false
    public var taxonomy = CompiledTaxonomy.builtIn
    /// Keep the run's account states until the process exits instead of freeing them when
    /// `run` returns: a command that exits right after saves tearing down hundreds of
    /// thousands of states one free() at a time (0.2 s at 1M exchanges).
    public var keepStatesUntilExit = false

    public init() {}

    /// The detection settings in force: `detection` on the run's thread count.
    public var detectionOptions: DetectionConfig {
        var options = detection
        options.threads = scan.threads
        return options
    }
}

/// What a command keeps alive until it exits (see `AnalyzeConfig.keepStatesUntilExit`).
package final class KeptUntilExit: @unchecked Sendable {
    package static let shared = KeptUntilExit()
    private let lock = NSLock()
    private var items: [Any] = []

    package func keep(_ item: Any) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
}

public enum AnalyzeRun {
    /// Runs the analysis and writes every output into `outputDirectory` (created if needed).
    public static func run(paths: [String], outputDirectory: String, config: AnalyzeConfig) throws -> RunSummary {
        let (inputs, skippedFiles) = try InputDiscovery.discover(paths)
        let features = FeatureRun.run(inputs: inputs, options: config.scan, taxonomy: config.taxonomy)
        return try detect(features, skippedFiles: skippedFiles, command: "analyze", outputDirectory: outputDirectory, config: config)
    }

    /// `detect`: the same from saved state (`StatePartitions.read`: every partition of one
    /// build) instead of logs. Throws `StateFileError` for a missing, corrupt or mismatched
    /// state file, and what `detect(_:...)` throws.
    public static func runOnState(
        _ paths: [String], outputDirectory: String, config: AnalyzeConfig, candidatePairs: [String] = []
    ) throws -> RunSummary {
        let started = monotonicSeconds()
        let state = try StatePartitions.read(paths, expectedTopics: config.taxonomy.topicNames)
        var features = StatePartitions.features(from: state)
        features.stageSeconds = ["load_state": monotonicSeconds() - started]
        return try detect(
            features, skippedFiles: [], command: "detect", outputDirectory: outputDirectory, config: config,
            candidatePairs: candidatePairs)
    }

    /// Links, clusters and scores `features` and writes every output: what `analyze` does
    /// after reading, and all that `detect` does with saved state (the same code, hence the
    /// same clusters.csv and accounts.csv from the same records). `command` names the run in
    /// summary.json and report.html.
    /// `candidatePairs`: pair files (`state pairs`) whose pairs replace in-process candidate
    /// generation (`LinkageKeys.readPairs`).
    public static func detect(
        _ features: FeatureRunResult, skippedFiles: [SkippedFile], command: String, outputDirectory: String,
        config: AnalyzeConfig, candidatePairs: [String] = []
    ) throws -> RunSummary {
        let detectionOptions = config.detectionOptions
        TestPause.at("analyze-detect")
        let pairsStarted = monotonicSeconds()
        let candidates = candidatePairs.isEmpty ? nil : try LinkageKeys.readPairs(
            candidatePairs, accounts: features.accounts, options: detectionOptions, contentDropped: features.report.promptIsPlaceholder)
        let pairsSeconds = monotonicSeconds() - pairsStarted
        let detection = CampaignDetection.run(
            accounts: features.accounts, taxonomy: config.taxonomy, options: detectionOptions, candidates: candidates)
        let writeStarted = monotonicSeconds()
        let report = features.report
        let page = HTMLReport.Page(
            title: "distill-detect \(command)", facts: [
                ("Inputs", "\(report.inputs.count) files, \(report.compressedBytes) bytes"),
                ("Records", "\(report.accepted) accepted, \(report.rejected) rejected"),
                ("Time range", "\(report.firstTimestamp.map { Timestamp.format(milliseconds: $0) } ?? "–") to \(report.lastTimestamp.map { Timestamp.format(milliseconds: $0) } ?? "–")"),
                ("Accounts seen", "\(features.accounts.count)"),
            ] + report.inputProblems.map { ("Input not read in full", $0.message) }, detection: detection, accounts: features.accounts, topicNames: features.topicNames,
            clusterIDs: detection.reported.indices.map(DetectionReport.clusterID))
        var stages = features.stageSeconds.merging(detection.seconds) { $1 }
        if candidates != nil { stages["load_candidates"] = pairsSeconds }
        var summary = RunSummary(
            command: command, report: features.report, options: config.scan, maxRejectRate: config.maxRejectRate,
            accountsSeen: features.accounts.count, stageSeconds: stages)
        summary.detection = DetectionSummary(options: config.detection, result: detection)
        summary.skippedFiles = skippedFiles
        try RunOutputs.write(
            detection, accounts: features.accounts, topicNames: features.topicNames, to: outputDirectory, json: config.json,
            page: page, summary: &summary, writeStarted: writeStarted, pauses: (staged: "analyze-write", swap: "analyze-swap"))
        if config.keepStatesUntilExit { KeptUntilExit.shared.keep((features, detection)) }
        return summary
    }
}
