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
        let run = try orFail {
            try FeatureTableRun.run(
                paths: input.paths, loadState: loadState, out: out, saveState: saveState, options: options,
                taxonomy: compiled, maxRejectRate: input.maxRejectRate)
        }
        input.clearProgress()
        let result = run.features
        let report = result.report
        let timing = run.stageSeconds.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f s", $0.key, $0.value) }.joined(separator: ", ")
        FileHandle.standardError.write(Data(
            "features: \(result.accounts.count) accounts from \(report.accepted) records (\(report.rejected) rejected); \(timing) -> \(out)\n".utf8))
        // Everything is written: leave without tearing down a few hundred thousand account
        // states one free() at a time (a second or more on large runs). The states must stay
        // referenced until then, or Swift frees them after their last use above.
        withExtendedLifetime(result) { exitNow(run.exitCode) }
    }
}
