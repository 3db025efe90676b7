import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Generates a scenario, runs `analyze` on it and evaluates the flagged accounts.
func runScenario(
    campaigns: [CampaignVariant], lookalikes: Bool = true, exchanges: Int = 40_000, seed: UInt64, threads: Int = 2
) throws -> (EvaluationResult, TemporaryDirectory) {
    let dir = try TemporaryDirectory()
    let config = generatorConfig(exchanges: exchanges, days: 7, seed: seed, campaigns: campaigns, lookalikes: lookalikes)
    _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
    var analyze = AnalyzeConfig()
    analyze.scan.threads = threads
    _ = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: analyze)
    let result = try Evaluation.run(labelsPath: dir.file("logs/labels.csv"), accountsPath: dir.file("out/accounts.csv"))
    return (result, dir)
}

@Suite("Campaign detection scenarios")
struct DetectionScenarioTests {
    // The three campaigns together get 60k exchanges, so each has about 24 accounts.
    static let scenarios: [([CampaignVariant], UInt64, Int)] = [
        ([.basic], 31, 40_000), ([.careful], 32, 40_000), ([.agentic], 33, 40_000), ([.basic, .careful, .agentic], 34, 60_000),
    ]

    @Test("each campaign variant is found as one cluster, and no look-alike is flagged", arguments: scenarios)
    func scenario(_ campaigns: [CampaignVariant], _ seed: UInt64, _ exchanges: Int) throws {
        let (result, _) = try runScenario(campaigns: campaigns, exchanges: exchanges, seed: seed)
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

    /// The committed sample logs, as README's first command runs them: three 12-account
    /// campaigns. The careful one (aged accounts on rotating residential IPs, nothing shared
    /// but its text) was missed before the content family counted near-duplicate prompts (F1
    /// 0.800): its slot-filled prompts rarely repeat a template exactly.
    @Test("the sample logs: all three campaigns found, each in one cluster, no look-alike flagged")
    func sampleLogs() throws {
        let dir = try TemporaryDirectory()
        let sample = AdversarySuiteTests.repository.appendingPathComponent("sample-logs").path
        _ = try AnalyzeRun.run(paths: [sample], outputDirectory: dir.file("out"), config: AnalyzeConfig())
        let result = try Evaluation.run(labelsPath: sample + "/labels.csv", accountsPath: dir.file("out/accounts.csv"))
        print("sample logs: \(Evaluation.render(result))")
        #expect(result.campaigns.count == 3)
        #expect(result.f1 >= 0.99)
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        for campaign in result.campaigns {
            #expect(campaign.clusters == 1, "\(campaign.campaign)")
            #expect(campaign.largestClusterShare >= 0.9, "\(campaign.campaign)")
        }
    }

    @Test("benign traffic and look-alikes alone give no flags")
    func benignOnly() throws {
        let (result, _) = try runScenario(campaigns: [], seed: 35)
        #expect(result.flagged == 0)
    }

    @Test("a class pasting the same homework from one campus IP, with equal volumes, is not flagged")
    func homeworkOnlyClass() throws {
        let dir = try TemporaryDirectory()
        let homework = [
            "Problem 3.2: A 2 kg block slides down a frictionless incline of 30 degrees from a height of 5 m. Find its speed at the bottom and the time taken. Show all work.",
            "Implement binary search in C and analyse its worst-case time complexity. Explain each step of your reasoning.",
            "Prove by induction that 1 + 2 + ... + n = n(n+1)/2 for all positive integers n. Show your work step by step.",
            "Write a Java program that reads integers until -1 is entered and prints the average, the maximum and the minimum. Use a while loop and think it through step by step.",
            "Given the relation R(A,B,C,D) with functional dependencies A->B, B->C, C->D, find the candidate keys and normalize R to BCNF, explaining each step.",
            "Implement a stack with push, pop and peek in Python using a linked list, and explain the time complexity of each operation step by step.",
        ]
        var lines: [String] = []
        for student in 0..<40 {
            for i in 0..<60 {
                let ts = Timestamp.format(milliseconds: 1_776_862_800_000 + Int64(i % 2) * 86_400_000 + Int64(student * 60 + i) * 1000)
                lines.append("{\"ts\":\"\(ts)\",\"account_id\":\"student\(student)\",\"ip\":\"192.0.2.10\",\"payment_fingerprint\":\"pm_s\(student)\",\"prompt\":\"\(homework[i % homework.count])\"}")
            }
        }
        try dir.write("logs/class.jsonl", text: lines.joined(separator: "\n"))
        // Ordinary traffic around them, so the class is scored against a real population.
        let background = generatorConfig(exchanges: 20_000, days: 7, seed: 38, campaigns: [], lookalikes: false)
        _ = try SyntheticLogGenerator.run(config: background, outputDirectory: dir.file("logs/background"))
        let config = AnalyzeConfig()
        let summary = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: config)
        #expect(summary.detection?.accountsFlagged == 0)
        #expect(try CSVReader.records(path: dir.file("out/accounts.csv")).isEmpty)
    }

