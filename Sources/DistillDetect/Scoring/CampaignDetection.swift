// Stages 5–7 together: link, cluster and score the accounts of a run.

public struct DetectionResult: Sendable {
    /// Clusters at or above the threshold, highest score first.
    public var reported: [ScoredCluster]
    /// Every cluster of at least the minimum size that was scored.
    public var scoredClusters: Int
    public var links: Int
    public var baseline: PopulationBaseline
    public var seconds: [String: Double]
}

public enum CampaignDetection {
    public static func run(accounts: [AccountState], taxonomy: CompiledTaxonomy, options: DetectionOptions) -> DetectionResult {
        let t0 = monotonicSeconds()
        let links = AccountClustering.supported(
            AccountLinkage.links(accounts, topicCount: taxonomy.topicNames.count, options: options),
            accountCount: accounts.count, threads: options.threads)
        let t1 = monotonicSeconds()
        let groups = AccountClustering.clusters(accountCount: accounts.count, links: links, minSize: options.minClusterSize)
        let t2 = monotonicSeconds()
        let baseline = PopulationBaseline.measure(accounts, taxonomy: taxonomy, options: options)
        // Each cluster's internal links, bucketed once.
        var clusterOf = [Int](repeating: -1, count: accounts.count)
        for (c, group) in groups.enumerated() { for m in group { clusterOf[m] = c } }
        var internalLinks = Array(repeating: [AccountLink](), count: groups.count)
        for l in links where clusterOf[l.a] >= 0 && clusterOf[l.a] == clusterOf[l.b] { internalLinks[clusterOf[l.a]].append(l) }
        let scored = groups.enumerated().map {
            ClusterScoring.score($0.element, accounts: accounts, links: internalLinks[$0.offset], baseline: baseline, taxonomy: taxonomy)
        }
        var reported = scored.enumerated().filter { $0.element.score >= options.threshold }.sorted {
            ($1.element.score, accounts[$0.element.members[0]].accountID) < ($0.element.score, accounts[$1.element.members[0]].accountID)
        }.map { (index: $0.offset, cluster: $0.element) }
        // Low-volume accounts that keep a reported cluster's time windows, capability mix and
        // some of its phrasing join it; the cluster is then scored again with them.
        var taken = Set(reported.flatMap(\.cluster.members))
        let profiles = accounts.map { AccountLinkage.profile($0, topics: taxonomy.topicNames.count) }
        for k in reported.indices {
            let extra = WindowAttachment.candidates(
                for: reported[k].cluster.members, accounts: accounts, taken: taken, profiles: profiles,
                minPrompts: max(3, options.minPrompts / 2), threads: options.threads)
            guard !extra.isEmpty else { continue }
            var rescored = ClusterScoring.score(
                (reported[k].cluster.members + extra).sorted(), accounts: accounts, links: internalLinks[reported[k].index],
                baseline: baseline, taxonomy: taxonomy)
            // Joining must not carry a cluster below the threshold: then it stays as it was.
            guard rescored.score >= options.threshold else { continue }
            taken.formUnion(extra)
            rescored.reasons += "; \(extra.count) low-volume accounts joined for keeping the cluster's time windows, capability mix and phrasing"
            reported[k].cluster = rescored
        }
        reported.sort {
            ($1.cluster.score, accounts[$0.cluster.members[0]].accountID) < ($0.cluster.score, accounts[$1.cluster.members[0]].accountID)
        }
        let t3 = monotonicSeconds()
        return DetectionResult(
            reported: reported.map(\.cluster), scoredClusters: scored.count, links: links.count, baseline: baseline,
            seconds: ["linkage": t1 - t0, "clustering": t2 - t1, "scoring": t3 - t2])
    }
}
