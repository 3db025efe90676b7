// Who is in the synthetic logs: benign users, legitimate look-alikes, and campaign accounts,
// with their infrastructure, habits and per-day volumes. Built once from the seed.
import DistillDetect


public enum CampaignVariant: String, CaseIterable, Sendable, Codable {
    /// Identical templates, few datacenter subnets, shared cards, burst-created accounts,
    /// equal volumes, round-the-clock traffic.
    case basic
    /// Paraphrased templates with random slots, rotating residential-proxy IPs, unequal
    /// volumes, 20–40% innocent filler, aged accounts, traffic only in shared time windows.
    case careful
    /// Agentic tool-use trajectories with chain-of-thought elicitation; medium care.
    case agentic
}

public enum LogStyle: String, CaseIterable, Sendable, Codable {
    /// Canonical field names, RFC 3339 timestamps, `prompt` or `messages`.
    case canonical
    /// A gateway's aliases: epoch-ms `timestamp`, `user_id`, `client_ip`, `messages` with blocks.
    case gateway
    /// Days alternate between the two.
    case mixed
    /// Anthropic Messages bodies (`system` blocks, `tools`, `messages` with `tool_use` and
    /// `tool_result` blocks) under the canonical metadata names; agentic traffic as tool loops.
    case anthropicMessages = "anthropic-messages"
    /// OpenAI Responses bodies (`instructions`, `tools`, `input` with `input_text`,
    /// `function_call` and `function_call_output` items) under the canonical metadata names.
    case openAIResponses = "openai-responses"

    /// Whether agentic exchanges are written as tool loops (the same exchanges, other bodies).
    var writesToolLoops: Bool { self == .anthropicMessages || self == .openAIResponses }
}

/// Who an account is; written to labels.csv as `kind`.
public enum AccountKind: String, Sendable, Codable {
    case benign
    /// Asks popular questions verbatim, like many unrelated users.
    case popularQuestion = "popular_question"
    /// One customer's high-volume templated integration from one account with many keys.
    case integration
    /// Students behind one campus NAT IP pasting the same homework.
    case classroom
    /// Unrelated ordinary users behind the same carrier-grade NAT addresses.
    case cgnat
    /// One organisation's fleet of 40 accounts running a scheduled job at the same minute every
    /// night, from two cloud addresses, on one card, all created the same day.
    case cronFleet = "cron_fleet"
    /// An organisation running a public coding benchmark from several accounts.
    case benchmark
    /// A developer running a coding agent (a popular product or their own harness) on their
    /// own repository: long tool loops, shared product tool sets and system prompts.
    case codingAgent = "coding_agent"
    case campaign
}

struct SyntheticAccount {
    enum Addressing {
        case fixed([String])
        /// A fresh residential address for most requests (proxy reseller).
        case rotatingResidential
        /// Addresses inside a few datacenter /24s.
        case subnets([String])
    }

    var id: String
    var kind: AccountKind
    var campaign = -1
    var org: String?
    var keys: [String]
    var addressing: Addressing
    var userAgents: [String]
    var payment: String?
    var createdMs: Int64
    var country: String
    var utcOffsetHours: Int
    var topicWeights: [Double]
    var cotHabit = 0.0
    var viralRate = 0.0
    var fillerRate = 0.0
    var usesMessages: Bool
    var dayCounts: [Int]
    /// Events of the account's special workload (homework, benchmark) per day.
    var specialCounts: [Int]
    var group = 0
    var agent: CodingAgentProfile?
    /// Cron fleet: the minute after midnight UTC at which its nightly job starts.
    var cronMinute = 0
}

struct SyntheticCampaign {
    var id: String
    var variant: CampaignVariant
    var accounts: Range<Int>
    /// Per day: shared activity windows (start hour UTC, length hours).
    var windows: [[(start: Double, hours: Double)]]
    var subnets: [String]
    var payments: [String]

    /// Accounts per worker pool of a basic campaign's orchestrator (pools fire in batches).
    static let basicPoolSize = 10
}

/// The whole synthetic population and its volumes.
struct SyntheticPopulation {
    static let topics = ["coding", "agentic", "reasoning", "writing", "knowledge", "chat"]
    static let topicShares: [Double] = [0.34, 0.04, 0.10, 0.17, 0.20, 0.15]

    var accounts: [SyntheticAccount] = []
    var campaigns: [SyntheticCampaign] = []
    /// Class windows: (account group, days, start hour local).
    var classDays: [Int: [Int]] = [:]

