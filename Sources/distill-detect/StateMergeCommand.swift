import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct StateMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge state files exactly into one.",
        discussion: """
            Files of one partition from disjoint input splits merge into that partition; all N \
            partitions of one build, each holding the same splits, merge into the whole state. \
            The merge is exact and order-free: any grouping of the same files gives the same \
            bytes. A directory stands for its *.ddstate files. Refused, with the files named: a \
            missing partition, a split in two files or missing from one partition, another \
            taxonomy, a corrupt file. Exit codes: 0 success; 1 failure.
            """
    )

    @Argument(help: "State files or directories of them.")
    var paths: [String] = []

    @Option(help: "Output state file (its directory is created if needed).")
    var out: String

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one state file") }
    }

    func run() throws {
        let started = monotonicSeconds()
        let (files, merged) = try orFail { try StateRun.merge(paths: paths, out: out) }
        FileHandle.standardError.write(Data(String(
            format: "state merge: %d files, %d accounts, %@, %d splits, %.1f s -> %@\n",
            files.count, merged.accounts.count, merged.partition.description, merged.splits.count,
            monotonicSeconds() - started, out).utf8))
        exitNow(.success)
    }
}
