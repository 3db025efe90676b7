import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Detection on logs without any prompt text (issue 14), from both scenario builders: `generate
/// --no-content` and the adversary suite's no-content scenarios (`adversary/build.py`, made apart
/// from `generate`), at sizes a debug build runs in seconds. README ("Detection without prompt
/// text") has the full-size figures.
@Suite("Detection without prompt text")
struct MetadataOnlyDetectionTests {
    /// The look-alikes every no-content run must hold, by label kind.
    static let lookAlikes = ["classroom", "cgnat", "integration", "cron_fleet"]

    static func analyze(_ logs: String, in dir: TemporaryDirectory) throws -> (result: EvaluationResult, candidates: [[String: String]], kinds: [String: Int]) {
        let out = dir.file("out-" + (logs as NSString).lastPathComponent)
        let summary = try AnalyzeRun.run(paths: [logs], outputDirectory: out, config: AnalyzeConfig())
        #expect(summary.recordsWithPrompt == 0)
        let labels = (logs as NSString).appendingPathComponent("labels.csv")
        var kinds: [String: Int] = [:]
        for row in try CSVReader.records(path: labels) { kinds[row["kind"] ?? "", default: 0] += 1 }
        return (try Evaluation.run(labelsPath: labels, accountsPath: out + "/accounts.csv"), try CSVReader.records(path: out + "/candidates.csv"), kinds)
    }

    /// Candidates whose listed accounts all carry one label kind.
    static func candidates(of kind: String, _ candidates: [[String: String]], labels: String) throws -> [[String: String]] {
        var kindOf: [String: String] = [:]
        for row in try CSVReader.records(path: labels) { kindOf[row["account_id"]!] = row["kind"] }
        return candidates.filter { row in
            let ids = (row["first_accounts"] ?? "").split(separator: " ").map(String.init)
            return !ids.isEmpty && ids.allSatisfy { kindOf[$0] == kind }
        }
    }

