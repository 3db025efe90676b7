// Stage 7: each cluster against the population. No single signal flags anyone: each evidence
// family (content, capability, infrastructure, timing, load balancing) is measured against
// volume-matched random groups of the same run (`NullModel`), and a cluster is reported when
// enough independent families stand out at a level set by the expected number of false
// clusters per run. Every score carries its reasons, each figure beside its null reference.
import Foundation

/// What the population looks like, for comparison.
public struct PopulationBaseline: Sendable {
    /// Share of all prompts in the taxonomy's extraction-target topics.
    public var extractionShare: Double
    public var chainOfThoughtShare: Double
    /// Median and 95th percentile of vocabulary similarity between random linkable accounts.
    public var contentMedian: Double
    public var contentP95: Double

    public static func measure(_ accounts: [AccountState], taxonomy: CompiledTaxonomy, options: DetectionConfig) -> PopulationBaseline {
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
    /// Distinct prompt templates the members kept (bottom-k per account, merged).
    public var distinctTemplates: Int
    /// Each family's evidence, in `EvidenceFamily` order.
    public var evidence: [FamilyEvidence]
    /// What the cluster was formed by; the tests of what formed it are left out.
    public var formation: CandidateFormation
    /// The families whose evidence formed the cluster: empty for a content cluster (vocabulary
    /// similarity, which no test uses).
    public var linkedBy: Set<EvidenceFamily> { formation.families }
    /// Families significant at the run's level that count towards reporting.
    public var significantFamilies: [EvidenceFamily]
    /// Whether an exculpation applies (one organisation, one site, few templates).
    public var exculpated: Bool
    /// Whether the cluster is reported, and in words why or why not.
    public var isReported: Bool
    public var verdict: String
    public var reasons: String
}

public enum ClusterScoring {
    static func clamp(_ x: Double) -> Double { min(1, max(0, x)) }

    /// The significance level α each family is tested at, so that the expected number of
    /// benign clusters reported per run is `maxFalseClusters`: with `candidates` clusters, `k`
    /// families that count and `r` required, a benign cluster is reported when r of its k
    /// (independent, uniform under the null) p-values fall below α, which happens with
    /// probability at most C(k, r)·αʳ; so α = (E / (candidates · C(k, r)))^(1/r).
    public static func familyLevel(candidates: Int, config: DetectionConfig, countedFamilies: Int = EvidenceFamily.allCases.count) -> Double {
        let r = max(1, config.requiredFamilies)
        let k = max(r, countedFamilies)
        var combinations = 1.0
        for i in 0..<r { combinations *= Double(k - i) / Double(i + 1) }
        let bound = config.maxFalseClusters / (Double(max(1, candidates)) * combinations)
        return min(0.5, pow(bound, 1 / Double(r)))
    }

