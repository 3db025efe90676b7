// Stages 5–7 together: link, cluster and score the accounts of a run.

public struct DetectionResult: Sendable {
    /// Reported clusters, highest score first.
    public var reported: [ScoredCluster]
    /// Every cluster of at least the minimum size, scored, reported or not (the near misses),
    /// highest score first.
    public var candidates: [ScoredCluster]
    public var links: Int
    public var baseline: PopulationBaseline
    /// The significance level each family was tested at (`ClusterScoring.familyLevel`).
    public var familyLevel: Double
    public var config: DetectionConfig
    /// Wall seconds per stage: `linkage`, `clustering`, `synchrony`, `credentials`, `scoring`
    /// (the population baseline, the null model's index, every candidate scored, the final
    /// ranking), `communities` (reported clusters split along their content communities, the
    /// parts scored) and `attachment` (accounts attached to reported clusters, which are scored
    /// again, and blocks merged by shared credentials).
    public var seconds: [String: Double]
    /// Supported synchrony links (0 when synchrony linkage is off).
    public var synchronyLinks = 0
    public var synchronyGroups = 0
    /// Creation bursts found, and candidates formed by dense blocks of shared credentials.
    public var creationBursts = 0
    public var credentialBlocks = 0

    /// Every cluster of at least the minimum size that was scored.
    public var scoredClusters: Int { candidates.count }
}

