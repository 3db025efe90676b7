import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Synchrony linkage without prompt text (SynchroTrap): logs carrying only the envelope
/// (time, account, network, model, endpoint, user agent, org, creation time).
@Suite("Synchrony linkage")
struct SynchronyLinkageTests {
    static let start: Int64 = 1_776_643_200_000  // 2026-04-20T00:00Z
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    struct Population {
        var lines: [String] = []
        var labels: [(id: String, campaign: String, kind: String)] = []
    }

    /// 600 ordinary accounts (own /24, popular models and browsers, diurnal hours); 300 users
    /// of a mobile carrier (4 CGNAT /24s) all sending the popular model from the same browser in
    /// the same busy hour every day; one organisation's cron fleet of 40 accounts firing at the
    /// same minute every night from one cloud /24; and, when `campaign`, 40 accounts of a
    /// campaign on rotating residential addresses (no shared network), aged, no cards, whose
    /// orchestrator fires batches every 2 hours at a fixed minute through one client and model.
    static func population(seed: UInt64, campaign: Bool, days: Int = 5) -> Population {
        var rng = SeededRandom(seed: seed)
        var p = Population()
        let browsers = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/125.0", "Mozilla/5.0 (Macintosh) Safari/17.4",
                        "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"]
        func emit(_ id: String, _ t: Int64, ip: String, model: String, ua: String, created: Int64, org: String? = nil) {
            var fields = [
                "\"ts\":\(t)", "\"account_id\":\"\(id)\"", "\"ip\":\"\(ip)\"", "\"model\":\"\(model)\"",
                "\"endpoint\":\"/v1/chat/completions\"", "\"user_agent\":\"\(ua)\"", "\"account_created\":\(created)",
                "\"input_tokens\":\(100 + rng.int(0..<400))", "\"output_tokens\":\(50 + rng.int(0..<600))",
                "\"api_key_id\":\"key_\(id)\"",
            ]
            if let org { fields.append("\"org_id\":\"\(org)\"") }
            p.lines.append("{" + fields.joined(separator: ",") + "}")
        }
        func aged() -> Int64 { start - Int64(30 + rng.int(0..<600)) * day + Int64(rng.int(0..<86_400_000)) }
        for i in 0..<600 {
            let id = "acct_b\(i)"
            let ip = "23.\(i / 200).\(i % 200).\(2 + rng.int(0..<250))"
            let model = rng.int(0..<3) == 0 ? "claude-sonnet-4" : "gpt-4o"
            let ua = browsers[rng.int(0..<browsers.count)]
            let created = aged()
            for _ in 0..<(10 + rng.int(0..<70)) {
                let t = start + Int64(rng.int(0..<days)) * day + Int64(8 + rng.int(0..<14)) * hour + Int64(rng.int(0..<3_600_000))
                emit(id, t, ip: ip, model: model, ua: ua, created: created)
            }
            p.labels.append((id, "", "benign"))
        }
        for i in 0..<300 {
            let id = "acct_h\(i)"
            let created = aged()
            for d in 0..<days {
                for _ in 0..<(3 + rng.int(0..<6)) {
                    let t = start + Int64(d) * day + 14 * hour + Int64(rng.int(0..<3_600_000))
                    emit(id, t, ip: "100.64.\(rng.int(0..<4)).\(2 + rng.int(0..<250))", model: "gpt-4o", ua: browsers[0], created: created)
                }
            }
            p.labels.append((id, "", "busy_hour"))
        }
        let fleetCreated = aged()
        for i in 0..<40 {
            let id = "acct_c\(i)"
            for d in 0..<days {
                var t = start + Int64(d) * day + 2 * hour + 17 * 60_000 + Int64(rng.int(0..<40_000))
                for _ in 0..<(3 + rng.int(0..<4)) {
                    emit(id, t, ip: "34.120.7.\(10 + rng.int(0..<2))", model: "gpt-4.1-mini", ua: "python-requests/2.32.3",
                         created: fleetCreated + Int64(rng.int(0..<600_000)), org: "org_cronfleet")
                    t += Int64(1500 + rng.int(0..<4500))
                }
            }
            p.labels.append((id, "", "cron_fleet"))
        }
        if campaign {
            for i in 0..<40 {
                let id = "acct_s\(i)"
                let created = aged()
                for d in 0..<days {
                    for h in stride(from: 0, to: 24, by: 2) where rng.int(0..<10) < 8 {
                        var t = start + Int64(d) * day + Int64(h) * hour + 23 * 60_000 + Int64(rng.int(0..<90_000))
                        for _ in 0..<(1 + rng.int(0..<3)) {
                            let ip = "\(60 + rng.int(0..<120)).\(rng.int(0..<256)).\(rng.int(0..<256)).\(2 + rng.int(0..<250))"
                            emit(id, t, ip: ip, model: "claude-opus-4-1", ua: "python-httpx/0.27.2", created: created)
                            t += Int64(2000 + rng.int(0..<20_000))
                        }
                    }
                }
                p.labels.append((id, "S1-sync", "campaign"))
            }
        }
        return p
    }

    static func accounts(_ p: Population) throws -> (dir: TemporaryDirectory, accounts: [AccountState]) {
        let dir = try TemporaryDirectory()
        try dir.write("logs/api.jsonl", bytes: Array((p.lines.joined(separator: "\n") + "\n").utf8))
        try dir.write("logs/labels.csv", bytes: Array((["account_id,campaign_id,kind"] + p.labels.map { "\($0.id),\($0.campaign),\($0.kind)" })
            .joined(separator: "\n").appending("\n").utf8))
        var options = ScanOptions()
        options.threads = 2
        let run = FeatureRun.run(inputs: [.file(dir.file("logs/api.jsonl"))], options: options, taxonomy: .builtIn)
        return (dir, run.accounts)
    }

    @Test("synchrony links a campaign's metadata-only batches into one group; the busy hour and the cron fleet link nobody")
    func linkage() throws {
        let (_, accounts) = try Self.accounts(Self.population(seed: 3, campaign: true))
        let config = DetectionConfig()
        let rarity = SynchronyRarity(accounts) { config.synchronyItemCap(acting: $0) }
        let links = SynchronyLinkage.links(accounts, rarity: rarity, options: config)
        func kind(_ i: Int) -> Character { accounts[i].accountID.dropFirst(5).first! }
        // A popular model's busy hour and one organisation's cron fleet: no link at all.
        #expect(!links.contains { kind($0.a) == "h" || kind($0.b) == "h" }, "busy-hour links: \(links.filter { kind($0.a) == "h" || kind($0.b) == "h" }.count)")
        #expect(!links.contains { kind($0.a) == "c" || kind($0.b) == "c" })
        let (groups, _) = SynchronyLinkage.groups(accounts, rarity: rarity, options: config)
        let campaign = Set(accounts.indices.filter { kind($0) == "s" })
        let best = groups.max { Set($0).intersection(campaign).count < Set($1).intersection(campaign).count } ?? []
        #expect(Set(best).intersection(campaign).count >= 36, "campaign accounts in one group: \(Set(best).intersection(campaign).count)")
        #expect(Set(best).subtracting(campaign).isEmpty, "others in the campaign's group: \(Set(best).subtracting(campaign).count)")
        // Without the rarity cap, the busy hour's users (items held by a hundred accounts) link.
        var uncapped = config
        uncapped.synchronyMaxItemShare = 1
        let raw = SynchronyLinkage.links(accounts, rarity: SynchronyRarity(accounts), options: uncapped)
        #expect(raw.contains { kind($0.a) == "h" && kind($0.b) == "h" }, "the busy hour must be a real look-alike")
    }

    @Test("analyze: the synchronized campaign is formed by synchrony and found; no busy-hour, cron-fleet or ordinary account is flagged")
    func analyze() throws {
        let (dir, _) = try Self.accounts(Self.population(seed: 5, campaign: true))
        let summary = try AnalyzeRun.run(paths: [dir.file("logs/api.jsonl")], outputDirectory: dir.file("out"), config: AnalyzeConfig())
        #expect(summary.recordsWithPrompt == 0)
        let candidates = try CSVReader.records(path: dir.file("out/candidates.csv"))
        let formed = candidates.filter { $0["formed_by"] == "synchrony" }
        #expect(!formed.isEmpty, "no candidate formed by synchrony")
        for row in formed { print("formed by synchrony: \(row["accounts"] ?? "") accounts, \(row["verdict"] ?? ""); \(row["reasons"] ?? "")") }
        let result = try Evaluation.run(labelsPath: dir.file("logs/labels.csv"), accountsPath: dir.file("out/accounts.csv"))
        print("synchrony, metadata only: \(Evaluation.render(result))")
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        // The campaign is aged, cardless and on rotating addresses: its evidence is its
        // synchrony (the formation), the client only its accounts send, and its load round the
        // clock (batches every two hours, against people's daytime).
        #expect(result.recall >= 0.9)
        if let row = formed.first {
            #expect(row["reasons"]?.contains("acted in the same 10-minute buckets") == true)
            #expect(row["reasons"]?.contains("load_balancing (significant): load round the clock") == true)
        }
    }

    @Test("without a campaign nothing is reported; outputs byte-identical for --threads 1 and 2")
    func deterministic() throws {
        let (dir, _) = try Self.accounts(Self.population(seed: 7, campaign: true))
        var outputs: [[Data]] = []
        for (i, threads) in [1, 2].enumerated() {
            var analyze = AnalyzeConfig()
            analyze.scan.threads = threads
            analyze.json = true
            _ = try AnalyzeRun.run(paths: [dir.file("logs/api.jsonl")], outputDirectory: dir.file("out\(i)"), config: analyze)
            outputs.append(try ["clusters.csv", "accounts.csv", "candidates.csv", "clusters.json", "accounts.json"].map {
                try Data(contentsOf: URL(fileURLWithPath: dir.file("out\(i)/\($0)")))
            })
        }
        #expect(outputs[0] == outputs[1])
        #expect(String(decoding: outputs[0][2], as: UTF8.self).contains("synchrony"))
        let (benign, _) = try Self.accounts(Self.population(seed: 9, campaign: false))
        let summary = try AnalyzeRun.run(paths: [benign.file("logs/api.jsonl")], outputDirectory: benign.file("out"), config: AnalyzeConfig())
        #expect(summary.detection?.accountsFlagged == 0)
    }

    @Test("the action sketch survives the state file; format-2 files and blobs still read")
    func stateFormat() throws {
        let (_, accounts) = try Self.accounts(Self.population(seed: 11, campaign: true, days: 1))
        #expect(accounts.contains { !$0.actionSketch.isEmpty })
        let file = AccountStateFile(topicNames: CompiledTaxonomy.builtIn.topicNames, accounts: Array(accounts.prefix(50)))
        let back = try AccountStateFile.decode(file.encoded(), path: "x")
        #expect(back.accounts == file.accounts)
        // A version-2 blob: the account without the trailing action-sketch field (format 3),
        // model use (format 5), near-duplicate keys (format 6) and address prefixes (format 7).
        let blob = AccountStateFile.encodeAccount(accounts[0])
        var later = ByteWriter()
        accounts[0].modelUse.encode(to: &later)
        accounts[0].nearDuplicates.encode(to: &later)
        accounts[0].prefixes.encode(to: &later)
        let v2 = Array(blob.dropLast(4 + 2 * AccountState.actionBins + later.bytes.count))
        let old = try AccountStateFile.decodeAccount(v2, context: "v2")
        #expect(old.actionSketch.isEmpty && old.exchanges == accounts[0].exchanges)
        // A version-6 blob: without the address prefixes; they read empty. A version-5 blob:
        // without the near-duplicate keys as well.
        #expect(!accounts[0].prefixes.hashes.isEmpty)
        var prefixes = ByteWriter()
        accounts[0].prefixes.encode(to: &prefixes)
        let v6 = try AccountStateFile.decodeAccount(Array(blob.dropLast(prefixes.bytes.count)), context: "v6")
        #expect(v6.prefixes.hashes.isEmpty && v6.nearDuplicates == accounts[0].nearDuplicates)
        var keys = ByteWriter()
        accounts[0].nearDuplicates.encode(to: &keys)
        accounts[0].prefixes.encode(to: &keys)
        let v5 = try AccountStateFile.decodeAccount(Array(blob.dropLast(keys.bytes.count)), context: "v5")
        #expect(v5.nearDuplicates.hashes.isEmpty && v5.modelUse == accounts[0].modelUse)
    }
}