    static let sdkAgents = [
        "python-httpx/0.27.0", "openai-python/1.52.0", "anthropic-sdk-python/0.39.0", "node-fetch/1.0",
        "axios/1.7.2", "curl/8.5.0", "Go-http-client/2.0", "okhttp/4.12.0", "python-requests/2.31.0",
        "langchain/0.2.11 python-httpx/0.27.0", "ai-sdk/3.2 node/20.11",
    ]
    static let browserAgents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    ]
    static let countries: [(code: String, offset: Int, weight: Double)] = [
        ("US", -5, 0.30), ("US", -8, 0.12), ("GB", 0, 0.07), ("DE", 1, 0.07), ("IN", 5, 0.10), ("BR", -3, 0.05),
        ("JP", 9, 0.05), ("FR", 1, 0.05), ("CA", -5, 0.04), ("AU", 10, 0.03), ("KR", 9, 0.03), ("NG", 1, 0.02),
        ("SG", 8, 0.03), ("MX", -6, 0.04),
    ]

    static func residentialIP(_ rng: inout SeededRandom) -> String {
        if rng.chance(0.12) {
            return "2a02:\(rng.hex(4)):\(rng.hex(4)):\(rng.hex(4))::\(rng.hex(3))"
        }
        let firsts = [24, 47, 67, 68, 71, 73, 76, 81, 86, 90, 93, 98, 99, 108, 109, 151, 174, 176, 185, 188, 201]
        return "\(rng.pick(firsts)).\(rng.int(0...255)).\(rng.int(0...255)).\(rng.int(1...254))"
    }

    static func datacenterSubnet(_ rng: inout SeededRandom) -> String {
        let firsts = [3, 13, 18, 34, 35, 44, 52, 54, 104, 137, 138, 139, 143, 146, 157, 159, 167, 178, 188, 195]
        return "\(rng.pick(firsts)).\(rng.int(0...255)).\(rng.int(0...255))"
    }

    init(config: GeneratorConfig) {
        var rng = SeededRandom(seed: config.seed, 1)
        let days = config.days
        let startMs = config.startMilliseconds
        let n = config.exchanges
        var usedIDs = Set<String>()
        func newID(_ prefix: String) -> String {
            while true {
                let id = prefix + rng.hex(10)
                if usedIDs.insert(id).inserted { return id }
            }
        }
        func countryPick() -> (String, Int) {
            let c = Self.countries[rng.weighted(Self.countries.map(\.weight))]
            return (c.code, c.offset)
        }
        func personalTopics() -> [Double] {
            var weights = Self.topicShares.map { $0 * 0.4 }
            weights[rng.weighted(Self.topicShares)] += 0.6
            return weights
        }

        // Budgets: campaigns ~22% of exchanges, look-alikes ~7%, benign the rest.
        let campaignBudget = config.campaigns.isEmpty ? 0 : Int(Double(n) * 0.22)
        let integrationBudget = config.lookalikes ? Int(Double(n) * 0.04) : 0
        let benchmarkBudget = config.lookalikes ? Int(Double(n) * 0.02) : 0
        let homeworkBudget = config.lookalikes ? max(60, Int(Double(n) * 0.004)) : 0
        let benignBudget = n - campaignBudget - integrationBudget - benchmarkBudget - homeworkBudget

        // NAT addresses shared by unrelated benign users (carrier-grade NAT, offices, cafés).
        let natIPs = (0..<max(4, n / 20_000)).map { _ in Self.residentialIP(&rng) }

        // Benign users: heavy-tailed volume over their active days.
        let benignCount = max(40, benignBudget / 36)
        var benignWeights: [Double] = []
        for _ in 0..<benignCount {
            let (country, offset) = countryPick()
            let browser = rng.chance(0.55)
            var ips = [Self.residentialIP(&rng)]
            if rng.chance(0.25) { ips.append(Self.residentialIP(&rng)) }
            let behindNAT = rng.chance(0.05)
            if behindNAT { ips = [rng.pick(natIPs)] }
            let account = SyntheticAccount(
                id: newID("acct_"), kind: rng.chance(0.12) ? .popularQuestion : .benign,
                org: rng.chance(0.2) ? newID("org_") : nil,
                keys: (0..<rng.int(1...2)).map { _ in newID("key_") }, addressing: .fixed(ips),
                userAgents: browser ? [rng.pick(Self.browserAgents)] : [rng.pick(Self.sdkAgents)],
                payment: rng.chance(0.85) ? newID("pm_") : nil,
                createdMs: startMs - Int64(rng.int(1...730)) * 86_400_000 - Int64(rng.int(0..<86_400_000)),
                country: country, utcOffsetHours: offset, topicWeights: personalTopics(),
                cotHabit: rng.chance(0.15) ? 0.5 : 0.03, viralRate: 0,
                usesMessages: !browser || rng.chance(0.5), dayCounts: [], specialCounts: Array(repeating: 0, count: days))
            var a = account
            if a.kind == .popularQuestion { a.viralRate = 0.25 }
            if a.kind == .benign && behindNAT { a.kind = .cgnat }
            accounts.append(a)
            benignWeights.append(rng.logNormal(median: 1, sigma: 1.3))
        }
        // Every benign account sends at least one exchange.
        let benignTotals = apportion(benignBudget - benignCount, weights: benignWeights).map { $0 + 1 }
        for i in 0..<benignCount {
            let pActive = min(1, 0.25 + Double(benignTotals[i]) / 60)
            var active = (0..<days).map { _ in rng.chance(pActive) ? rng.logNormal(median: 1, sigma: 0.5) : 0 }
            if active.allSatisfy({ $0 == 0 }) { active[rng.int(0..<days)] = 1 }
            accounts[i].dayCounts = apportion(benignTotals[i], weights: active)
        }

        if config.lookalikes {
            // One customer's templated integration: many keys, one account, cloud egress.
            let integrations = max(1, n / 500_000)
            let perIntegration = apportion(integrationBudget, weights: Array(repeating: 1, count: integrations))
            for k in 0..<integrations {
                let subnet = Self.datacenterSubnet(&rng)
                accounts.append(SyntheticAccount(
                    id: newID("acct_"), kind: .integration, org: newID("org_"),
                    keys: (0..<rng.int(20...60)).map { _ in newID("key_") },
                    addressing: .fixed((0..<3).map { _ in "\(subnet).\(rng.int(1...254))" }),
                    userAgents: ["python-requests/2.31.0"], payment: newID("pm_"),
                    createdMs: startMs - Int64(rng.int(200...900)) * 86_400_000, country: "US", utcOffsetHours: -5,
                    topicWeights: Self.topicShares, usesMessages: false,
                    dayCounts: apportion(perIntegration[k], weights: (0..<days).map { _ in rng.logNormal(median: 1, sigma: 0.1) }),
                    specialCounts: Array(repeating: 0, count: days)))
            }
            // An organisation running a public benchmark from a few accounts sharing org and card.
            let benchOrg = newID("org_")
            let benchCard = newID("pm_")
            let benchSubnet = Self.datacenterSubnet(&rng)
            let benchAccounts = 4
            let benchDays = Array(Set([rng.int(0..<days), rng.int(0..<days)])).sorted()
            let perBench = apportion(benchmarkBudget, weights: Array(repeating: 1, count: benchAccounts))
            for k in 0..<benchAccounts {
                var special = Array(repeating: 0, count: days)
                let split = apportion(perBench[k], weights: benchDays.map { _ in 1 })
                for (j, d) in benchDays.enumerated() { special[d] = split[j] }
                accounts.append(SyntheticAccount(
                    id: newID("acct_"), kind: .benchmark, org: benchOrg, keys: [newID("key_")],
                    addressing: .fixed(["\(benchSubnet).\(rng.int(1...254))"]), userAgents: ["lm-eval-harness/0.4.2 python-httpx/0.27.0"],
                    payment: benchCard, createdMs: startMs - Int64(rng.int(30...400)) * 86_400_000, country: "DE",
                    utcOffsetHours: 1, topicWeights: Self.topicShares, usesMessages: true,
                    dayCounts: Array(repeating: 0, count: days), specialCounts: special, group: 1))
            }
            // A class behind one campus NAT IP: each student also has ordinary traffic.
            let classes = max(1, n / 500_000)
            let perClass = apportion(homeworkBudget, weights: Array(repeating: 1, count: classes))
            for c in 0..<classes {
                let campusIP = Self.residentialIP(&rng)
                let students = min(35, max(10, perClass[c] / 6))
                let classDaysChosen = Array(Set([rng.int(0..<days), rng.int(0..<days)])).sorted()
                classDays[100 + c] = classDaysChosen
                let perStudent = apportion(perClass[c], weights: Array(repeating: 1, count: students))
                for s in 0..<students {
                    // Half the student's exchanges are the class's homework, half their own.
                    let homework = max(1, perStudent[s] / 2)
                    var special = Array(repeating: 0, count: days)
                    let split = apportion(homework, weights: classDaysChosen.map { _ in 1 })
                    for (j, d) in classDaysChosen.enumerated() { special[d] = split[j] }
                    let ordinary = apportion(perStudent[s] - homework, weights: (0..<days).map { _ in rng.unit() + 0.01 })
                    let home = Self.residentialIP(&rng)
                    accounts.append(SyntheticAccount(
                        id: newID("acct_"), kind: .classroom, keys: [newID("key_")], addressing: .fixed([campusIP, home]),
                        userAgents: [rng.pick(Self.browserAgents)], payment: rng.chance(0.7) ? newID("pm_") : nil,
                        createdMs: startMs - Int64(rng.int(20...500)) * 86_400_000, country: "US", utcOffsetHours: -5,
                        topicWeights: personalTopics(), cotHabit: 0.05, usesMessages: false,
                        dayCounts: ordinary, specialCounts: special, group: 100 + c))
                }
            }
        }

        // Campaigns.
        let perCampaign = apportion(campaignBudget, weights: config.campaigns.map { _ in 1 })
        for (c, variant) in config.campaigns.enumerated() {
            let budget = perCampaign[c]
            let count = max(12, budget / (26 * days))
            let first = accounts.count
            let subnets = (0..<(variant == .basic ? 3 : 6)).map { _ in Self.datacenterSubnet(&rng) }
            let payments = (0..<(variant == .basic ? 3 : 8)).map { _ in newID("pm_") }
            var windows: [[(start: Double, hours: Double)]] = []
            for _ in 0..<days {
                windows.append((0..<2).map { _ in (Double(rng.int(0...20)) + rng.unit(), 2 + rng.unit() * 2) })
            }
            var weights: [Double]
            switch variant {
            case .basic: weights = Array(repeating: 1, count: count)
            case .careful: weights = (0..<count).map { _ in rng.logNormal(median: 1, sigma: 0.8) }
            case .agentic: weights = (0..<count).map { _ in rng.logNormal(median: 1, sigma: 0.35) }
            }
            let totals = apportion(budget, weights: weights)
            let burstDay = startMs - Int64(rng.int(3...10)) * 86_400_000
            for k in 0..<count {
                let (country, offset) = countryPick()
                let created: Int64
                switch variant {
                case .basic: created = burstDay + Int64(k % 2) * 86_400_000 + Int64(rng.int(0..<(3 * 3_600_000)))
                case .agentic: created = burstDay - Int64(rng.int(0..<(12 * 86_400_000)))
                case .careful: created = startMs - Int64(rng.int(90...800)) * 86_400_000
                }
                let addressing: SyntheticAccount.Addressing
                switch variant {
                case .basic: addressing = .subnets(subnets)
                case .agentic: addressing = rng.chance(0.5) ? .subnets(subnets) : .rotatingResidential
                case .careful: addressing = .rotatingResidential
                }
                let dayWeights: [Double]
                switch variant {
                case .basic: dayWeights = Array(repeating: 1, count: days)
                default: dayWeights = (0..<days).map { _ in rng.logNormal(median: 1, sigma: 0.4) }
                }
                accounts.append(SyntheticAccount(
                    id: newID("acct_"), kind: .campaign, campaign: c, org: nil,
                    keys: (0..<rng.int(1...3)).map { _ in newID("key_") }, addressing: addressing,
                    userAgents: variant == .careful ? [rng.pick(Self.sdkAgents + Self.browserAgents)] : ["python-httpx/0.27.0"],
                    payment: variant == .careful ? (rng.chance(0.8) ? newID("pm_") : nil) : rng.pick(payments),
                    createdMs: created, country: country, utcOffsetHours: offset, topicWeights: personalTopics(),
                    fillerRate: variant == .careful ? 0.2 + rng.unit() * 0.2 : (variant == .agentic ? 0.08 : 0),
                    usesMessages: variant != .basic, dayCounts: apportion(totals[k], weights: dayWeights),
                    specialCounts: Array(repeating: 0, count: days)))
            }
            campaigns.append(SyntheticCampaign(
                id: "C\(c + 1)-\(variant.rawValue)", variant: variant, accounts: first..<accounts.count,
                windows: windows, subnets: subnets, payments: payments))
        }
        addCodingAgents(config: config, usedIDs: &usedIDs)
        if config.lookalikes { addCronFleet(config: config, usedIDs: &usedIDs) }
    }

    /// One organisation's cron fleet: 40 accounts under one org id and one card, created the same
    /// day, each running a nightly job (3–6 templated requests) at the same minute from two
    /// addresses of one cloud /24. Drawn from its own stream and added last, so every other
    /// account's traffic is as it was without it.
    mutating func addCronFleet(config: GeneratorConfig, usedIDs: inout Set<String>) {
        var rng = SeededRandom(seed: config.seed, 7)
        func newID(_ prefix: String) -> String {
            while true {
                let id = prefix + rng.hex(10)
                if usedIDs.insert(id).inserted { return id }
            }
        }
        let org = newID("org_")
        let card = newID("pm_")
        let subnet = Self.datacenterSubnet(&rng)
        let addresses = (0..<2).map { _ in "\(subnet).\(rng.int(2...250))" }
        let created = config.startMilliseconds - Int64(rng.int(60...400)) * 86_400_000
        let minute = 120 + rng.int(0..<60)
        for _ in 0..<40 {
            accounts.append(SyntheticAccount(
                id: newID("acct_"), kind: .cronFleet, org: org, keys: [newID("key_")], addressing: .fixed(addresses),
                userAgents: ["aiohttp/3.9.5 Python/3.11"], payment: card, createdMs: created + Int64(rng.int(0..<900_000)),
                country: "US", utcOffsetHours: -5, topicWeights: Self.topicShares, usesMessages: false,
                dayCounts: (0..<config.days).map { _ in rng.int(3...6) }, specialCounts: Array(repeating: 0, count: config.days),
                cronMinute: minute))
        }
    }

    /// Developers running coding agents on their own repositories: ~4% of the exchanges, on
    /// top of the budgets above and drawn from their own stream, so that adding them left every
    /// other account's traffic as it was. Volume is heavy-tailed, on working days.
    mutating func addCodingAgents(config: GeneratorConfig, usedIDs: inout Set<String>) {
        var rng = SeededRandom(seed: config.seed, 6)
        let days = config.days
        let startMs = config.startMilliseconds
        let budget = max(60, Int(Double(config.exchanges) * 0.04))
        let count = max(6, budget / (40 * days))
        func newID(_ prefix: String) -> String {
            while true {
                let id = prefix + rng.hex(10)
                if usedIDs.insert(id).inserted { return id }
            }
        }
        let firstDay = Int(startMs / 86_400_000)
        let weekend = (0..<days).map { d in [0, 6].contains((firstDay + d + 4) % 7) }
        let totals = apportion(budget, weights: (0..<count).map { _ in rng.logNormal(median: 1, sigma: 0.9) })
        for k in 0..<count {
            let c = Self.countries[rng.weighted(Self.countries.map(\.weight))]
            let profile = CodingAgentProfile(&rng)
            let agents: [String]
            switch profile.product {
            // Products ship often and users update at their own pace: many versions in use.
            case .terminalAgent: agents = ["claude-cli/1.0.\(rng.int(30...128)) (external, \(rng.chance(0.85) ? "cli" : "sdk-ts"))"]
            case .patchAgent: agents = ["codex_cli_rs/0.\(rng.int(10...48)).\(rng.int(0...2))"]
            case .ownHarness: agents = [rng.pick(Self.sdkAgents)]
            }
            var ips = [Self.residentialIP(&rng)]
            if rng.chance(0.4) { ips.append(Self.residentialIP(&rng)) }
            var active = (0..<days).map { d in rng.chance(weekend[d] ? 0.25 : 0.85) ? rng.logNormal(median: 1, sigma: 0.5) : 0 }
            if active.allSatisfy({ $0 == 0 }) { active[rng.int(0..<days)] = 1 }
            accounts.append(SyntheticAccount(
                id: newID("acct_"), kind: .codingAgent, org: rng.chance(0.5) ? newID("org_") : nil,
                keys: (0..<rng.int(1...2)).map { _ in newID("key_") }, addressing: .fixed(ips), userAgents: agents,
                payment: rng.chance(0.9) ? newID("pm_") : nil,
                createdMs: startMs - Int64(rng.int(20...900)) * 86_400_000 - Int64(rng.int(0..<86_400_000)),
                country: c.code, utcOffsetHours: c.offset, topicWeights: Self.topicShares, cotHabit: 0,
                usesMessages: true, dayCounts: apportion(totals[k], weights: active),
                specialCounts: Array(repeating: 0, count: days), agent: profile))
        }
    }
}
