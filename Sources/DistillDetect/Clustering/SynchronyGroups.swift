// Synchrony groups: the synchrony links of Linkage/SynchronyLinkage.swift, clustered.

extension SynchronyLinkage {
    /// Candidate groups of accounts acting in sync: components of the supported links, giant
    /// ones split by raising the similarity bar (their share measured against the accounts that
    /// have action sketches, not the linked ones: a campaign may be most of what links).
    public static func groups(
        _ accounts: [AccountState], rarity: SynchronyRarity, options: DetectionConfig, candidates: [Int64]? = nil
    ) -> (groups: [[Int]], links: Int) {
        let raw = links(accounts, rarity: rarity, options: options, candidates: candidates)
        let supported = AccountClustering.supported(
            raw, accountCount: accounts.count, threads: options.threads, minCommon: options.supportMinCommon,
            minShare: options.supportMinShare)
        let active = accounts.indices.filter {
            rarity.filled($0, kind: 0) >= options.synchronyMinItems || rarity.filled($0, kind: 1) >= options.synchronyMinItems
        }.count
        let groups = AccountClustering.clusters(
            accountCount: accounts.count, links: supported, minSize: options.minClusterSize, population: active,
            startThreshold: options.synchronyThreshold)
        return (groups, supported.count)
    }
}
