import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write per-account features to CSV, one row per account sorted by account id.",
        discussion: """
            For analysts who model on their own: volumes, tokens, timing, infrastructure counts, \
            topic mix and chain-of-thought share per account (sketches left out). \
            --save-state writes the mergeable per-account state; --load-state merges saved \
            states (from other nights or machines) with what PATHs add. Exit codes as for analyze.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Output CSV file (required unless --print-taxonomy).")
    var out: String?

    @Option(help: "Taxonomy JSON replacing the built-in topics (see --print-taxonomy).")
    var taxonomy: String?

    @Flag(name: .customLong("print-taxonomy"), help: "Print the taxonomy in force as JSON and exit.")
    var printTaxonomy = false

    @Option(name: .customLong("save-state"), help: "Write the merged account state (with the scan tally, so `detect` can analyse it) to this file.")
    var saveState: String?

    @Option(name: .customLong("load-state"), help: "Merge a saved account state file (repeatable).")
    var loadState: [String] = []

    func validate() throws {
        guard printTaxonomy || out != nil else { throw ValidationError("--out FILE.csv is required") }
        guard printTaxonomy || !input.paths.isEmpty || !loadState.isEmpty else {
            throw ValidationError("give log PATHs (optional with --load-state)")
        }
    }

    func run() throws {
        let compiled: CompiledTaxonomy
        do {
            compiled = try taxonomy.map { CompiledTaxonomy(try Taxonomy.load(path: $0)) } ?? .builtIn
        } catch {
            throw fail("\(error)", code: .usage)
        }
        if printTaxonomy {
            FileHandle.standardOutput.write(try compiled.taxonomy.jsonData())
            print("")
            return
        }
        guard let out else { return }
        let options = try input.scanOptions()
        let paths = input.paths
        let result: FeatureRunResult
        var tally: ScanTally?
        do {
            let inputs = paths.isEmpty ? [] : try InputDiscovery.expand(paths)
            defer { input.clearProgress() }
            let priorFiles = try loadState.map { try AccountStateFile.read(path: $0, expectedTopics: compiled.topicNames) }
            result = FeatureRun.run(inputs: inputs, options: options, taxonomy: compiled, priorStates: priorFiles.map(\.accounts))
            // The saved state's tally: what this run read and what the loaded states carried.
            for t in (paths.isEmpty ? [] : [ScanTally(result.report)]) + priorFiles.compactMap(\.tally) {
                if tally == nil { tally = t } else { tally!.merge(t) }
            }
        } catch let error as InputError {
            throw fail(error.description)
        } catch let error as StateFileError {
            throw fail(error.description)
        }
        let writeStarted = monotonicSeconds()
        do {
            let topics = result.topicNames
            try CSVWriter.write(
                path: out, header: AccountFeatureTable.header(topicNames: topics), items: result.accounts,
                threads: options.threads) { AccountFeatureTable.row($0, topicNames: topics) }
            if let saveState {
                try AccountStateFile(topicNames: result.topicNames, accounts: result.accounts, tally: tally).write(to: saveState)
            }
        } catch {
            throw fail("\(error)")
        }
        let report = result.report
        let stages = result.stageSeconds.merging(["write": monotonicSeconds() - writeStarted]) { $1 }
        let timing = stages.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f s", $0.key, $0.value) }.joined(separator: ", ")
        FileHandle.standardError.write(Data(
            "features: \(result.accounts.count) accounts from \(report.accepted) records (\(report.rejected) rejected); \(timing) -> \(out)\n".utf8))
        let code = paths.isEmpty ? .success : RunSummary.exitCode(report: report, maxRejectRate: input.maxRejectRate)
        // Everything is written: leave without tearing down a few hundred thousand account
        // states one free() at a time (a second or more on large runs). The states must stay
        // referenced until then, or Swift frees them after their last use above.
        withExtendedLifetime(result) { exitNow(code) }
    }
}
