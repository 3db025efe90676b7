import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

enum OutputFormat: String, ExpressibleByArgument {
    case csv, json
}

/// Detection options shared by `analyze` and `nightly`.
struct DetectionOptionGroup: ParsableArguments {
    @Option(
        name: .customLong("max-false-clusters"),
        help: "Expected number of benign clusters reported per run: sets the significance level of every evidence family.")
    var maxFalseClusters: Double = DetectionConfig().maxFalseClusters

    @Option(help: "Report clusters whose score (0-1) reaches this instead of by the evidence-family rule (0.5 is that rule's line).")
    var threshold: Double?

    @Option(help: "Seed of the null model's random groups.")
    var seed: UInt64 = DetectionConfig().seed

    @Option(name: .customLong("min-cluster-size"), help: "Smallest cluster reported.")
    var minClusterSize: Int = 5

    @Option(help: "Also write clusters.json and accounts.json (csv: CSV only).")
    var format: OutputFormat = .csv

    @Option(help: "Taxonomy JSON replacing the built-in topics.")
    var taxonomy: String?

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be between 0 and 1") }
        guard maxFalseClusters > 0, maxFalseClusters < 1000 else { throw ValidationError("--max-false-clusters must be above 0") }
        guard minClusterSize >= 2 else { throw ValidationError("--min-cluster-size must be at least 2") }
    }

    /// The run's configuration; a taxonomy file that cannot be read is a usage error.
    func config(_ input: InputOptions) throws -> AnalyzeConfig {
        try config(scan: try input.scanOptions(), maxRejectRate: input.maxRejectRate)
    }

    /// The run's configuration for reading with `scan` options (`detect` reads no logs: its
    /// thread count only).
    func config(scan: ScanOptions, maxRejectRate: Double) throws -> AnalyzeConfig {
        var config = AnalyzeConfig()
        config.keepStatesUntilExit = true  // the command exits right after (exitNow)
        config.scan = scan
        config.maxRejectRate = maxRejectRate
        config.json = format == .json
        config.detection.threshold = threshold
        config.detection.maxFalseClusters = maxFalseClusters
        config.detection.seed = seed
        config.detection.minClusterSize = minClusterSize
        do {
            if let taxonomy { config.taxonomy = CompiledTaxonomy(try Taxonomy.load(path: taxonomy)) }
        } catch {
            throw fail("\(error)", code: .usage)
        }
        return config
    }
}

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find suspect account clusters and write clusters.csv, accounts.csv, candidates.csv, summary.json and report.html.",
        discussion: """
            Each cluster of at least --min-cluster-size accounts (linked by rarity-weighted \
            vocabulary, a dense block of shared networks or of shared cards, keys, client user \
            agents and sign-up bursts, or actions in the same 10-minute buckets) is measured family by \
            family (content, capability, infrastructure, timing, load balancing) against \
            volume-matched random groups of the same run, and is reported when two families are \
            significant at the level that --max-false-clusters sets (what a cluster was formed \
            by is not tested, and a content cluster, linked by its text, counts content and \
            capability as one family). Content is tested on shared prompt templates and on \
            shared near-duplicate prompts (paraphrases and slot fills of one template). accounts.csv lists the accounts of reported clusters: the \
            list a reviewer acts on; candidates.csv lists every cluster with each family's figure, \
            null mean and p-value and why it was or was not reported. Every cluster and account \
            row carries a `reasons` sentence with the numbers behind it. Text from the logs is \
            written so that spreadsheets cannot run it as a formula, and is HTML-escaped in \
            report.html (a self-contained page without scripts). Exit codes: 0 success; 1 \
            failure (no input could be read, output not writable); 2 outputs written but \
            incomplete (an input could not be read in full) or the rejected-line share was \
            above --max-reject-rate; 64 usage error.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Output directory.")
    var out: String

    @OptionGroup var detection: DetectionOptionGroup

    func validate() throws {
        guard !input.paths.isEmpty else { throw ValidationError("give at least one log PATH") }
    }

    func run() throws {
        let config = try detection.config(input)
        let summary = try orFail { try AnalyzeRun.run(paths: input.paths, outputDirectory: out, config: config) }
        input.clearProgress()
        if let note = summary.contentSignalsNote {
            FileHandle.standardError.write(Data("analyze: WARNING: \(note)\n".utf8))
        }
        let d = summary.detection
        FileHandle.standardError.write(Data(String(
            format: "analyze: %d records (%d rejected), %d accounts, %d clusters reported, %d accounts flagged, %.1f s -> %@\n",
            summary.recordsAccepted, summary.recordsRejected, summary.accountsSeen, d?.clustersReported ?? 0,
            d?.accountsFlagged ?? 0, summary.stageSeconds.values.reduce(0, +), out).utf8))
        exitNow(RunExitCode(rawValue: summary.exitCode) ?? .failure)
    }
}
