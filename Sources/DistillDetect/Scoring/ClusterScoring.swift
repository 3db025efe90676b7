// Stage 7: each cluster against the population. No single signal flags anyone: the score
// combines content homogeneity, capability focus, chain-of-thought elicitation, shared
// infrastructure, creation bursts and volume uniformity, each measured against the
// population of accounts in the same run, and every score carries its reasons.
import Foundation

/// What the population looks like, for comparison.
public struct PopulationBaseline: Sendable {
    /// Share of all prompts in the taxonomy's extraction-target topics.
    public var extractionShare: Double
    public var chainOfThoughtShare: Double
    /// Median and 95th percentile of vocabulary similarity between random linkable accounts.
    public var contentMedian: Double
    public var contentP95: Double

    public static func measure(_ accounts: [AccountState], taxonomy: CompiledTaxonomy, options: DetectionOptions) -> PopulationBaseline {
        let targets = Set(taxonomy.taxonomy.topics.enumerated().filter { $0.element.extractionTarget }.map { UInt16($0.offset) })
        var prompts = 0
        var extraction = 0
        var cot = 0
        for i in accounts.indices {
            prompts += accounts[i].withPrompt
            cot += accounts[i].chainOfThought
            for e in accounts[i].topics.entries where targets.contains(e.key) { extraction += Int(e.count) }
        }
        let eligible = accounts.indices.filter {
            accounts[$0].withPrompt >= options.minPrompts && AccountLinkage.filledBins(accounts[$0].vocabulary) >= options.minVocabularyBins
        }
        var rng = SeededRandom(seed: 0xBA5E)
        var sims: [Double] = []
        if eligible.count > 1 {
            for _ in 0..<min(2000, eligible.count * 4) {
                let x = rng.int(0..<eligible.count)
                let y = rng.int(0..<eligible.count)
                if x != y { sims.append(MinHashSketch.similarity(accounts[eligible[x]].vocabulary, accounts[eligible[y]].vocabulary)) }
            }
        }
        sims.sort()
        func q(_ p: Double) -> Double { sims.isEmpty ? 0 : sims[min(sims.count - 1, Int(Double(sims.count) * p))] }
        return PopulationBaseline(
            extractionShare: prompts == 0 ? 0 : Double(extraction) / Double(prompts),
            chainOfThoughtShare: prompts == 0 ? 0 : Double(cot) / Double(prompts),
            contentMedian: q(0.5), contentP95: q(0.95))
    }
}

/// A scored cluster with the figures behind its score.
public struct ScoredCluster: Sendable {
    public var members: [Int]
    public var score: Double
    public var exchanges: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var distinctIPs: Int
    public var distinctNetworks: Int
    public var sharedPayments: Int
    public var topTopic: String
    public var topTopicShare: Double
    public var extractionShare: Double
    public var templateSharing: Double
    public var chainOfThoughtShare: Double
    public var contentSimilarity: Double
    public var synchrony: Double
    public var creationSpreadHours: Double?
    public var createdInBurstShare: Double
    public var volumeCV: Double
    public var sharedNetworkShare: Double
    public var orgShare: Double
    public var reasons: String
}

public enum ClusterScoring {
    static func clamp(_ x: Double) -> Double { min(1, max(0, x)) }

