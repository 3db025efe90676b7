import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct StatePairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairs",
        abstract: "Turn buckets of accounts sharing a linkage key into candidate pairs.",
        discussion: """
            Reads bucket lines on standard input: source TAB a JSON array of the account ids that \
            share one key of that source (from `state keys`, grouped by source and key). Writes \
            to standard output one '# distill-detect linkage ...' line, then source TAB id TAB id \
            per proposed pair (ids as JSON strings): every pair of a bucket of up to 24 accounts, \
            a chain with skips of 1 to 3 through a larger one (accounts in id order), as \
            in-process linkage proposes them. Pairs may repeat across buckets; `detect \
            --candidates` takes any number of such files.
            """
    )

    func run() throws {
        try orFail {
            try StateRun.pairs(nextLine: { readLine(strippingNewline: true) }) { FileHandle.standardOutput.write(Data($0.utf8)) }
        }
    }
}