    /// `generate --no-content`: the same records without prompt, messages or system. The basic
    /// campaign (shared subnets and cards, creation bursts, synchronized batches) is found from its
    /// infrastructure and timing alone. The cron fleet (one organisation's 40 accounts firing at
    /// the same minute every night, on one card, created together) is a real look-alike: two
    /// families stand out, and it is not reported because it is one customer.
    @Test("generate --no-content: the burst campaign is found; the class, CGNAT users, integration and cron fleet are not")
    func generated() throws {
        let dir = try TemporaryDirectory()
        var config = generatorConfig(exchanges: 40_000, days: 7, seed: 61, campaigns: [.basic])
        config.noContent = true
        _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
        let (result, candidates, kinds) = try Self.analyze(dir.file("logs"), in: dir)
        print("generate --no-content: \(Evaluation.render(result))")
        #expect(result.f1 >= 0.9)
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        for kind in Self.lookAlikes { #expect(kinds[kind, default: 0] > 0, "\(kind) missing from the generated population") }
        #expect(kinds["cron_fleet"] == 40)
        let fleet = try Self.candidates(of: "cron_fleet", candidates, labels: dir.file("logs/labels.csv"))
        #expect(fleet.contains {
            ($0["significant_families"] ?? "").split(separator: " ").count >= 2 && ($0["verdict"] ?? "").contains("one organisation")
        }, "the cron fleet should stand out on two families and be let go as one customer")
    }

    /// An operator that spreads a few cards over its accounts, half on its subnets and half behind
    /// rotating residential proxies (generate's agentic campaign): the network block finds the
    /// first half, and the cards bring in the second (`CredentialAttachment`). Before, only the
    /// subnet half was found (recall 0.52 at this size and seed).
    @Test("generate --no-content: accounts behind rotating proxies join their campaign through its cards")
    func joinedByCards() throws {
        let dir = try TemporaryDirectory()
        var config = generatorConfig(exchanges: 40_000, days: 7, seed: 62, campaigns: [.agentic])
        config.noContent = true
        _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
        let (result, candidates, _) = try Self.analyze(dir.file("logs"), in: dir)
        print("generate --no-content agentic: \(Evaluation.render(result))")
        #expect(result.recall >= 0.85)
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        #expect(candidates.contains { $0["reported"] == "yes" && ($0["reasons"] ?? "").contains("joined holding payment fingerprints or API keys") })
    }

    /// The adversary suite's burst campaign (4 hosting /24s, cards shared in groups, 3 creation
    /// bursts, batches within 90 s every 4 hours), with its classes behind campus NATs at class
    /// times, CGNAT users, an enterprise integration and an organisation's 40-account cron fleet.
    @Test("adversary no-content-burst: the campaign is found; no look-alike is flagged")
    func adversaryBurst() throws {
        let dir = try TemporaryDirectory()
        let logs = try AdversarySuiteTests.build("no-content-burst", seed: 15, scale: 0.5, into: dir)
        let (result, _, kinds) = try Self.analyze(logs, in: dir)
        print("adversary no-content-burst: \(Evaluation.render(result))")
        #expect(result.f1 >= 0.9)
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        for kind in Self.lookAlikes { #expect(kinds[kind, default: 0] > 0, "\(kind) missing from the adversary population") }
        #expect(kinds["cron_fleet"] == 40)
        for campaign in result.campaigns { #expect(campaign.largestClusterShare >= 0.9, "\(campaign.campaign)") }
    }

    /// The careful campaign without content (rotating residential proxies, no shared cards, aged
    /// accounts, own diurnal hours, unequal volumes): its accounts share the proxy pool, pivot to
    /// the model released during the run (timing) and leave through a new ISP's range every day
    /// (network rotation, infrastructure). Before rotation was tested, the pivot was its one
    /// family and nothing was reported (F1 0); at /24 networks, or against random groups of any
    /// client, ordinary phone users were reported as well (`AdversarySuiteTests.mobileUsers`).
    @Test("adversary no-content-careful: found on its rotation across ISPs and its pivot; no false positive")
    func adversaryCareful() throws {
        let dir = try TemporaryDirectory()
        let logs = try AdversarySuiteTests.build("no-content-careful", seed: 16, scale: 0.5, into: dir)
        let (result, candidates, _) = try Self.analyze(logs, in: dir)
        print("adversary no-content-careful: \(Evaluation.render(result))")
        #expect(result.f1 >= 0.9)
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        for campaign in result.campaigns { #expect(campaign.largestClusterShare >= 0.9, "\(campaign.campaign)") }
        let pool = try Self.candidates(of: "campaign", candidates, labels: (logs as NSString).appendingPathComponent("labels.csv"))
        #expect(pool.contains {
            $0["reported"] == "yes" && ($0["significant_families"] ?? "").contains("timing")
                && ($0["infrastructure_test"] ?? "").hasPrefix("network rotation") && Int($0["accounts"] ?? "0")! >= 50
        }, "the campaign's proxy pool should be reported on its rotation and its timing")
    }

    /// The benign population without content, with a quarter of its users and every coding-agent
    /// user moving to a released model within 12 hours: the pivot is common, and no group of
    /// early adopters carries a second family apart from a site or one customer.
    @Test("metadata-only benign population with early adopters: nothing reported")
    func benignEarlyAdopters() throws {
        let dir = try TemporaryDirectory()
        let logs = try AdversarySuiteTests.build("benign-only", seed: 2, scale: 0.5, earlyAdopters: 0.25, noContent: true, into: dir)
        let (result, _, _) = try Self.analyze(logs, in: dir)
        print("metadata-only benign with early adopters: \(Evaluation.render(result))")
        #expect(result.flagged == 0)
    }

    /// Offices behind corporate egress pools (`build.py --offices`): staff on their own accounts,
    /// three addresses each of one /24, working hours in one time zone, two popular browsers, one
    /// model, and here answers three times the usual length (a reasoning model). Each office is a
    /// block of shared networks, which an earlier build reported on the members' concentration on
    /// two popular browsers (a browser's user agent is now no identifier: `BrowserAgents`) or on
    /// the length of their answers (completion length, withdrawn): 56 to 97 accounts flagged in
    /// such runs. Their acting in the same buckets on one client was timing evidence against
    /// random groups of any client (p 10⁻⁵–10⁻³); against groups of their own client it is not
    /// (`NullModel.clientMatchedGroup`).
    @Test("offices behind egress pools, on popular browsers, with long answers: candidates, not reported", arguments: [false, true])
    func offices(withText: Bool) throws {
        let dir = try TemporaryDirectory()
        let logs = try AdversarySuiteTests.build(
            "benign-only", seed: 1, scale: 0.5, noContent: !withText, options: ["--offices", "2", "--verbose", "office:3"], into: dir)
        let out = dir.file("out")
        _ = try AnalyzeRun.run(paths: [logs], outputDirectory: out, config: AnalyzeConfig())
        let labels = (logs as NSString).appendingPathComponent("labels.csv")
        let result = try Evaluation.run(labelsPath: labels, accountsPath: out + "/accounts.csv")
        print("offices (text: \(withText)): \(Evaluation.render(result))")
        #expect(result.flagged == 0)
        let blocks = try Self.candidates(of: "office", try CSVReader.records(path: out + "/candidates.csv"), labels: labels)
        #expect(blocks.filter { Int($0["accounts"] ?? "0")! >= 20 }.count >= 2, "each office should be a candidate")
        #expect(!blocks.contains { $0["reported"] == "yes" })
    }

    /// A campaign without text or cards on its own subnets, created in bursts, firing batches,
    /// every account sending one popular library's user agent (`python-requests`, which about 300
    /// ordinary accounts send too): its networks formed it, so its second family is that agent,
    /// weighted by the members' share of its senders (0.45 against 0.15 for random groups). A
    /// build that counted a user agent only when members were half of its senders found nothing.
    @Test("cardless burst campaign on one popular library's user agent: found by its agent and its timing")
    func cardlessCampaignOnOneLibrary() throws {
        let dir = try TemporaryDirectory()
        let logs = try AdversarySuiteTests.build(
            "no-content-burst", seed: 15, scale: 1, noContent: true,
            options: ["--campaign-cards", "none", "--campaign-agent", "python-requests/2.32.3"], into: dir)
        let (result, candidates, _) = try Self.analyze(logs, in: dir)
        print("cardless burst on python-requests: \(Evaluation.render(result))")
        #expect(result.f1 >= 0.95)
        #expect(result.falsePositives == 0)
        for campaign in result.campaigns { #expect(campaign.largestClusterShare >= 0.9, "\(campaign.campaign)") }
        let blocks = try Self.candidates(of: "campaign", candidates, labels: (logs as NSString).appendingPathComponent("labels.csv"))
        #expect(blocks.contains { $0["reported"] == "yes" && ($0["infrastructure_test"] ?? "").hasPrefix("user agents other than browsers") })
    }
}