    /// Scores one cluster; `links` are the links between its members, `level` the family
    /// significance level of the run (`familyLevel`).
    static func score(
        _ members: [Int], accounts: [AccountState], links: [AccountLink], baseline: PopulationBaseline,
        taxonomy: CompiledTaxonomy, index: PopulationIndex, config: DetectionConfig, level: Double,
        formation: CandidateFormation = .content, bursts: CreationBursts? = nil
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
        var networks: [UInt64: Int] = [:]
        var payments: [UInt64: Int] = [:]
        var orgs: [UInt64: Int] = [:]
        // Members per IP address; its keys are the members' distinct addresses.
        var addresses: [UInt64: Int] = [:]
        var templates: [UInt64: Int] = [:]
        for m in members {
            prompts += accounts[m].withPrompt
            cot += accounts[m].chainOfThought
            for e in accounts[m].topics.entries {
                if Int(e.key) < topicCounts.count { topicCounts[Int(e.key)] += Int(e.count) }
                if targets.contains(e.key) { extraction += Int(e.count) }
            }
            for h in accounts[m].ips.values.hashes { addresses[h, default: 0] += 1 }
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
        // Synchrony: mean similarity of (10-minute bucket, near-duplicate prompt) actions along
        // links, from the sketches the index holds densified (the same figure as
        // `MinHashSketch.similarity`, without densifying both sketches of every link again).
        let synchrony = internalLinks.isEmpty ? 0 : internalLinks.prefix(2000).reduce(0) { sum, link in
            guard index.count == accounts.count else {
                return sum + MinHashSketch.similarity(accounts[link.a].synchronySketch, accounts[link.b].synchronySketch)
            }
            guard index.hasSynchrony(link.a), index.hasSynchrony(link.b) else { return sum }
            return sum + Double(index.synchronyAgreement(link.a, link.b)) / Double(AccountState.synchronyBins)
        } / Double(min(internalLinks.count, 2000))
        let sharedNetworkShare = Double(members.filter { m in accounts[m].networks.values.hashes.contains { networks[$0, default: 0] > 1 } }.count) / Double(n)
        let sharedPayments = payments.values.filter { $0 > 1 }.count
        let paymentShare = Double(members.filter { m in accounts[m].payments.values.hashes.contains { payments[$0, default: 0] > 1 } }.count) / Double(n)
        let orgShare = Double(orgs.values.max() ?? 0) / Double(n)
        let siteShare = Double(addresses.values.max() ?? 0) / Double(n)
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
        func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }

        // A content cluster was linked for similar text with agreeing capability profiles, so its
        // two text families, content and capability, follow from what selected it, and count as
        // one: a community that shares text by what it is (a class's homework, one agent's tool
        // output, popular questions and follow-ups, the users of a tool that wraps every request
        // in its fixed instruction) shares its text and topics by selection, not coordination,
        // and needs evidence beyond the text. (Counting them as two where the members' templates
        // were diverse reported the users of such a tool once near-duplicate prompts were
        // tested: each request a template of its own, the instruction one near duplicate.) A
        // cluster formed otherwise (a block of shared networks or credentials, a synchrony
        // group) was not chosen for its text, and its text families count as two: a campaign
        // of aged accounts behind a proxy pool, low and slow, has nothing else (counting them
        // once everywhere lost such campaigns made by other hands, F1 1.000 to 0).
        let textCountsOnce = formation == .content
        // Evidence, family by family, against random groups of the same size and volumes.
        let evidence = NullModel.evidence(
            for: members, index: index, config: config, level: level, formation: formation, textCountsOnce: textCountsOnce)
        // What the cluster was formed by is significant by construction: a block of shared
        // networks is tested on its cards, keys and agents only (NullModel leaves the network
        // test out); content clusters are formed by vocabulary, which no test uses.
        // With `textCountsOnce`, the text families count once, by the smaller of their p-values.
        let counted = evidence.filter(\.available)
        var independent = counted.filter { !textCountsOnce || ($0.family != .content && $0.family != .capability) }.map(\.pValue)
        let text = counted.filter { textCountsOnce && ($0.family == .content || $0.family == .capability) }.map(\.pValue)
        if let p = text.min() { independent.append(p) }
        let ranked = independent.sorted()
        let required = max(1, config.requiredFamilies)
        let decisive = ranked.count >= required ? ranked[required - 1] : 1
        let significant = counted.filter { $0.pValue <= level }.map(\.family)
        let independentSignificant = EvidenceFamily.independentCount(significant, textCountsOnce: textCountsOnce)
        // Score: 0.5 where the `required`-th strongest family sits exactly at the level, 1 at
        // the level squared; monotone in the evidence.
        var score = decisive >= 1 ? 0 : clamp(0.5 * log(max(decisive, 1e-300)) / log(level))
        var exculpation: [String] = []
        if orgShare >= config.maxOrgShare {
            score *= 1 - orgShare
            exculpation.append("\(pct(orgShare)) of the accounts belong to one organisation: one customer acting openly")
        }
        // One site: most members behind one address, and apart from it few addresses in all, or
        // few that members share with each other (each has a home of their own).
        let site = addresses.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        let sharedElsewhere = addresses.filter { $0.key != site && $0.value > 1 }.count
        if siteShare >= config.maxSiteShare
            && (Double(addresses.count) <= config.siteAddressesPerAccount * Double(n)
                || Double(sharedElsewhere) <= config.siteSharedAddressesPerAccount * Double(n)) {
            score *= 1 - siteShare
            exculpation.append("\(pct(siteShare)) of the accounts are behind one IP address and use \(addresses.count) addresses in all, \(sharedElsewhere) of the others shared between members: one site (a campus or office NAT)")
        }
        // Several sites: classes or offices at several places. Most members share exactly one
        // address with other members (their campus or office NAT), each such address the site of
        // `minClusterSize` members or more on average, and use addresses of their own besides
        // (homes, phones). A campaign's accounts share several of their pool's exits, and
        // accounts parked on one server have no address of their own.
        if exculpation.isEmpty {
            var siteOf: [UInt64] = []
            for m in members {
                let ownIPs = accounts[m].ips.values.hashes
                let shared = ownIPs.filter { addresses[$0, default: 0] > 1 }
                if shared.count == 1 && ownIPs.count >= 2 { siteOf.append(shared[0]) }
            }
            let sites = Set(siteOf).count
            if Double(siteOf.count) >= config.maxSiteShare * Double(n) && siteOf.count >= config.minClusterSize * sites {
                score *= 1 - Double(siteOf.count) / Double(n)
                exculpation.append("\(pct(Double(siteOf.count) / Double(n))) of the accounts share exactly one address with other members, one of \(sites) sites of \(siteOf.count / max(1, sites)) accounts on average, and use addresses of their own besides: people at several sites (campus or office NATs)")
            }
        }
        if prompts > 0 && templates.count < config.minDistinctTemplates {
            score *= Double(templates.count) / Double(config.minDistinctTemplates)
            exculpation.append("together they use only \(templates.count) distinct prompt templates: repeated prompts, not systematic coverage")
        }
        let isReported: Bool
        if let threshold = config.threshold {
            isReported = score >= threshold
        } else {
            isReported = independentSignificant >= required && exculpation.isEmpty
        }
        let textOnce = independentSignificant < significant.count
            ? " (content and capability counted once: linked by their text, which brings its topics with it)" : ""
        var verdict: String
        if isReported {
            verdict = "reported: \(independentSignificant) independent families significant at p <= \(String(format: "%.2g", level))\(textOnce)"
        } else if !exculpation.isEmpty {
            verdict = "not reported: " + exculpation.joined(separator: "; ")
        } else {
            verdict = "not reported: \(independentSignificant) of \(required) required independent families significant at p <= \(String(format: "%.2g", level))\(textOnce)"
        }
        if config.threshold != nil { verdict += " (score threshold \(config.threshold!))" }

        var reasons: [String] = []
        let formedBy: String
        switch formation {
        case .networks: formedBy = "a dense block of shared /24 or /48 networks"
        case .credentials: formedBy = "a dense block of shared payment fingerprints, API keys, rare user agents and creation bursts"
        case .synchrony:
            formedBy = "acting in sync: linked by rarity-weighted synchrony of their (10-minute bucket, network) and (10-minute bucket, model, endpoint, user agent) actions"
        case .content: formedBy = "linked by rarity-weighted shared vocabulary (mean \(String(format: "%.2f", contentSimilarity)))"
        }
        reasons.append("\(n) accounts sending \(exchanges) exchanges, " + formedBy)
        // Synchrony in plain words: of the members' sampled actions (action-sketch items), how
        // many another member took in the same bucket, beside random groups' figure.
        var actionCounts: [UInt32: Int] = [:]
        var sampled = 0
        for m in members {
            accounts[m].actionSketch.forEachFilledBin { b, v in
                actionCounts[UInt32(b) << 16 | UInt32(v), default: 0] += 1
                sampled += 1
            }
        }
        if sampled > 0 {
            let together = actionCounts.values.filter { $0 > 1 }.reduce(0, +)
            let share = Double(together) / Double(sampled)
            if share >= 0.2 || formation == .synchrony {
                var sentence = "\(n) accounts acted in the same \(config.synchronyBucketMinutes)-minute buckets: \(together) of their \(sampled) sampled actions (\(pct(share))) were also taken by another member"
                if let e = evidence.first(where: { $0.family == .timing }), let figure = e.actionSynchrony, let null = e.actionSynchronyNullMean {
                    sentence += "; weighted by rarity \(String(format: "%.2f", figure)), expected \(String(format: "%.3f", null)) for random groups of \(min(n, config.maxMeasuredMembers))"
                }
                reasons.append(sentence)
            }
        }
        for e in evidence where e.available {
            let tag = e.pValue <= level ? " (significant)" : ""
            reasons.append("\(e.family.name)\(tag): \(e.label) \(String(format: "%.2f", e.statistic)) vs \(String(format: "%.2f", e.nullMean)) for random groups of \(min(n, config.maxMeasuredMembers)), p = \(String(format: "%.2g", e.pValue))")
        }
        if extractionShare > baseline.extractionShare + 0.1 { reasons.append("\(pct(extractionShare)) of prompts target \(names[topIndex].replacingOccurrences(of: "_", with: " ")) and other extraction capabilities (population \(pct(baseline.extractionShare)))") }
        if cotShare > baseline.chainOfThoughtShare + 0.1 { reasons.append("\(pct(cotShare)) request step-by-step reasoning (population \(pct(baseline.chainOfThoughtShare)))") }
        if sharedPayments > 0 { reasons.append("\(sharedPayments) payment fingerprints shared across \(pct(paymentShare)) of the accounts") }
        if sharedNetworkShare > 0.3 { reasons.append("\(pct(sharedNetworkShare)) share /24 or /48 networks with other members") }
        if let bursts {
            // Creation bursts in plain words, beside the sign-ups the run's rate predicts.
            var inBurst: [Int: Int] = [:]
            for m in members { if let b = bursts.burstOf[m] { inBurst[b, default: 0] += 1 } }
            let created = inBurst.values.reduce(0, +)
            if created >= 2 && Double(created) >= 0.2 * Double(n) {
                let used = inBurst.keys.sorted().map { bursts.bursts[$0] }
                let hours = used.reduce(0) { $0 + $1.hours }
                let signups = used.reduce(0) { $0 + $1.accounts }
                let expected = used.reduce(0.0) { $0 + $1.expected }
                reasons.append("\(created) of the \(n) accounts were created in \(used.count) creation burst\(used.count == 1 ? "" : "s") (\(hours) hour\(hours == 1 ? "" : "s") with \(signups) sign-ups where the run's sign-up rate predicts \(String(format: "%.1f", expected)))")
            }
        }
        if burstShare > 0.5, let spreadHours { reasons.append("\(pct(burstShare)) created within a day of the median (10–90% spread \(Int(spreadHours.rounded())) h)") }
        for e in exculpation { reasons.append("but " + e) }

        return ScoredCluster(
            members: members, score: score, exchanges: exchanges,
            inputTokens: members.map { accounts[$0].inputTokens }.saturatingSum(), outputTokens: members.map { accounts[$0].outputTokens }.saturatingSum(),
            firstSeen: members.map { accounts[$0].firstSeen }.min() ?? 0, lastSeen: members.map { accounts[$0].lastSeen }.max() ?? 0,
            distinctIPs: addresses.count, distinctNetworks: networks.count, sharedPayments: sharedPayments,
            topTopic: names[topIndex], topTopicShare: topShare, extractionShare: extractionShare,
            templateSharing: templateSharing, chainOfThoughtShare: cotShare, contentSimilarity: contentSimilarity,
            synchrony: synchrony, creationSpreadHours: spreadHours, createdInBurstShare: burstShare, volumeCV: cv,
            sharedNetworkShare: sharedNetworkShare, orgShare: orgShare, distinctTemplates: templates.count, evidence: evidence,
            formation: formation, significantFamilies: significant, exculpated: !exculpation.isEmpty, isReported: isReported, verdict: verdict,
            reasons: reasons.joined(separator: "; "))
    }
}
