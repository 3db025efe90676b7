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
        var output = LinkageKeys.parameterLine(DetectionConfig()) + "\n"
        var number = 0
        while let line = readLine(strippingNewline: true) {
            number += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                for pair in try LinkageKeys.pairLines(bucket: Substring(line)) { output += pair + "\n" }
            } catch {
                throw fail("standard input line \(number): \(error)")
            }
            if output.utf8.count > 1 << 20 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
