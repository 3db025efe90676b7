// Bystanders of a block of shared networks: a campaign on residential proxies rents ordinary
// users' home addresses, so the block of networks its accounts share also holds the people who
// live behind them. Those share the networks and nothing else: none of the block's evidence is
// theirs. A reported block keeps the members that carry some of it.
import Foundation

enum Bystanders {
    /// The members of `cluster`, a block of shared networks or of shared credentials and
    /// creation bursts, that carry at least one of its significant families themselves, each by
    /// the family's strongest test (the one its p-value comes from):
    /// - content, or an address, credential or action test: the member holds a template (or
    ///   near-duplicate key), network or IP, card, key, user agent or action item that another
    ///   member holds and that is the group's (members are at least half of its holders in the
    ///   run: a popular prompt or browser is no one's);
    /// - capability: the member's own share (of prompts on the extraction targets, or on the
    ///   one target tested) is nearer the cluster's figure than the random groups' mean;
    /// - network rotation: the member rotates (`GroupFigures.rotating`), or holds a credential
    ///   as above;
    /// - timing by creation: created within `creationWindowHours` of another member; by
    ///   prompt synchrony: agrees with another member in a bin of the synchrony sketch; by the
    ///   pivot: its share of traffic moved to a release is nearer the cluster's figure than the
    ///   random groups' mean;
    /// - load balancing is a property of the group, carried by every member.
    /// Returns nil when every member carries something, when the cluster is not such a block,
    /// or when no family is significant. (A block of credentials holds everyone created in its
    /// creation bursts: the ordinary sign-ups of those hours among them.)
    static func carriers(of cluster: ScoredCluster, accounts: [AccountState], index: PopulationIndex, config: DetectionConfig) -> [Int]? {
        let families = Set(cluster.significantFamilies)
        guard cluster.formation == .networks || cluster.formation == .credentials, !families.isEmpty, !families.contains(.loadBalancing)
        else { return nil }
        let members = cluster.members
        var carries = [Bool](repeating: false, count: members.count)
        /// Marks the members holding a key of `keys` that two or more members hold, members
        /// being at least half of its holders.
        func ownKeys(_ keys: FlatKeys) {
            var inside: [Int32: Int32] = [:]
            for m in members { for k in keys.keys(m) { inside[k, default: 0] += 1 } }
            for (i, m) in members.enumerated() where !carries[i] {
                carries[i] = keys.keys(m).contains { k in
                    let n = inside[k]!
                    return n >= 2 && 2 * Int(n) >= Int(index.users[Int(k)])
                }
            }
        }
        // A member's own share carries a family when it is nearer the cluster's figure than the
        // random groups' mean: above the mean alone is what half of any population is.
        func bar(_ evidence: FamilyEvidence) -> Double { (evidence.nullMean + evidence.statistic) / 2 }
        for evidence in cluster.evidence where families.contains(evidence.family) {
            switch evidence.family {
            case .content:
                ownKeys(evidence.label.hasPrefix("near-duplicate") ? index.nearDuplicates : index.templates)
            case .capability:
                let figure: (Int) -> Double
                if let k = index.targetLabels.firstIndex(of: evidence.label) {
                    figure = { index.withPrompt[$0] ? index.targetShares[k][$0] : 0 }
                } else {
                    figure = { index.withPrompt[$0] ? index.extractionShare[$0] : 0 }
                }
                for (i, m) in members.enumerated() where figure(m) > bar(evidence) { carries[i] = true }
            case .infrastructure:
                if evidence.label.hasPrefix("network rotation") {
                    var counts = [Int32](repeating: 0, count: index.users.count)
                    for (i, r) in GroupFigures.rotating(members, index: index, counts: &counts).enumerated() where r == true { carries[i] = true }
                    // The block's own cards, keys and agents are infrastructure evidence too,
                    // whichever test is the strongest.
                    ownKeys(index.credentials)
                } else {
                    ownKeys(evidence.label.hasPrefix("networks") ? index.addresses : index.credentials)
                }
            case .timing:
                if evidence.label == index.pivotLabel {
                    for (i, m) in members.enumerated() where Double(index.pivot.share[m]) > bar(evidence) { carries[i] = true }
                } else if evidence.label.hasPrefix("created") {
                    let window = Int64(config.creationWindowHours * 3_600_000)
                    let created = members.enumerated().compactMap { i, m in index.createdAt[m] == .min ? nil : (at: index.createdAt[m], i: i) }
                        .sorted { ($0.at, $0.i) < ($1.at, $1.i) }
                    for (k, c) in created.enumerated()
                    where (k > 0 && c.at - created[k - 1].at <= window) || (k + 1 < created.count && created[k + 1].at - c.at <= window) {
                        carries[c.i] = true
                    }
                } else if evidence.label.hasPrefix("synchrony") {
                    // Against up to 64 other members (evenly spaced): enough to find a partner in
                    // a synchronized group without comparing every pair of a large block.
                    let withSketch = members.filter { index.hasSynchrony($0) }
                    let sample = NullModel.measured(withSketch, limit: 64)
                    for (i, m) in members.enumerated() where index.hasSynchrony(m) {
                        if sample.contains(where: { $0 != m && index.synchronyAgreement(m, $0) > 0 }) { carries[i] = true }
                    }
                } else {
                    // Any of its action items: a member acting in the same bucket on the block's
                    // own networks takes part, though the block is tested on its client items
                    // (the test asks whether the group acts together beyond sitting together;
                    // this, which members act with it).
                    ownKeys(index.actions)
                }
            case .loadBalancing:
                return nil
            }
        }
        guard carries.contains(false) else { return nil }
        return members.indices.filter { carries[$0] }.map { members[$0] }
    }
}
