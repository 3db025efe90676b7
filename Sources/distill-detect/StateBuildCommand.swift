import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct StateBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Read logs into account state split into N partition files.",
        discussion: """
            Writes OUT/part-PPPPP-of-NNNNN.ddstate for every partition P of N (empty ones too): the \
            states of the accounts whose id hashes to P, and in partition 0 the scan's tally \
            (records, rejects, times, inputs). Each file names the input split it came from \
            (--split), so that a merge refuses to count a split twice and `detect` refuses \
            partitions that do not hold the same splits. Content is kept as read even when a \
            placeholder fills the prompts: `detect` decides that over all splits. Exit codes as \
            for analyze (2: the files are written, but the rejected-line share was above \
            --max-reject-rate or an input was not read in full).
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Output directory for the partition files (created if needed).")
    var out: String

    @Option(help: "Partitions: accounts are placed by a stable hash of their id, modulo this.")
    var partitions: Int = 1

    @Option(help: "Name of this input split, unique among the splits merged together (default: a hash of the input names; give one when reading standard input).")
    var split: String?

    @Option(help: "Taxonomy JSON replacing the built-in topics (every split and `detect` must use the same).")
    var taxonomy: String?

    @Flag(name: .customLong("by-day"), help: "One state per account and UTC day, as `nightly --state-input` needs (`detect` merges the days).")
    var byDay = false

    func validate() throws {
        guard !input.paths.isEmpty else { throw ValidationError("give at least one log PATH, or - for standard input") }
        guard (1...100_000).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 100000") }
        if let split, split.isEmpty { throw ValidationError("--split must not be empty") }
    }

    func run() throws {
        let compiled: CompiledTaxonomy
        do {
            compiled = try taxonomy.map { CompiledTaxonomy(try Taxonomy.load(path: $0)) } ?? .builtIn
        } catch {
            throw fail("\(error)", code: .usage)
        }
        let options = try input.scanOptions()
        let started = monotonicSeconds()
        let built = try orFail {
            try StateRun.build(
                paths: input.paths, out: out, partitions: partitions, split: split, byDay: byDay, options: options,
                taxonomy: compiled, maxRejectRate: input.maxRejectRate)
        }
        input.clearProgress()
        let report = built.report
        FileHandle.standardError.write(Data(String(
            format: "state build: split %@: %d records (%d rejected), %d accounts, %d partitions, %d bytes, %.1f s -> %@\n",
            built.split, report.accepted, report.rejected, built.accounts, partitions, built.bytes, monotonicSeconds() - started,
            out).utf8))
        exitNow(built.exitCode)
    }
}