public enum CampaignDetection {
    /// `candidates`: linkage candidate pairs found outside (by grouping `LinkageKeys`), used
    /// instead of grouping the keys here; the same pairs give the same result.
    public static func run(
        accounts: [AccountState], taxonomy: CompiledTaxonomy, options: DetectionConfig, candidates: ExternalCandidates? = nil
    ) -> DetectionResult {
        let t0 = monotonicSeconds()
        // Linkage compares accounts of `minPrompts` prompts and more, attachment those of
        // `attachMinPrompts`: their rows are cached, the rest densified when asked for.
        let attachMinPrompts = max(3, options.minPrompts / 2)
        let rarity = VocabularyRarity(accounts, cacheMinPrompts: min(options.minPrompts, attachMinPrompts))
        let links = AccountClustering.supported(
            AccountLinkage.links(
                accounts, rarity: rarity, topicCount: taxonomy.topicNames.count, options: options, candidates: candidates?.content),
            accountCount: accounts.count, threads: options.threads, minCommon: options.supportMinCommon,
            minShare: options.supportMinShare)
        let t1 = monotonicSeconds()
        let contentGroups = AccountClustering.clusters(accountCount: accounts.count, links: links, minSize: options.minClusterSize)
        // Infrastructure: dense account × network blocks, for campaigns whose prompts do not
        // link them (or logs without prompts). A block that is mostly one content cluster's
        // accounts adds nothing; otherwise its accounts outside content clusters are a candidate.
        var inContent = [Bool](repeating: false, count: accounts.count)
        for g in contentGroups { for m in g { inContent[m] = true } }
        let identifiers = accounts.map { $0.networks.values.list }
        let withNetworks = accounts.indices.filter { !accounts[$0].networks.values.hashes.isEmpty }.count
        let blocks = DenseBlocks.find(identifiers: identifiers, minAccounts: options.minClusterSize, rounds: options.infrastructureRounds,
            minMemberShare: options.blockMinMemberShare)
            .map { $0.filter { !inContent[$0] } }
            // A block holding a quarter of the accounts that have networks is the population's
            // own address fabric (residential ranges, a mobile carrier), not a coordinated group,
            // as for the giant components of content linkage.
            .filter { $0.count >= options.minClusterSize && Double($0.count) <= options.maxBlockShare * Double(withNetworks) }
        let t2a = monotonicSeconds()
        // Synchrony (SynchroTrap): accounts whose metadata actions fall in the same 10-minute
        // buckets, weighted by rarity. As with blocks, a group's accounts already in a content
        // cluster or a block are left to that candidate; what remains is a candidate formed by
        // synchrony, whose synchrony test is then left out. A group holding a quarter of the
        // accounts that act is the population's own rhythm, not a coordinated group.
        var synchronyGroups: [[Int]] = []
        var synchronyLinks = 0
        var synchronyFound = 0
        if options.synchronyLinkage {
            var taken = inContent
            for b in blocks { for m in b { taken[m] = true } }
            let rarity = SynchronyRarity(accounts) { options.synchronyItemCap(acting: $0) }
            let acting = accounts.indices.filter { !accounts[$0].actionSketch.isEmpty }.count
            let found = SynchronyLinkage.groups(accounts, rarity: rarity, options: options, candidates: candidates?.synchrony)
            synchronyLinks = found.links
            synchronyFound = found.groups.count
            synchronyGroups = found.groups
                .map { $0.filter { !taken[$0] } }
                .filter { $0.count >= options.minClusterSize && Double($0.count) <= options.maxBlockShare * Double(acting) }
        }
        let t2b = monotonicSeconds()
        // Credentials (cards, API keys, rare user agents) and creation bursts: the other half of
        // the infrastructure graph, peeled the same way. What earlier candidates hold is left to
        // them; a block that shares cards or keys with a reported network block joins it below.
        let bursts = CreationBursts(
            createdAt: accounts.indices.map { accounts[$0].createdAt }, level: options.creationBurstLevel,
            minAccounts: options.creationBurstMinAccounts, windowDays: options.creationBurstWindowDays)
        var credentialBlocks: [[Int]] = []
        if options.credentialBlocks {
            var taken = inContent
            for g in blocks + synchronyGroups { for m in g { taken[m] = true } }
            let credentials = CredentialBlocks.identifiers(accounts, bursts: bursts, maxAgentHolders: options.credentialAgentCap(accounts: accounts.count))
            let holding = credentials.filter { !$0.isEmpty }.count
            credentialBlocks = DenseBlocks.find(
                identifiers: credentials, minAccounts: options.minClusterSize, rounds: options.infrastructureRounds,
                minMemberShare: options.blockMinMemberShare)
                .map { $0.filter { !taken[$0] } }
                .filter { $0.count >= options.minClusterSize && Double($0.count) <= options.maxBlockShare * Double(holding) }
        }
        let t2c = monotonicSeconds()
        let groups = contentGroups + blocks + synchronyGroups + credentialBlocks
        let formations: [CandidateFormation] = contentGroups.map { _ in .content } + blocks.map { _ in .networks }
            + synchronyGroups.map { _ in .synchrony } + credentialBlocks.map { _ in .credentials }
        let linkedBy = formations.map(\.families)
        let t2 = monotonicSeconds()
        // The null model's index of the population serves scoring only: with no candidate it
        // is left empty (over a million small accounts it is a few hundred MB). The baseline is
        // measured on the index's threads, as they come free.
        let baselineSlot = ResultSlots<PopulationBaseline>(count: 1)
        let states = UncheckedSendable(accounts)
        let index = PopulationIndex(
            groups.isEmpty ? [] : accounts, taxonomy: taxonomy, rarity: rarity, pivotWindowHours: options.pivotWindowHours,
            candidates: groups, threads: options.threads
        ) {
            baselineSlot.set(0, PopulationBaseline.measure(states.value, taxonomy: taxonomy, options: options))
        }
        let baseline = baselineSlot.take(0)
        let level = ClusterScoring.familyLevel(candidates: groups.count, config: options)
        // Each cluster's internal links, bucketed once.
        var clusterOf = [Int](repeating: -1, count: accounts.count)
        for (c, group) in contentGroups.enumerated() { for m in group { clusterOf[m] = c } }
        var internalLinks = Array(repeating: [AccountLink](), count: contentGroups.count)
        for l in links where clusterOf[l.a] >= 0 && clusterOf[l.a] == clusterOf[l.b] { internalLinks[clusterOf[l.a]].append(l) }
        // Clusters are scored on all cores; each draws its null groups from its own seeded
        // stream, so the result does not depend on the thread count.
        let shared = UncheckedSendable((groups, accounts, internalLinks, baseline, taxonomy, index, formations, bursts))
        var scored = parallelBlocks(count: groups.count, blockSize: 1, threads: options.threads) { range in
            let (groups, accounts, internalLinks, baseline, taxonomy, index, formations, bursts) = shared.value
            return range.map {
                ClusterScoring.score(
                    groups[$0], accounts: accounts, links: $0 < internalLinks.count ? internalLinks[$0] : [], baseline: baseline,
                    taxonomy: taxonomy, index: index, config: options, level: level, formation: formations[$0], bursts: bursts)
            }
        }
        // A reported block of shared networks or credentials keeps the members that carry its
        // evidence (`Bystanders`): the others are the people whose home addresses a proxy pool
        // rents, or who signed up in the hours of a creation burst.
        // What is left is scored again, and stays reported only if it is reported on its own.
        for c in scored.indices where scored[c].isReported && options.threshold == nil {
            guard let kept = Bystanders.carriers(of: scored[c], accounts: accounts, index: index, config: options) else { continue }
            let dropped = scored[c].members.count - kept.count
            if kept.count >= options.minClusterSize {
                var pruned = ClusterScoring.score(
                    kept, accounts: accounts, links: [], baseline: baseline, taxonomy: taxonomy, index: index, config: options,
                    level: level, formation: formations[c], bursts: bursts)
                pruned.reasons += formations[c] == .credentials
                    ? "; \(dropped) of the block's \(scored[c].members.count) accounts left out: they share its credentials or creation hours but carry none of its significant evidence (ordinary sign-ups in a burst's hours)"
                    : "; \(dropped) of the block's \(scored[c].members.count) accounts left out: they share its networks but carry none of its significant evidence (the users behind rented addresses)"
                if pruned.isReported {
                    scored[c] = pruned
                    continue
                }
            }
            scored[c].isReported = false
            scored[c].verdict = "not reported: only \(kept.count) of the block's \(scored[c].members.count) accounts carry its significant evidence, and they are not reported on their own"
        }
        func ranked(_ a: ScoredCluster, _ b: ScoredCluster) -> Bool {
            (b.score, accounts[a.members[0]].accountID) < (a.score, accounts[b.members[0]].accountID)
        }
        var reported = scored.enumerated().filter { $0.element.isReported }.sorted { ranked($0.element, $1.element) }
            .map { (index: $0.offset, cluster: $0.element) }
        // Several campaigns on one proxy pool come out of the network blocks as one cluster:
        // a reported cluster is split into the content communities it holds when each part is
        // still reported on its own (`ContentCommunities`).
        // The cluster each split part came from: its network pool is the parts' pool.
        let tCommunities = monotonicSeconds()
        var splitFrom: [Int: [Int]] = [:]
        if !reported.isEmpty {
            var split: [(index: Int, cluster: ScoredCluster)] = []
            for r in reported {
                let inside = Set(r.cluster.members)
                let outside = accounts.indices.filter { !inside.contains($0) && accounts[$0].withPrompt >= attachMinPrompts }
                let background = (0..<min(200, outside.count)).map { outside[$0 * outside.count / min(200, outside.count)] }
                guard let parts = ContentCommunities.split(
                    r.cluster.members, accounts: accounts, rarity: rarity, minPrompts: attachMinPrompts,
                    minSize: options.minClusterSize, background: background, maxSharedShare: options.splitMaxSharedShare,
                    threads: options.threads)
                else {
                    split.append(r)
                    continue
                }
                let partLinks = r.index < internalLinks.count ? internalLinks[r.index] : []
                // A part is its own cluster when it is reported on its own, or carries evidence
                // of its own (a significant family) and no exculpation: the union's evidence
                // (reported) covers it, the split only says which accounts act together.
                // The parts are scored on all cores, each from its own seeded stream.
                let context = UncheckedSendable((parts, partLinks, r, accounts, baseline, taxonomy, index, formations, bursts))
                let scoredParts = parallelBlocks(count: parts.count, blockSize: 1, threads: options.threads) { range in
                    let (parts, partLinks, r, accounts, baseline, taxonomy, index, formations, bursts) = context.value
                    return range.map { k -> ScoredCluster in
                        let part = parts[k]
                        let set = Set(part)
                        var s = ClusterScoring.score(
                            part, accounts: accounts, links: partLinks.filter { set.contains($0.a) && set.contains($0.b) },
                            baseline: baseline, taxonomy: taxonomy, index: index, config: options, level: level,
                            formation: formations[r.index], bursts: bursts)
                        if !s.isReported && options.threshold == nil && !s.exculpated && !s.significantFamilies.isEmpty {
                            s.isReported = true
                            s.verdict = "reported: part of a reported cluster of \(r.cluster.members.count) accounts (\(r.cluster.significantFamilies.count) families significant at p <= \(String(format: "%.2g", level))), split along its content communities; \(s.significantFamilies.count) significant on its own"
                        }
                        s.reasons += "; split from a cluster of \(r.cluster.members.count) accounts along its content communities (Louvain on rarity-weighted vocabulary similarity), whose evidence was: \(r.cluster.verdict)"
                        return s
                    }
                }
                if scoredParts.allSatisfy(\.isReported) {
                    split += scoredParts.map { (index: r.index, cluster: $0) }
                    splitFrom[r.index] = r.cluster.members
                } else {
                    split.append(r)
                }
            }
            reported = split.sorted { ranked($0.cluster, $1.cluster) }
        }
        // Low-volume accounts that keep a reported cluster's time windows, capability mix and
        // some of its phrasing join it, and so do accounts living inside its network pool,
        // accounts holding its own cards or keys, and accounts whose vocabulary falls on its own
        // phrasing from networks in its pool; the cluster is then scored again with them.
        let tAttachment = monotonicSeconds()
        var taken = Set(reported.flatMap(\.cluster.members))
        // What joined each reported cluster, in words: kept when the cluster is scored again.
        var joined = Array(repeating: [String](), count: reported.count)
        // Networks and credentials by the ids the null model's index gave them.
        let tables = reported.isEmpty ? nil : HolderTables(accounts, index: index)
        for k in reported.indices {
            let byWindows = WindowAttachment.candidates(
                for: reported[k].cluster.members, accounts: accounts, taken: taken, topics: taxonomy.topicNames.count,
                minPrompts: attachMinPrompts, rarity: rarity, config: options)
            let byPool = NetworkPoolAttachment.candidates(
                for: reported[k].cluster.members, accounts: accounts, tables: tables!, taken: taken.union(byWindows), level: level)
            let byCredentials = CredentialAttachment.candidates(
                for: reported[k].cluster.members, accounts: accounts, tables: tables!,
                taken: taken.union(byWindows).union(byPool))
            let byEvidence = EvidenceAttachment.candidates(
                for: reported[k].cluster.members, poolOf: splitFrom[reported[k].index], accounts: accounts, rarity: rarity, tables: tables!,
                taken: taken.union(byWindows).union(byPool).union(byCredentials), level: level,
                creationWindowHours: options.creationWindowHours, threads: options.threads)
            let extra = (byWindows + byPool + byCredentials + byEvidence).sorted()
            guard !extra.isEmpty else { continue }
            var rescored = ClusterScoring.score(
                (reported[k].cluster.members + extra).sorted(), accounts: accounts,
                links: reported[k].index < internalLinks.count ? internalLinks[reported[k].index] : [],
                baseline: baseline, taxonomy: taxonomy, index: index, config: options, level: level,
                formation: formations[reported[k].index], bursts: bursts)
            // Joining must not carry a cluster below the reporting line: then it stays as it was.
            guard rescored.isReported else { continue }
            taken.formUnion(extra)
            if !byWindows.isEmpty {
                joined[k].append("\(byWindows.count) low-volume accounts joined for keeping the cluster's time windows, capability mix and phrasing")
            }
            if !byPool.isEmpty {
                joined[k].append("\(byPool.count) accounts joined whose networks lie in the cluster's network pool beyond chance (binomial p <= \(String(format: "%.2g", level)) / accounts tested)")
            }
            if !byCredentials.isEmpty {
                joined[k].append("\(byCredentials.count) accounts joined holding payment fingerprints or API keys that two or more members hold (members being at least half of their holders)")
            }
            if !byEvidence.isEmpty {
                joined[k].append("\(byEvidence.count) accounts joined whose vocabulary falls on the cluster's own phrasing (beta-binomial p <= \(String(format: "%.2g", level))) from networks in its pool or created within \(String(format: "%g", options.creationWindowHours)) h of a member, together beyond chance (Fisher p <= \(String(format: "%.2g", level)) / accounts tested)")
            }
            rescored.reasons += joined[k].map { "; " + $0 }.joined()
            reported[k].cluster = rescored
        }
        // One operator's blocks are one campaign: a block of shared networks or credentials many
        // of whose accounts hold a payment fingerprint or an API key of a reported block
        // (accounts paid for, or driven, by the same hand on another subnet) joins it, and the
        // union is scored again; it stays merged only if it is still reported. A block with
        // evidence of its own of coordination (content, timing or load balancing significant: its
        // accounts share templates, act in sync, were created together, or balance load) joins
        // whole, the credentials being the second family that ties it to the operator; a block
        // without (a residential range the operator's proxies share with ordinary users) gives
        // only the accounts holding those credentials. Capability is no such evidence: it is
        // what each member asks for on its own, and a residential range that two campaigns'
        // proxies rotate through asks for what both campaigns do. (Content clusters already link accounts
        // that share a card and some vocabulary.)
        // Largest first: a campaign's main block takes in the smaller blocks holding its
        // credentials, not a small block (a few of its accounts among another campaign's on one
        // proxy range) the main block.
        var merged = Set<Int>()
        // Clusters that took partners in: no later cluster takes them in as its partner (their
        // union would be lost with them).
        var hosts = Set<Int>()
        let bySize = reported.indices.sorted { (reported[$1].cluster.members.count, $0) < (reported[$0].cluster.members.count, $1) }
        for k in bySize where !merged.contains(reported[k].index) && linkedBy[reported[k].index].contains(.infrastructure) {
            var cards = Set<UInt64>()
            var keys = Set<UInt64>()
            for m in reported[k].cluster.members {
                cards.formUnion(accounts[m].payments.values.hashes)
                keys.formUnion(accounts[m].apiKeys.hashes)
            }
            var partners: [Int] = []
            var joining: [Int] = []
            let inside = Set(reported[k].cluster.members)
            for c in scored.indices {
                guard c != reported[k].index, !merged.contains(c), !hosts.contains(c), linkedBy[c].contains(.infrastructure) else { continue }
                // One organisation's accounts are one customer: they join nobody's campaign.
                guard scored[c].orgShare < options.maxOrgShare else { continue }
                // Accounts that joined the cluster above hold its credentials by definition: the
                // share is of the candidate's other accounts.
                let rest = scored[c].members.filter { !inside.contains($0) }
                let holding = rest.filter { m in
                    accounts[m].payments.values.hashes.contains(where: cards.contains)
                        || accounts[m].apiKeys.hashes.contains(where: keys.contains)
                }
                guard !holding.isEmpty, Double(holding.count) >= options.mergeMinCredentialShare * Double(rest.count) else { continue }
                partners.append(c)
                joining += scored[c].significantFamilies.contains { $0 != .infrastructure && $0 != .capability } ? rest : holding
            }
            guard !partners.isEmpty else { continue }
            let members = Set(reported[k].cluster.members + joining)
            guard members.count > reported[k].cluster.members.count else { continue }
            var union = ClusterScoring.score(
                members.sorted(), accounts: accounts, links: [], baseline: baseline, taxonomy: taxonomy, index: index,
                config: options, level: level, formation: formations[reported[k].index], bursts: bursts)
            guard union.isReported else { continue }
            union.reasons += joined[k].map { "; " + $0 }.joined()
            union.reasons += "; \(partners.count) more candidate clusters joined for sharing payment fingerprints or API keys with it (\(members.count - reported[k].cluster.members.count) accounts: every account of those with evidence of their own, those holding them of the others)"
            reported[k].cluster = union
            merged.formUnion(partners)
            hosts.insert(reported[k].index)
        }
        let tAttached = monotonicSeconds()
        reported.removeAll { merged.contains($0.index) }
        // Accounts created in one creation burst were signed up by one hand: a reported cluster
        // at least half of whose members were created in creation bursts that hold two or more
        // members of a larger reported cluster joins it (a campaign whose accounts ended up in
        // several blocks: the proxy pool's, a credential block's), and the union is scored
        // again; it stays merged only if it is still reported.
        if reported.count > 1 {
            let order = reported.indices.sorted { (reported[$1].cluster.members.count, $0) < (reported[$0].cluster.members.count, $1) }
            var gone = Set<Int>()
            for big in order where !gone.contains(big) {
                var counts: [Int: Int] = [:]
                for m in reported[big].cluster.members { if let b = bursts.burstOf[m] { counts[b, default: 0] += 1 } }
                let held = Set(counts.filter { $0.value >= 2 }.keys)
                guard !held.isEmpty else { continue }
                var joining: [Int] = []
                var parts: [Int] = []
                // Parts split from one cluster along their text stay apart: the split said they
                // are different campaigns.
                for small in order where small != big && !gone.contains(small) && reported[small].index != reported[big].index
                    && reported[small].cluster.members.count <= reported[big].cluster.members.count {
                    let members = reported[small].cluster.members
                    let inBursts = members.filter { bursts.burstOf[$0].map(held.contains) ?? false }.count
                    guard 2 * inBursts >= members.count else { continue }
                    joining += members
                    parts.append(small)
                }
                guard !parts.isEmpty else { continue }
                let members = Set(reported[big].cluster.members + joining).sorted()
                var union = ClusterScoring.score(
                    members, accounts: accounts, links: [], baseline: baseline, taxonomy: taxonomy, index: index,
                    config: options, level: level, formation: formations[reported[big].index], bursts: bursts)
                guard union.isReported else { continue }
                gone.formUnion(parts)
                union.reasons += "; \(parts.count) more reported cluster(s) joined (\(members.count - reported[big].cluster.members.count) accounts), at least half of whose accounts were created in the creation bursts of this one"
                reported[big].cluster = union
            }
            // The joined clusters' candidate rows go, as the credential merge's do (a split
            // part shares its candidate index with the part that stays).
            let goneIndices = Set(gone.map { reported[$0].index })
            reported = reported.enumerated().filter { !gone.contains($0.offset) }.map(\.element)
            merged.formUnion(goneIndices.subtracting(reported.map(\.index)))
        }
        // Parts of one campaign come out as several reported clusters when its accounts fall in
        // several candidates (its main proxy block and a block of its small accounts): a
        // reported cluster whose text is one campaign's with a larger reported cluster's, by the
        // rule the content split keeps two communities together with
        // (`ContentCommunities.sameCampaign`), joins it, and stays joined only if the union is
        // still reported. Parts split from one cluster stay apart (the split decided).
        if reported.count > 1 {
            let inside = Set(reported.flatMap(\.cluster.members))
            let outside = accounts.indices.filter { !inside.contains($0) && accounts[$0].withPrompt >= attachMinPrompts }
            let background = (0..<min(200, outside.count)).map { outside[$0 * outside.count / min(200, outside.count)] }
            let order = reported.indices.sorted { (reported[$1].cluster.members.count, $0) < (reported[$0].cluster.members.count, $1) }
            var gone = Set<Int>()
            for (position, small) in order.enumerated().reversed() where !gone.contains(small) {
                for big in order[..<position] where !gone.contains(big) && reported[small].index != reported[big].index {
                    guard ContentCommunities.sameCampaign(
                        reported[small].cluster.members, reported[big].cluster.members, accounts: accounts, rarity: rarity,
                        minPrompts: attachMinPrompts, background: background, maxSharedShare: options.splitMaxSharedShare)
                    else { continue }
                    let members = Set(reported[big].cluster.members + reported[small].cluster.members).sorted()
                    var union = ClusterScoring.score(
                        members, accounts: accounts, links: [], baseline: baseline, taxonomy: taxonomy, index: index,
                        config: options, level: level, formation: formations[reported[big].index], bursts: bursts)
                    guard union.isReported else { continue }
                    union.reasons += "; a reported cluster of \(reported[small].cluster.members.count) accounts joined whose text is this campaign's (rarity-weighted vocabulary similarity across them beyond \(String(format: "%g", options.splitMaxSharedShare)) of the gap between outsiders' and their own)"
                    reported[big].cluster = union
                    gone.insert(small)
                    break
                }
            }
            let goneIndices = Set(gone.map { reported[$0].index })
            reported = reported.enumerated().filter { !gone.contains($0.offset) }.map(\.element)
            merged.formUnion(goneIndices.subtracting(reported.map(\.index)))
        }
        reported.sort { ranked($0.cluster, $1.cluster) }
        var candidates = scored
        var replaced = Set<Int>()
        for r in reported {
            // A split cluster's first part takes its place; the others follow.
            if replaced.insert(r.index).inserted { candidates[r.index] = r.cluster } else { candidates.append(r.cluster) }
        }
        candidates = candidates.enumerated().filter { !merged.contains($0.offset) }.map(\.element)
        candidates.sort(by: ranked)
        let t3 = monotonicSeconds()
        return DetectionResult(
            reported: reported.map(\.cluster), candidates: candidates, links: links.count, baseline: baseline,
            familyLevel: level, config: options,
            seconds: ["linkage": t1 - t0, "clustering": (t2a - t1) + (t2 - t2c), "synchrony": t2b - t2a, "credentials": t2c - t2b,
                      "scoring": (tCommunities - t2) + (t3 - tAttached), "communities": tAttachment - tCommunities,
                      "attachment": tAttached - tAttachment],
            synchronyLinks: synchronyLinks, synchronyGroups: synchronyFound, creationBursts: bursts.bursts.count,
            credentialBlocks: credentialBlocks.count)
    }
}

extension HolderTables {
    /// The attachments' tables of `accounts`, read from the ids and holders of their null-model
    /// index (which lists each account's networks first among its addresses).
    init(_ accounts: [AccountState], index: PopulationIndex) {
        precondition(index.count == accounts.count, "the index must index the accounts")
        self.init(
            accounts, holders: index.users, addresses: { index.addresses.keys($0) }, credentials: { index.identities.keys($0) })
    }
}
