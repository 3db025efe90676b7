// Attaches low-volume accounts to a reported cluster whose traffic keeps to shared time
// windows. A careful campaign's small accounts send too few prompts for vocabulary linkage,
// but they keep the campaign's hours, its capability mix and some of its phrasing: all three
// must hold, and only for clusters whose windows cover a small part of the day.

public enum WindowAttachment {
    /// Accounts (indices, ascending) to add to the cluster `members`. `topics`: the taxonomy's
    /// topic count (capability mixes are `AccountLinkage.profile`s).
    static func candidates(
        for members: [Int], accounts: [AccountState], taken: Set<Int>, topics: Int, minPrompts: Int,
        rarity: VocabularyRarity, config: DetectionConfig
    ) -> [Int] {
        // The cluster's windows: day-hours in which at least a fifth of its members were active.
        var activity: [UInt64: Int] = [:]
        var days = Set<UInt64>()
        for m in members {
            for e in accounts[m].activeHours.packed {
                days.insert(e >> 32)
                for hour in 0..<24 where e >> UInt64(hour) & 1 == 1 { activity[(e >> 32) << 8 | UInt64(hour), default: 0] += 1 }
            }
        }
        let needed = max(2, members.count / 5)
        let windows = Set(activity.filter { $0.value >= needed }.map(\.key))
        guard !windows.isEmpty, !days.isEmpty,
            Double(windows.count) / Double(days.count * 24) <= config.attachMaxWindowCoverage
        else { return [] }
        var centroid = [Double](repeating: 0, count: topics + 1)
        for m in members {
            let profile = AccountLinkage.profile(accounts[m], topics: topics)
            for k in centroid.indices { centroid[k] += profile[k] }
        }
        // Phrasing is compared with a sample of members (the windows and the capability mix
        // have already narrowed the field).
        let sample = members.prefix(64).filter { rarity.present[$0] }.map { rarity.row($0) }
        // Every account is checked on its own: in blocks on all cores, results kept in order.
        // The windows first: few accounts keep to them, and only those need a capability mix.
        let shared = UncheckedSendable((accounts, taken, centroid, windows, sample, rarity))
        return parallelBlocks(count: accounts.count, blockSize: 4096, threads: config.threads) { range in
            let (accounts, taken, centroid, windows, sample, rarity) = shared.value
            var added: [Int] = []
            for i in range where !taken.contains(i) && accounts[i].withPrompt >= minPrompts {
                var hours = 0
                var inside = 0
                for e in accounts[i].activeHours.packed {
                    for hour in 0..<24 where e >> UInt64(hour) & 1 == 1 {
                        hours += 1
                        if windows.contains((e >> 32) << 8 | UInt64(hour)) { inside += 1 }
                    }
                }
                guard hours >= config.attachMinActiveHours, inside == hours else { continue }
                guard AccountLinkage.cosine(AccountLinkage.profile(accounts[i], topics: topics), centroid) >= config.attachMinProfileSimilarity
                else { continue }
                guard !accounts[i].vocabulary.isEmpty else { continue }
                let best = sample.map { rarity.similarity(i, row: $0) }.max() ?? 0
                if best >= config.attachMinContent { added.append(i) }
            }
            return added
        }
    }
}
