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
        let reported = scored.filter { $0.score >= options.threshold }.sorted {
            ($1.score, accounts[$0.members[0]].accountID) < ($0.score, accounts[$1.members[0]].accountID)
        }
        let t3 = monotonicSeconds()
        return DetectionResult(
            reported: reported, scoredClusters: scored.count, links: links.count, baseline: baseline,
            seconds: ["linkage": t1 - t0, "clustering": t2 - t1, "scoring": t3 - t2])
    }
}
