// Bystanders of a block of shared networks: a campaign on residential proxies rents ordinary
// users' home addresses, so the block of networks its accounts share also holds the people who
// live behind them. Those share the networks and nothing else: none of the block's evidence is
// theirs. A reported block keeps the members that carry some of it.
import Foundation

enum Bystanders {
    /// The members of `cluster`, a block of shared networks, that carry at least one of its
    /// significant families apart from the shared addresses that formed it, by what each
    /// member shows on its own:
    /// - content: a prompt template another member also sent;
    /// - capability: most of its traffic from a release's day on moved to the release
    ///   (`ModelPivot`), or nearly all of its prompts on extraction targets (0.9);
    /// - infrastructure: a payment fingerprint or API key another member holds;
    /// - timing: created within `creationWindowHours` of another member, or a client action
    ///   (model · endpoint · user agent in a 10-minute bucket) another member took;
    /// - load balancing is a property of the group, carried by every member.
    /// Returns nil when every member carries something or no family but the formation's is
    /// significant.
    static func carriers(of cluster: ScoredCluster, accounts: [AccountState], index: PopulationIndex, config: DetectionConfig) -> [Int]? {
        let families = Set(cluster.significantFamilies)
        guard cluster.formation == .networks, !families.isEmpty, !families.contains(.loadBalancing) else { return nil }
        let members = cluster.members
        var carries = [Bool](repeating: false, count: members.count)
        func shared(_ keysOf: (Int) -> [UInt64]) {
            var holders: [UInt64: Int] = [:]
            let keys = members.map(keysOf)
            for list in keys { for k in Set(list) { holders[k, default: 0] += 1 } }
            for (i, list) in keys.enumerated() where list.contains(where: { holders[$0]! > 1 }) { carries[i] = true }
        }
        if families.contains(.content) {
            shared { accounts[$0].templates.hashes }
        }
        if families.contains(.capability) {
            for (i, m) in members.enumerated() where index.pivot.share[m] >= 0.5 || (index.withPrompt[m] && index.extractionShare[m] >= 0.9) {
                carries[i] = true
            }
        }
        if families.contains(.infrastructure) {
            shared { accounts[$0].payments.values.hashes + accounts[$0].apiKeys.hashes.map { $0 ^ 0x6B65_79 } }
        }
        if families.contains(.timing) {
            let window = Int64(config.creationWindowHours * 3_600_000)
            let created = members.enumerated().compactMap { i, m in index.createdAt[m] == .min ? nil : (at: index.createdAt[m], i: i) }
                .sorted { ($0.at, $0.i) < ($1.at, $1.i) }
            for (k, c) in created.enumerated()
            where (k > 0 && c.at - created[k - 1].at <= window) || (k + 1 < created.count && created[k + 1].at - c.at <= window) {
                carries[c.i] = true
            }
            shared { m in
                var items: [UInt64] = []
                accounts[m].actionSketch.forEachFilledBin { b, v in if b >= AccountState.actionBins / 2 { items.append(UInt64(b) << 16 | UInt64(v)) } }
                return items
            }
        }
        guard carries.contains(false) else { return nil }
        return members.indices.filter { carries[$0] }.map { members[$0] }
    }
}
