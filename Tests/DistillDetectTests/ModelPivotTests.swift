import Foundation
import Testing

@testable import DistillDetect

/// The pivot to a model released in the run (`ModelPivot`): which models count as releases, and
/// each account's share of traffic moved to one, read from the per-account `modelUse` that the
/// real scan of a gzip file builds.
@Suite("Model pivot")
struct ModelPivotTests {
    static let day0: Int64 = 1_776_643_200_000  // 2026-04-20T00:00:00Z
    static let hour: Int64 = 3_600_000

    static func line(_ account: String, _ ms: Int64, _ model: String, agent: String = "") -> String {
        let ua = agent.isEmpty ? "" : #","user_agent":"\#(agent)""#
        return #"{"timestamp":\#(ms),"account_id":"\#(account)","model":"\#(model)","ip":"198.51.100.7","status":200,"input_tokens":10,"output_tokens":20\#(ua)}"#
    }

    /// 120 ordinary accounts on `m-old` from the first day, one account whose clock is a year
    /// behind (on `m-legacy`), and `m-new` first used on day 2 at 10:00, 10:30 and 11:00 (its
    /// appearance: the third first use): one account moves to it at once, two try it on the
    /// same morning, one tries it once at noon, one takes it up two days later.
    static func lines() -> [String] {
        var lines: [String] = []
        for i in 0..<120 { lines.append(line("acct_bg_\(i)", day0 + Int64(i % 24) * hour, "m-old")) }
        lines.append(line("acct_stray", day0 - 365 * 24 * hour, "m-legacy"))
        let day2 = day0 + 48 * hour
        for h in 0..<4 { lines.append(line("acct_pivot", day0 + Int64(h) * hour, "m-old")) }
        lines.append(line("acct_pivot", day2 + 9 * hour, "m-old"))
        for h in 10..<14 { lines.append(line("acct_pivot", day2 + Int64(h) * hour, "m-new")) }
        for h in 0..<5 { lines.append(line("acct_pivot", day2 + 24 * hour + Int64(h) * hour, "m-new")) }
        lines.append(line("acct_pivot", day2 + 30 * hour, "m-old"))
        lines.append(line("acct_early_1", day2 + 10 * hour + hour / 2, "m-new"))
        lines.append(line("acct_early_2", day2 + 11 * hour, "m-new"))
        lines.append(line("acct_try", day2 + 12 * hour, "m-new"))
        for h in 0..<9 { lines.append(line("acct_try", day2 + 14 * hour + Int64(h) * hour, "m-old")) }
        // Three users of one tool, moved by it in the afternoon.
        for k in 0..<3 { lines.append(line("acct_tool_\(k)", day2 + Int64(13 + k) * hour, "m-new", agent: "tool/1.0")) }
        lines.append(line("acct_late", day2 + 50 * hour, "m-new"))
        lines.append(line("acct_late", day2 + 51 * hour, "m-new"))
        return lines
    }

