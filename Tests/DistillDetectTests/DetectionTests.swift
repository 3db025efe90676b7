import Foundation
import Testing
@testable import DistillDetect

/// Generates a scenario, runs `analyze` on it and evaluates the flagged accounts.
private func runScenario(
    campaigns: [CampaignVariant], lookalikes: Bool = true, exchanges: Int = 40_000, seed: UInt64, threads: Int = 2
) throws -> (EvaluationResult, TemporaryDirectory) {
    let dir = try TemporaryDirectory()
    var config = GeneratorConfig()
    config.exchanges = exchanges
    config.days = 7
    config.seed = seed
    config.campaigns = campaigns
    config.lookalikes = lookalikes
    config.style = .mixed
    _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
    var analyze = AnalyzeConfig()
    analyze.scan.threads = threads
    _ = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: analyze)
    let result = try Evaluation.run(labelsPath: dir.file("logs/labels.csv"), accountsPath: dir.file("out/accounts.csv"))
    return (result, dir)
}

@Suite("Campaign detection scenarios")
struct DetectionScenarioTests {
    static let scenarios: [([CampaignVariant], UInt64)] = [
        ([.basic], 31), ([.careful], 32), ([.agentic], 33), ([.basic, .careful, .agentic], 34),
    ]

    @Test("each campaign variant is found as one cluster, and no look-alike is flagged", arguments: scenarios)
    func scenario(_ campaigns: [CampaignVariant], _ seed: UInt64) throws {
        let (result, _) = try runScenario(campaigns: campaigns, seed: seed)
        print("scenario \(campaigns.map(\.rawValue)): \(Evaluation.render(result))")
        #expect(result.lookAlikesFlagged.isEmpty)
        #expect(result.benignFalsePositiveRate <= 0.001)
        #expect(result.precision >= 0.95)
        #expect(result.f1 >= 0.95)
        #expect(result.mixedClusters == 0)
        for campaign in result.campaigns {
            #expect(campaign.largestClusterShare >= 0.9, "\(campaign.campaign)")
        }
    }

    @Test("benign traffic and look-alikes alone give no flags")
    func benignOnly() throws {
        let (result, _) = try runScenario(campaigns: [], seed: 35)
        #expect(result.flagged == 0)
    }

    @Test("outputs are byte-identical across thread counts and reruns")
    func deterministic() throws {
        let dir = try TemporaryDirectory()
        var config = GeneratorConfig()
        config.exchanges = 20_000
        config.days = 7
        config.seed = 36
        _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
        var outputs: [[Data]] = []
        for (i, threads) in [1, 2, 2].enumerated() {
            var analyze = AnalyzeConfig()
            analyze.scan.threads = threads
            analyze.json = true
            _ = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out\(i)"), config: analyze)
            outputs.append(try ["clusters.csv", "accounts.csv", "clusters.json", "accounts.json"].map {
                try Data(contentsOf: URL(fileURLWithPath: dir.file("out\(i)/\($0)")))
            })
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[1] == outputs[2])
        #expect(outputs[0][1].count > 1000)
    }

    @Test("summary.json carries the contract keys")
    func summaryKeys() throws {
        let (_, dir) = try runScenario(campaigns: [.basic], exchanges: 10_000, seed: 37)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("out/summary.json")))) as? [String: Any]
        let summary = try #require(json)
        for key in ["records_accepted", "records_rejected", "rejected_by_reason", "rejected_samples", "truncated_inputs",
                    "inputs", "stage_seconds", "detection", "version", "options"] {
            #expect(summary[key] != nil, "\(key)")
        }
    }
}

@Suite("Attacker-written text in outputs")
struct OutputSafetyTests {
    @Test("prompts that look like formulas or markup come out inert in CSV")
    func csvInjection() throws {
        let dir = try TemporaryDirectory()
        // A small campaign whose prompts start with spreadsheet formulas and carry markup.
        var lines: [String] = []
        for account in 0..<6 {
            for i in 0..<30 {
                let prompt = "=HYPERLINK(\\\"http://evil.example/\(i)\\\",\\\"click\\\") <script>alert(\(i))</script> \\\"><img onerror=alert(1)> Implement a trie in Rust with capacity \(i). Explain your reasoning step by step before the final code."
                let ts = Timestamp.format(milliseconds: 1_776_816_000_000 + Int64(account * 1000 + i) * 60_000)
                lines.append("{\"ts\":\"\(ts)\",\"account_id\":\"=cmd|' /C calc'!A\(account)\",\"payment_fingerprint\":\"pm_shared\",\"ip\":\"198.51.100.\(account)\",\"prompt\":\"\(prompt)\"}")
            }
        }
        try dir.write("logs/evil.jsonl", text: lines.joined(separator: "\n"))
        var config = AnalyzeConfig()
        config.detection.threshold = 0
        _ = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: config)
        let rows = try CSVReader.records(path: dir.file("out/accounts.csv"))
        #expect(!rows.isEmpty)
        for row in rows {
            for (column, value) in row where !value.isEmpty {
                let first = value.unicodeScalars.first!
                #expect(!["=", "+", "-", "@", "\t", "\r"].contains(String(first)), "\(column) starts with \(first)")
            }
            #expect(row["account_id"]?.hasPrefix("'=cmd") == true)
            #expect(row["exemplar_prompt"]?.hasPrefix("'=HYPERLINK") == true)
        }
    }
}
