import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a run's accounts.csv against labels: precision, recall, F1, benign false-positive rate.",
        discussion: """
            labels.csv has account_id,campaign_id (empty for benign) and optionally kind, as \
            `generate` writes it. Also reports per-campaign recall, how many clusters each \
            campaign is split into, and look-alike accounts flagged.
            """
    )

    @Option(help: "labels.csv (account_id,campaign_id[,kind]).")
    var labels: String

    @Option(help: "accounts.csv written by analyze.")
    var accounts: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let result: EvaluationResult
        do {
            result = try Evaluation.run(labelsPath: labels, accountsPath: accounts)
        } catch {
            throw fail("\(error)")
        }
        if json {
            FileHandle.standardOutput.write(try JSONOutput.encode(result))
            print("")
        } else {
            print(Evaluation.render(result))
        }
    }
}