    @Test("outputs are byte-identical across thread counts and reruns")
    func deterministic() throws {
        let dir = try TemporaryDirectory()
        let config = generatorConfig(exchanges: 20_000, days: 7, seed: 36, style: .canonical)
        _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
        var outputs: [[Data]] = []
        for (i, threads) in [1, 2, 2].enumerated() {
            var analyze = AnalyzeConfig()
            analyze.scan.threads = threads
            analyze.json = true
            _ = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out\(i)"), config: analyze)
            outputs.append(try ["clusters.csv", "accounts.csv", "candidates.csv", "clusters.json", "accounts.json"].map {
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

/// The DOM headless Chromium builds from a page, or nil where Chromium is not installed
/// (CI installs it when it can; DISTILL_DETECT_REQUIRE_CHROMIUM=1 makes its absence a failure).
func chromiumDOM(_ path: String) throws -> String? {
    let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    guard let browser else {
        #expect(ProcessInfo.processInfo.environment["DISTILL_DETECT_REQUIRE_CHROMIUM"] == nil, "Chromium required but not found")
        return nil
    }
    let profile = try TemporaryDirectory()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: browser)
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--dump-dom", "file://\(path)"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return String(decoding: data, as: UTF8.self)
}

@Suite("Attacker-written text in outputs")
struct OutputSafetyTests {
    @Test("prompts that look like formulas or markup come out inert in CSV and HTML")
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
        let html = try String(contentsOfFile: dir.file("out/report.html"), encoding: .utf8)
        // The payloads are on the page, as text.
        #expect(html.contains("=HYPERLINK(&quot;http://evil.example/"))
        #expect(html.contains("&lt;script&gt;alert("))
        #expect(html.contains("&quot;&gt;&lt;img onerror=alert(1)&gt;"))
        #expect(html.contains("=cmd|&#39; /C calc&#39;!A0"))
        // No element of theirs, and no script at all.
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.lowercased().contains("<img"))
        #expect(!html.contains("onerror=alert(1)>"))
        #expect(html.contains("Content-Security-Policy"))
        // In a real browser: the DOM Chromium builds holds no element from the logs.
        if let dom = try chromiumDOM(dir.file("out/report.html")) {
            #expect(dom.contains("&lt;script&gt;alert("))
            #expect(!dom.lowercased().contains("<script"))
            #expect(!dom.lowercased().contains("<img"))
            #expect(dom.contains("Suspect clusters"))
        }
    }
}

@Suite("evaluate")
struct EvaluationTests {
    @Test("a labels or accounts file that cannot be read is named in the error")
    func unreadableFiles() throws {
        let dir = try TemporaryDirectory()
        for (path, reason) in [(dir.file("missing.csv"), "no such file"), (dir.path, "a directory, not a CSV file")] {
            #expect(throws: CSVFileError.self) { try CSVReader.records(path: path) }
            do {
                _ = try CSVReader.records(path: path)
            } catch {
                #expect("\(error)" == "\(path): cannot read: \(reason)")
            }
        }
    }

    @Test("precision, recall, F1, benign false-positive rate, fragmentation and look-alikes from hand-made files")
    func figures() throws {
        let dir = try TemporaryDirectory()
        try dir.write("labels.csv", text: """
            account_id,campaign_id,kind
            a1,C1,campaign
            a2,C1,campaign
            a3,C1,campaign
            a4,C1,campaign
            b1,C2,campaign
            b2,C2,campaign
            n1,,benign
            n2,,benign
            n3,,classroom
            n4,,benign

            """)
        // C1: 3 of 4 flagged, split over two clusters; C2: none; one benign and one look-alike flagged.
        try dir.write("accounts.csv", text: #"""
            cluster_id,account_id,score,exemplar_prompt
            C0001,a1,0.9,"multi
            line, quoted ""text"""
            C0001,a2,0.9,x
            C0002,a3,0.8,x
            C0002,n1,0.8,x
            C0002,n3,0.8,x

            """#)
        let r = try Evaluation.run(labelsPath: dir.file("labels.csv"), accountsPath: dir.file("accounts.csv"))
        #expect(r.flagged == 5)
        #expect(r.truePositives == 3 && r.falsePositives == 2 && r.falseNegatives == 3)
        #expect(abs(r.precision - 0.6) < 1e-9)
        #expect(abs(r.recall - 0.5) < 1e-9)
        #expect(abs(r.f1 - 2 * 0.6 * 0.5 / 1.1) < 1e-9)
        #expect(r.benignAccounts == 4 && abs(r.benignFalsePositiveRate - 0.5) < 1e-9)
        #expect(r.lookAlikesFlagged == ["classroom": 1])
        let c1 = try #require(r.campaigns.first { $0.campaign == "C1" })
        #expect(c1.flagged == 3 && c1.clusters == 2 && abs(c1.largestClusterShare - 0.5) < 1e-9)
        let c2 = try #require(r.campaigns.first { $0.campaign == "C2" })
        #expect(c2.flagged == 0 && c2.recall == 0)
    }
}