    @Test("a model that appears a day into the run is a release; shares count traffic from its day on, within a day of its appearance")
    func releasesAndShares() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.writeGzip("logs.jsonl.gz", members: [Array((Self.lines().joined(separator: "\n") + "\n").utf8)])
        var options = ScanOptions()
        options.threads = 1
        let accounts = FeatureRun.run(inputs: try InputDiscovery.expand([path]), options: options, taxonomy: .builtIn).accounts
        let pivot = ModelPivot(accounts, windowHours: 24)
        // `m-old` is there from the start, and the stray account's year-old clock does not move
        // the start of the run back (which would make every model a release).
        #expect(pivot.releases.map(\.name) == ["m-new"])
        #expect(pivot.releases.first?.firstSeen == Self.day0 + 59 * Self.hour)
        #expect(pivot.releases.first?.adopters == 7)
        #expect(pivot.releases.first?.users == 8)
        func share(_ id: String) throws -> Float { pivot.share[try #require(accounts.firstIndex { $0.accountID == id })] }
        // 9 of the 11 exchanges sent from the release's day on.
        #expect(try share("acct_pivot") == Float(9.0 / 11.0))
        #expect(try share("acct_try") == Float(0.1))
        #expect(try share("acct_late") == 0)
        #expect(try share("acct_bg_3") == 0)
        #expect(pivot.label(windowHours: 24).contains("m-new out 2026-04-22 11:00 UTC, used by 8 accounts"))
        // The group figure: a member's share weighted by the share of the release's users
        // outside the group; nil when half the members that took it up send one user agent.
        func group(_ ids: [String]) -> [Int] { ids.map { id in accounts.firstIndex { $0.accountID == id }! } }
        let expected = (Double(Float(9.0 / 11.0)) + Double(Float(0.1))) * (1 - 2.0 / 8.0) / 4
        #expect(abs(try #require(pivot.figure(group(["acct_pivot", "acct_try", "acct_bg_1", "acct_bg_2"]))) - expected) < 1e-12)
        #expect(pivot.figure(group(["acct_tool_0", "acct_tool_1", "acct_tool_2", "acct_bg_1"])) == nil)
        #expect(pivot.figure(group(["acct_tool_0", "acct_pivot", "acct_try", "acct_early_1"])) != nil)
    }

    @Test("model use merges exactly: parts in any split give the whole, and the smallest model hashes are kept")
    func modelUseMerges() {
        var rng = SeededRandom(seed: 7)
        let uses = (0..<40).map { _ in (model: UInt64(rng.int(1..<14)), first: Int64(rng.int(0..<1000)), count: UInt32(rng.int(1..<5))) }
        var whole = ModelUse()
        for u in uses { whole.add(u.model, first: u.first, count: u.count) }
        #expect(whole.entries.count == ModelUse.capacity)
        #expect(whole.entries.map(\.model) == Array(1...UInt64(ModelUse.capacity)))
        for cut in [0, 13, 27, 40] {
            var a = ModelUse()
            var b = ModelUse()
            for u in uses[..<cut] { a.add(u.model, first: u.first, count: u.count) }
            for u in uses[cut...] { b.add(u.model, first: u.first, count: u.count) }
            var ab = a
            ab.merge(b)
            b.merge(a)
            #expect(ab == whole)
            #expect(b == whole)
        }
        let firstOf3 = uses.filter { $0.model == 3 }.map(\.first).min()
        #expect(whole.entries.first { $0.model == 3 }?.first == firstOf3)
    }
}

/// `Bystanders`: a reported block of shared networks keeps the members that carry its evidence.
@Suite("Bystanders of a network block")
struct BystanderTests {
    /// 200 ordinary accounts on networks of their own; 10 campaign accounts created within two
    /// hours of each other that move to `m-new` on its first day, on a pool of two /24s; 6
    /// people whose home addresses are in those /24s, created months apart, on `m-old` on days
    /// the campaign is idle.
    static func accounts() throws -> (accounts: [AccountState], campaign: [Int], homes: [Int]) {
        let day0 = ModelPivotTests.day0
        let hour = ModelPivotTests.hour
        func line(_ account: String, _ ms: Int64, _ model: String, ip: String, created: String) -> String {
            #"{"timestamp":\#(ms),"account_id":"\#(account)","model":"\#(model)","ip":"\#(ip)","account_created":"\#(created)","status":200}"#
        }
        var lines: [String] = []
        for i in 0..<200 {
            for d in 0..<4 { lines.append(line("bg_\(i)", day0 + Int64(d) * 24 * hour + Int64(i % 20) * hour, "m-old", ip: "10.\(i).\(d).1", created: "2025-0\(1 + i % 9)-1\(i % 10)T00:00:00Z")) }
        }
        for i in 0..<10 {
            let created = "2026-04-01T0\(i % 2):\(10 + i):00Z"
            for k in 0..<3 { lines.append(line("camp_\(i)", day0 + Int64(k + i) * hour, "m-old", ip: "203.0.113.\(10 + (i + k) % 30)", created: created)) }
            for k in 0..<6 { lines.append(line("camp_\(i)", day0 + 58 * hour + Int64(k + i) * hour, "m-new", ip: "198.51.100.\(10 + (i * k) % 30)", created: created)) }
        }
        for i in 0..<6 {
            for d in [1, 3] {
                lines.append(line("home_\(i)", day0 + Int64(d) * 24 * hour + Int64(7 + 2 * i) * hour, "m-old", ip: (i % 2 == 0 ? "203.0.113." : "198.51.100.") + "\(10 + i)", created: "2024-0\(1 + i)-15T00:00:00Z"))
            }
        }
        let dir = try TemporaryDirectory()
        let path = try dir.writeGzip("logs.jsonl.gz", members: [Array((lines.joined(separator: "\n") + "\n").utf8)])
        var options = ScanOptions()
        options.threads = 1
        let accounts = FeatureRun.run(inputs: try InputDiscovery.expand([path]), options: options, taxonomy: .builtIn).accounts
        let campaign = accounts.indices.filter { accounts[$0].accountID.hasPrefix("camp_") }
        let homes = accounts.indices.filter { accounts[$0].accountID.hasPrefix("home_") }
        return (accounts, campaign, homes)
    }

    @Test("the people behind a proxy pool's rented addresses are left out; a family of the group's own, or a content cluster, keeps everyone")
    func carriers() throws {
        let (accounts, campaign, homes) = try Self.accounts()
        #expect(campaign.count == 10 && homes.count == 6)
        let config = DetectionConfig()
        let index = PopulationIndex(accounts, taxonomy: .builtIn, rarity: VocabularyRarity(accounts), pivotWindowHours: config.pivotWindowHours)
        let baseline = PopulationBaseline.measure(accounts, taxonomy: .builtIn, options: config)
        var block = ClusterScoring.score(
            (campaign + homes).sorted(), accounts: accounts, links: [], baseline: baseline, taxonomy: .builtIn, index: index,
            config: config, level: 0.01, formation: .networks)
        // What the campaign half carries, by the timing family's strongest test: the pivot to the
        // release, or creation together.
        let timing = try #require(block.evidence.firstIndex { $0.family == .timing })
        block.significantFamilies = [.timing]
        block.evidence[timing].label = index.pivotLabel
        block.evidence[timing].nullMean = 0.05
        #expect(Bystanders.carriers(of: block, accounts: accounts, index: index, config: config) == campaign)
        block.evidence[timing].label = "created within a day of another member"
        #expect(Bystanders.carriers(of: block, accounts: accounts, index: index, config: config) == campaign)
        // Load balancing is the group's: every member carries it.
        block.significantFamilies = [.timing, .loadBalancing]
        #expect(Bystanders.carriers(of: block, accounts: accounts, index: index, config: config) == nil)
        // Only a block of networks has bystanders.
        block.significantFamilies = [.timing]
        block.formation = .content
        #expect(Bystanders.carriers(of: block, accounts: accounts, index: index, config: config) == nil)
    }
}
