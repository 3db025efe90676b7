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
        // The cluster's windows: day-hours in which at least a fifth of its members were active,
        // as a mask of hours per day (an active-hours entry is a day and a mask of its hours).
        var activity: [UInt64: [Int32]] = [:]
        for m in members {
            for e in accounts[m].activeHours.packed {
                activity[e >> 32, default: [Int32](repeating: 0, count: 24)].withUnsafeMutableBufferPointer { counts in
                    for hour in 0..<24 where e >> UInt64(hour) & 1 == 1 { counts[hour] += 1 }
                }
            }
        }
        let needed = max(2, members.count / 5)
        var windows: [UInt64: UInt64] = [:]
        var windowCount = 0
        for (day, counts) in activity {
            var mask: UInt64 = 0
            for hour in 0..<24 where counts[hour] >= needed { mask |= 1 << UInt64(hour) }
            if mask != 0 { windows[day] = mask }
            windowCount += mask.nonzeroBitCount
        }
        guard windowCount > 0, !activity.isEmpty,
            Double(windowCount) / Double(activity.count * 24) <= config.attachMaxWindowCoverage
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
                    let active = e & 0xFF_FFFF
                    hours += active.nonzeroBitCount
                    inside += (active & (windows[e >> 32] ?? 0)).nonzeroBitCount
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