    /// Scores one cluster; `links` are the links between its members.
    public static func score(
        _ members: [Int], accounts: [AccountState], links: [AccountLink], baseline: PopulationBaseline,
        taxonomy: CompiledTaxonomy
    ) -> ScoredCluster {
        // Members are read in place (`accounts[m].field`): a copy of an account's state would
        // retain each of its buffers.
        let n = members.count
        let names = taxonomy.topicNames
        let targets = Set(taxonomy.taxonomy.topics.enumerated().filter { $0.element.extractionTarget }.map { UInt16($0.offset) })
        var prompts = 0
        var cot = 0
        var extraction = 0
        var topicCounts = [Int](repeating: 0, count: names.count)
        var ips = Set<UInt64>()
        var networks: [UInt64: Int] = [:]
        var payments: [UInt64: Int] = [:]
        var orgs: [UInt64: Int] = [:]
        var templates: [UInt64: Int] = [:]
        for m in members {
            prompts += accounts[m].withPrompt
            cot += accounts[m].chainOfThought
            for e in accounts[m].topics.entries {
                if Int(e.key) < topicCounts.count { topicCounts[Int(e.key)] += Int(e.count) }
                if targets.contains(e.key) { extraction += Int(e.count) }
            }
            ips.formUnion(accounts[m].ips.values.hashes)
            for h in accounts[m].networks.values.hashes { networks[h, default: 0] += 1 }
            for h in accounts[m].payments.values.hashes { payments[h, default: 0] += 1 }
            for h in accounts[m].orgs.values.hashes { orgs[h, default: 0] += 1 }
            for h in accounts[m].templates.hashes { templates[h, default: 0] += 1 }
        }
        let exchanges = members.map { accounts[$0].exchanges }.saturatingSum()
        let volumes = members.map { Double(accounts[$0].exchanges) }
        let mean = volumes.reduce(0, +) / Double(n)
        let cv = n > 1 ? (volumes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot() / max(mean, 1) : 0
        let internalLinks = links
        let contentSimilarity = internalLinks.isEmpty ? 0 : internalLinks.reduce(0) { $0 + $1.content } / Double(internalLinks.count)
        // Synchrony: mean similarity of (10-minute bucket, near-duplicate prompt) actions along links.
        let synchrony = internalLinks.isEmpty ? 0 : internalLinks.prefix(2000).reduce(0) {
            $0 + MinHashSketch.similarity(accounts[$1.a].synchronySketch, accounts[$1.b].synchronySketch)
        } / Double(min(internalLinks.count, 2000))
        let sharedNetworkShare = Double(members.filter { m in accounts[m].networks.values.hashes.contains { networks[$0, default: 0] > 1 } }.count) / Double(n)
        let sharedPayments = payments.values.filter { $0 > 1 }.count
        let paymentShare = Double(members.filter { m in accounts[m].payments.values.hashes.contains { payments[$0, default: 0] > 1 } }.count) / Double(n)
        let orgShare = Double(orgs.values.max() ?? 0) / Double(n)
        // Template sharing: share of the members' kept templates that another member also used.
        let keptTemplates = members.reduce(0) { $0 + accounts[$1].templates.hashes.count }
        let sharedTemplates = members.reduce(0) { total, m in total + accounts[m].templates.hashes.filter { templates[$0, default: 0] > 1 }.count }
        let templateSharing = keptTemplates == 0 ? 0 : Double(sharedTemplates) / Double(keptTemplates)
        // Creation: share of members created within 24 hours of the cluster's median creation.
        let created = members.compactMap { accounts[$0].createdAt }.sorted()
        var spreadHours: Double?
        var burstShare = 0.0
        if created.count >= 2 {
            let p10 = created[created.count / 10]
            let p90 = created[min(created.count - 1, created.count * 9 / 10)]
            spreadHours = Double(p90 - p10) / 3_600_000
            let median = created[created.count / 2]
            burstShare = Double(created.filter { abs($0 - median) <= 86_400_000 }.count) / Double(n)
        }
        let extractionShare = prompts == 0 ? 0 : Double(extraction) / Double(prompts)
        let cotShare = prompts == 0 ? 0 : Double(cot) / Double(prompts)
        let topIndex = topicCounts.indices.max { (topicCounts[$0], -$0) < (topicCounts[$1], -$1) } ?? 0
        let topShare = prompts == 0 ? 0 : Double(topicCounts[topIndex]) / Double(prompts)

        // Components, each 0…1 relative to the population.
        let sContent = clamp((contentSimilarity - baseline.contentP95) / max(0.05, 0.7 - baseline.contentP95))
        let sFocus = clamp((extractionShare - baseline.extractionShare) / max(0.05, 0.95 - baseline.extractionShare))
        let sCoT = clamp((cotShare - baseline.chainOfThoughtShare) / max(0.05, 0.7 - baseline.chainOfThoughtShare))
        let sInfra = max(paymentShare, 0.6 * sharedNetworkShare)
        let sCreation = clamp((burstShare - 0.3) / 0.5)
        let sUniform = n >= 3 ? clamp(1 - cv / 1.2) : 0
        let sSize = clamp(Double(n - 2) / 8)
        // Content homogeneity links accounts but also groups heavy ordinary users of common
        // phrasing; capability focus and reasoning elicitation are what set campaigns apart.
        var score = 0.20 * sContent + 0.30 * sFocus + 0.25 * sCoT + 0.10 * sInfra + 0.075 * sCreation + 0.075 * sUniform
        score *= 0.5 + 0.5 * sSize
        // Accounts of one organisation are one customer, openly.
        score *= 1 - orgShare
        // Distillation covers a capability systematically, with many distinct prompt
        // templates; accounts repeating a handful of prompts (a class pasting its homework,
        // popular questions) are copying, not extracting.
        let coverage = clamp(Double(templates.count) / 30)
        score *= coverage

        var reasons: [String] = []
        func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
        reasons.append("\(n) accounts sending \(exchanges) exchanges share \(pct(templateSharing)) of their prompt templates (vocabulary similarity \(String(format: "%.2f", contentSimilarity)) vs \(String(format: "%.2f", baseline.contentP95)) for the 95th percentile of random account pairs)")
        if sFocus > 0.3 { reasons.append("\(pct(extractionShare)) of prompts target \(names[topIndex].replacingOccurrences(of: "_", with: " ")) and other extraction capabilities (population \(pct(baseline.extractionShare)))") }
        if sCoT > 0.2 { reasons.append("\(pct(cotShare)) request step-by-step reasoning (population \(pct(baseline.chainOfThoughtShare)))") }
        if sharedPayments > 0 { reasons.append("\(sharedPayments) payment fingerprints shared across \(pct(paymentShare)) of the accounts") }
        if sharedNetworkShare > 0.3 { reasons.append("\(pct(sharedNetworkShare)) share /24 or /48 networks with other members") }
        if sCreation > 0.3, let spreadHours { reasons.append("\(pct(burstShare)) created within a day of each other (10–90% spread \(Int(spreadHours.rounded())) h)") }
        if sUniform > 0.5 { reasons.append("volumes are uniform across accounts (CV \(String(format: "%.2f", cv)))") }
        if orgShare >= 0.5 { reasons.append("but \(pct(orgShare)) belong to one organisation, so they are one customer") }
        if coverage < 1 { reasons.append("but together they use only \(templates.count) distinct prompt templates (repeated prompts, not systematic coverage)") }

        return ScoredCluster(
            members: members, score: score, exchanges: exchanges,
            inputTokens: members.map { accounts[$0].inputTokens }.saturatingSum(), outputTokens: members.map { accounts[$0].outputTokens }.saturatingSum(),
            firstSeen: members.map { accounts[$0].firstSeen }.min() ?? 0, lastSeen: members.map { accounts[$0].lastSeen }.max() ?? 0,
            distinctIPs: ips.count, distinctNetworks: networks.count, sharedPayments: sharedPayments,
            topTopic: names[topIndex], topTopicShare: topShare, extractionShare: extractionShare,
            templateSharing: templateSharing, chainOfThoughtShare: cotShare, contentSimilarity: contentSimilarity,
            synchrony: synchrony, creationSpreadHours: spreadHours, createdInBurstShare: burstShare, volumeCV: cv,
            sharedNetworkShare: sharedNetworkShare, orgShare: orgShare, reasons: reasons.joined(separator: "; "))
    }
}
