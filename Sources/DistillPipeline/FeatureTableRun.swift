// `features`: account states (read from logs, merged with saved ones) → the feature table,
// and optionally the merged state file.
import DistillDetect
import DistillReport
import Foundation

public enum FeatureTableRun {
    public struct Result: Sendable {
        /// The merged account states, sorted by id.
        public var features: FeatureRunResult
        /// Stage name → seconds (`ingest_decode_features`, `merge`, `write`).
        public var stageSeconds: [String: Double]
        public var exitCode: RunExitCode
    }

    /// Reads `paths` (may be empty when `loadState` is not), merges the states of the
    /// `loadState` files in, writes one CSV row per account to `out` (`AccountFeatureTable`)
    /// and, with `saveState`, the merged state with the scan tally of everything it holds.
    /// Throws `InputError`, `StateFileError` (a state file of another taxonomy, corrupt) and
    /// `OutputError`.
    public static func run(
        paths: [String], loadState: [String], out: String, saveState: String?, options: ScanOptions,
        taxonomy: CompiledTaxonomy, maxRejectRate: Double
    ) throws -> Result {
        let inputs = paths.isEmpty ? [] : try InputDiscovery.expand(paths)
        let priorFiles = try loadState.map { try AccountStateFile.read(path: $0, expectedTopics: taxonomy.topicNames) }
        let result = FeatureRun.run(inputs: inputs, options: options, taxonomy: taxonomy, priorStates: priorFiles.map(\.accounts))
        // The saved state's tally: what this run read and what the loaded states carried.
        var tally: ScanTally?
        for t in (paths.isEmpty ? [] : [ScanTally(result.report)]) + priorFiles.compactMap(\.tally) {
            if tally == nil { tally = t } else { tally!.merge(t) }
        }
        let writeStarted = monotonicSeconds()
        let topics = result.topicNames
        try CSVWriter.write(
            path: out, header: AccountFeatureTable.header(topicNames: topics), items: result.accounts,
            threads: options.threads) { AccountFeatureTable.row($0, topicNames: topics) }
        if let saveState {
            try AccountStateFile(topicNames: result.topicNames, accounts: result.accounts, tally: tally).write(to: saveState)
        }
        let stages = result.stageSeconds.merging(["write": monotonicSeconds() - writeStarted]) { $1 }
        let code = RunSummary.exitCode(report: result.report, maxRejectRate: maxRejectRate, inputsGiven: !paths.isEmpty)
        return Result(features: result, stageSeconds: stages, exitCode: code)
    }
}
