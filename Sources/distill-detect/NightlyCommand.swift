import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

extension FailOn: ExpressibleByArgument {}

struct NightlyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "The scheduled job: read new logs into a persistent state and report over a rolling window.",
        discussion: """
            Reads only the inputs the state has not seen (by content: a renamed or copied file is \
            not read twice, and re-running a night changes nothing), keeps per-day per-account \
            state for --window-days days in the SQLite file --state, re-runs detection over the \
            window and writes what `analyze` writes plus changes.csv (new, grown, shrunk, \
            unchanged and gone clusters against the previous night). Cluster ids stay the same \
            from night to night while most of their accounts do. Outputs are written first, then \
            the state is committed in one transaction: a run killed at any point leaves the \
            previous state usable. Exit codes: 0 success; 1 failure (no new input could be read, \
            state refused, output not writable); 2 outputs written but incomplete (the \
            rejected-line share was above --max-reject-rate, or an input was not read in full); 3 outputs and state written and --fail-on matched; \
            64 usage error.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "The state file (SQLite); created when missing.")
    var state: String

    @Option(help: "Output directory.")
    var out: String

    @Option(name: .customLong("window-days"), help: "Days of state kept and analysed, ending at the latest day seen.")
    var windowDays: Int = 30

    @Option(name: .customLong("fail-on"), help: "Exit with 3 when this holds: new-clusters, any-clusters or never.")
    var failOn: FailOn = .never

    @Option(name: .customLong("state-input"), help: ArgumentHelp(
        "Read a night's per-day account state instead of logs: state files or directories of them, every partition (`state build --by-day`, or the Spark job with --by-day); repeatable. Remembered by content like a log file.",
        valueName: "PATH"))
    var stateInputs: [String] = []

    @OptionGroup var detection: DetectionOptionGroup

    func validate() throws {
        guard input.paths.isEmpty != stateInputs.isEmpty else { throw ValidationError("give log PATHs or --state-input, not both") }
        guard !input.paths.contains("-") else { throw ValidationError("nightly reads files only, not standard input") }
        guard (1...3660).contains(windowDays) else { throw ValidationError("--window-days must be between 1 and 3660") }
    }

    func run() throws {
        var config = NightlyConfig()
        config.analyze = try detection.config(input)
        config.analyze.keepStatesUntilExit = true  // the command exits right after (exitNow)
        config.statePath = state
        config.windowDays = windowDays
        config.failOn = failOn
        config.stateInputs = stateInputs
        let summary = try orFail { try NightlyRun.run(paths: input.paths, outputDirectory: out, config: config) }
        input.clearProgress()
        let n = summary.nightly
        let changes = n.map { c in ClusterChangeKind.allCases.map { "\(c.changes[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ") } ?? ""
        FileHandle.standardError.write(Data(String(
            format: "nightly: run %d%@, %d inputs read, %d skipped, %d records, window %@ to %@, %d accounts; clusters: %@ -> %@\n",
            n?.run ?? 0, n?.replay == true ? " (replay, state unchanged)" : "", n?.inputsRead ?? 0, n?.inputsSkipped.count ?? 0,
            summary.recordsAccepted, n?.windowStart ?? "-", n?.asOf ?? "-", summary.accountsSeen, changes, out).utf8))
        exitNow(RunExitCode(rawValue: summary.exitCode) ?? .failure)
    }
}
