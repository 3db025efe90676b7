// `analyze`: read → features → linkage → clusters → scores → CSV / JSON outputs.
import DistillDetect
import DistillNightly
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
}

/// What a command keeps alive until it exits (see `AnalyzeConfig.keepStatesUntilExit`).
final class KeptUntilExit: @unchecked Sendable {
    static let shared = KeptUntilExit()
    private let lock = NSLock()
    private var items: [Any] = []

    func keep(_ item: Any) {
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
        var detectionOptions = config.detection
        detectionOptions.threads = config.scan.threads
        TestPause.at("analyze-detect")
        let pairsStarted = monotonicSeconds()
        let candidates = candidatePairs.isEmpty ? nil : try LinkageKeys.readPairs(
            candidatePairs, accounts: features.accounts, options: detectionOptions, contentDropped: features.report.promptIsPlaceholder)
        let pairsSeconds = monotonicSeconds() - pairsStarted
        let detection = CampaignDetection.run(
            accounts: features.accounts, taxonomy: config.taxonomy, options: detectionOptions, candidates: candidates)
        let writeStarted = monotonicSeconds()
        // Written into a staging directory, swapped into place whole at the end.
        let output = try OutputSet(directory: outputDirectory)
        TestPause.at("analyze-write")
        let staging = output.staging
        let report = features.report
        let page = HTMLReport.Page(
            title: "distill-detect \(command)", facts: [
                ("Inputs", "\(report.inputs.count) files, \(report.compressedBytes) bytes"),
                ("Records", "\(report.accepted) accepted, \(report.rejected) rejected"),
                ("Time range", "\(report.firstTimestamp.map { Timestamp.format(milliseconds: $0) } ?? "–") to \(report.lastTimestamp.map { Timestamp.format(milliseconds: $0) } ?? "–")"),
                ("Accounts seen", "\(features.accounts.count)"),
            ] + report.inputProblems.map { ("Input not read in full", $0.message) }, detection: detection, accounts: features.accounts, topicNames: features.topicNames,
            clusterIDs: detection.reported.indices.map(DetectionReport.clusterID))
        // The tables and the page are independent: written side by side.
        let failures = ResultSlots<UncheckedSendable<Error?>>(count: 2)
        let shared = UncheckedSendable((detection, features, page))
        let json = config.json
        runOnThreads(2) { part in
            let (detection, features, page) = shared.value
            do {
                if part == 0 {
                    try DetectionReport.write(
                        detection, accounts: features.accounts, topicNames: features.topicNames, directory: staging,
                        json: json)
                } else {
                    try HTMLReport.write(page, to: DetectionReport.path(staging, "report.html"))
                }
                failures.set(part, UncheckedSendable(nil))
            } catch {
                failures.set(part, UncheckedSendable(error))
            }
        }
        for part in 0..<2 { if let error = failures.take(part).value { throw error } }
        var stages = features.stageSeconds.merging(detection.seconds) { $1 }
        stages["write"] = monotonicSeconds() - writeStarted
        if candidates != nil { stages["load_candidates"] = pairsSeconds }
        var summary = RunSummary(
            command: command, report: features.report, options: config.scan, maxRejectRate: config.maxRejectRate,
            accountsSeen: features.accounts.count, stageSeconds: stages)
        summary.detection = DetectionSummary(options: config.detection, result: detection)
        summary.skippedFiles = skippedFiles
        try AtomicFile.write(try summary.jsonData(), to: DetectionReport.path(staging, "summary.json"))
        TestPause.at("analyze-swap")
        try output.commit()
        if config.keepStatesUntilExit { KeptUntilExit.shared.keep((features, detection)) }
        return summary
    }
}
