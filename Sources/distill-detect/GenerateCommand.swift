import ArgumentParser
import DistillDetect
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic access logs with labelled campaigns and benign traffic."
    )

    @Option(help: "Output directory.")
    var out: String

    func run() throws {
        throw fail("not yet implemented")
    }
}
