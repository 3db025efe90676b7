import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Read logs as `analyze` would and report what was understood, without analysing.",
        discussion: """
            Reports files, bytes, records accepted and rejected by reason with samples (file:line), \
            which fields were found and under which names, the time range and the throughput. \
            Run it on a day of logs before a long run. Exit codes as for analyze.
            """
    )

    @OptionGroup var input: InputOptions

    @Flag(help: "Print the summary as JSON (the keys of summary.json) instead of text.")
    var json = false

    func validate() throws {
        guard !input.paths.isEmpty else { throw ValidationError("give at least one log PATH") }
    }

    func run() throws {
        let options = try input.scanOptions()
        let summary = try orFail { try LogCheck.run(paths: input.paths, options: options, maxRejectRate: input.maxRejectRate) }
        input.clearProgress()
        if json {
            FileHandle.standardOutput.write(try summary.jsonData())
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            print(LogCheck.render(summary))
        }
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}
