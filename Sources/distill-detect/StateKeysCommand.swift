import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct StateKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Write the linkage keys of the accounts in state files, one line per key.",
        discussion: """
            Lines: source TAB key (16 hex digits) TAB account id (a JSON string), after one \
            '# distill-detect linkage ...' line of the parameters the keys depend on. Sources: \
            band (an LSH band of the vocabulary sketch, accounts with enough prompts), payment \
            (a payment fingerprint), sync (an LSH band of half the metadata action sketch). \
            Accounts sharing a source and key form a bucket; `state pairs` turns buckets into \
            candidate pairs by the rule in-process linkage uses, and `detect --candidates` \
            verifies them. Each partition's keys can be written on its own machine.
            """
    )

    @Argument(help: "State files (typically one partition) or directories of them.")
    var paths: [String] = []

    @Option(help: "Output file.")
    var out: String

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one state file") }
    }

    func run() throws {
        let (accounts, keys) = try orFail { try StateRun.keys(paths: paths, out: out) }
        FileHandle.standardError.write(Data("state keys: \(accounts) accounts, \(keys) keys -> \(out)\n".utf8))
    }
}
