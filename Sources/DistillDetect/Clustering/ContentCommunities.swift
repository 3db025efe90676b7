// Splits a reported cluster into the campaigns it holds. Several campaigns that rent one proxy
// pool come out of the network blocks as one cluster; their text tells them apart. The
// members' rarity-weighted vocabulary similarities form a weighted graph, whose communities
// are found by Louvain modularity optimisation (Blondel et al., "Fast unfolding of communities
// in large networks", J. Stat. Mech. 2008). Two communities stay together unless the text they
// share is no more than what either shares with the rest of the run: a campaign that varies
// its templates (each account its own few of a family of them) shares them across any split;
// different campaigns share only what everyone shares.

public enum ContentCommunities {
    /// Louvain communities of a dense symmetric weight matrix `w` (n × n, row-major; the
    /// diagonal is a self-loop): a community index per node, numbered by first node. Local moving in node
    /// order, then aggregation, until modularity no longer rises. O(levels × passes × n²).
    static func louvain(_ w: [Double], n: Int) -> [Int] {
        var community = Array(0..<n)  // of each original node
        var weights = w
        var size = n
        while size > 1 {
            // Local moving on the current graph.
            var degree = [Double](repeating: 0, count: size)
            for i in 0..<size { for j in 0..<size { degree[i] += weights[i * size + j] } }
            let total = degree.reduce(0, +)
            guard total > 0 else { break }
            var of = Array(0..<size)
            var communityDegree = degree
            var moved = true
            var anyMove = false
            var passes = 0
            // Node i's link weight to each community, and the communities it touches: a flat
            // table cleared after each node instead of a dictionary per node (weights are
            // positive, so a community is new to the node while its weight is 0).
            var links = [Double](repeating: 0, count: size)
            var touched: [Int] = []
            while moved && passes < 50 {
                moved = false
                passes += 1
                for i in 0..<size {
                    for j in 0..<size where j != i && weights[i * size + j] > 0 {
                        if links[of[j]] == 0 { touched.append(of[j]) }
                        links[of[j]] += weights[i * size + j]
                    }
                    touched.sort()
                    let own = of[i]
                    communityDegree[own] -= degree[i]
                    var best = own
                    var bestGain = links[own] - communityDegree[own] * degree[i] / total
                    for c in touched where c != own {
                        let gain = links[c] - communityDegree[c] * degree[i] / total
                        if gain > bestGain + 1e-12 {
                            best = c
                            bestGain = gain
                        }
                    }
                    for c in touched { links[c] = 0 }
                    touched.removeAll(keepingCapacity: true)
                    communityDegree[best] += degree[i]
                    if best != own {
                        of[i] = best
                        moved = true
                        anyMove = true
                    }
                }
            }
            guard anyMove else { break }
            // Renumber and aggregate.
            var number: [Int: Int] = [:]
            for c in of where number[c] == nil { number[c] = number.count }
            let next = number.count
            for v in 0..<n { community[v] = number[of[community[v]]]! }
            guard next < size else { break }
            var aggregated = [Double](repeating: 0, count: next * next)
            // Weight inside a community becomes its self-loop, which counts in its degree.
            for i in 0..<size {
                for j in 0..<size {
                    aggregated[number[of[i]]! * next + number[of[j]]!] += weights[i * size + j]
                }
            }
            weights = aggregated
            size = next
        }
        var number: [Int: Int] = [:]
        return community.map { c in
            if let k = number[c] { return k }
            number[c] = number.count
            return number.count - 1
        }
    }

    /// Parts of a cluster (`members`, ascending) holding different campaigns, each ascending,
    /// largest first; nil when it holds one. Members with at least `minPrompts` prompts are
    /// compared, an evenly spaced sample of at most `sampleSize` of them pairwise (rarity-
    /// weighted vocabulary similarity); communities of fewer than `minSize` sampled members go
    /// to the community they resemble most. Two communities are kept apart only when the mean
    /// similarity across them is no higher than the mean similarity of their members with
    /// `background` accounts (outsiders) plus `maxSharedShare` of the gap to their own mean
    /// similarity within (the smaller of the two). Cost: O(sampleSize² × 128) for the graph,
    /// O(members × 64 × 128) to place the rest.
    /// Every other member goes to the part whose sampled members it resembles most (members
    /// without text to the largest part).
    static func split(
        _ members: [Int], accounts: [AccountState], rarity: VocabularyRarity, minPrompts: Int, minSize: Int,
        background: [Int], maxSharedShare: Double, sampleSize: Int = 300, threads: Int = 1
    ) -> [[Int]]? {
        let textual = members.filter { rarity.present[$0] && accounts[$0].withPrompt >= minPrompts }
        guard textual.count >= 2 * minSize else { return nil }
        let n = min(sampleSize, textual.count)
        let sample = (0..<n).map { textual[$0 * textual.count / n] }
        var w = [Double](repeating: 0, count: n * n)
        // The similarities on all cores, rows in blocks kept in order (each figure is the same).
        let sampleRows = parallelBlocks(count: n, blockSize: 8, threads: threads) { range in
            range.map { i in ((i + 1)..<n).map { j in rarity.weightedSimilarity(sample[i], sample[j]) } }
        }
        for i in 0..<n {
            for j in (i + 1)..<n {
                let s = sampleRows[i][j - i - 1]
                w[i * n + j] = s
                w[j * n + i] = s
            }
        }
        var community = louvain(w, n: n)
        let count = (community.max() ?? 0) + 1
        var sizes = [Int](repeating: 0, count: count)
        for c in community { sizes[c] += 1 }
        let major = (0..<count).filter { sizes[$0] >= minSize }
        guard major.count >= 2 else { return nil }
        func mean(_ i: Int, _ group: [Int]) -> Double {
            let others = group.filter { $0 != i }
            return others.isEmpty ? 0 : others.reduce(0) { $0 + w[i * n + $1] } / Double(others.count)
        }
        // Minor communities' members go to the major community they resemble most.
        var groups = major.map { c in (0..<n).filter { community[$0] == c } }
        for i in 0..<n where sizes[community[i]] < minSize {
            let best = groups.indices.max { (mean(i, groups[$0]), -$0) < (mean(i, groups[$1]), -$1) }!
            community[i] = major[best]
        }
        groups = major.map { c in (0..<n).filter { community[$0] == c } }
        // Within, across and background similarity of each group.
        let within = groups.map { g in g.reduce(0.0) { $0 + mean($1, g) } / Double(g.count) }
        let outside = background.filter { rarity.present[$0] }
        // Each sampled member's similarities with the background on all cores, rows in blocks
        // kept in order; summed below in the same order as one by one.
        let backgroundRows = outside.isEmpty ? [] : parallelBlocks(count: n, blockSize: 8, threads: threads) { range in
            range.map { i in outside.map { rarity.weightedSimilarity(sample[i], $0) } }
        }
        let backgroundMean = groups.map { g -> Double in
            guard !outside.isEmpty else { return 0 }
            var total = 0.0
            for i in g { for s in backgroundRows[i] { total += s } }
            return total / Double(g.count * outside.count)
        }
        var uf = UnionFind(count: groups.count)
        for a in groups.indices {
            for b in (a + 1)..<groups.count {
                let across = groups[a].reduce(0.0) { $0 + mean($1, groups[b]) } / Double(groups[a].count)
                let base = (backgroundMean[a] + backgroundMean[b]) / 2
                let bar = base + maxSharedShare * (min(within[a], within[b]) - base)
                if across > bar { uf.union(a, b) }
            }
        }
        var partOf: [Int: Int] = [:]
        for g in groups.indices where partOf[uf.find(g)] == nil { partOf[uf.find(g)] = partOf.count }
        guard partOf.count >= 2 else { return nil }
        var parts = Array(repeating: [Int](), count: partOf.count)
        var sampled: [[Int]] = Array(repeating: [], count: partOf.count)
        for g in groups.indices { sampled[partOf[uf.find(g)]!] += groups[g] }
        let inSample = Dictionary(uniqueKeysWithValues: sample.enumerated().map { ($0.element, $0.offset) })
        // The part each member with text outside the sample resembles most, on all cores.
        let probes = sampled
        let closest = parallelBlocks(count: members.count, blockSize: 256, threads: threads) { range in
            range.map { k -> Int in
                let m = members[k]
                guard inSample[m] == nil, rarity.present[m] else { return -1 }
                let scores = probes.map { g -> Double in
                    let probe = g.prefix(64)
                    return probe.reduce(0.0) { $0 + rarity.weightedSimilarity(m, sample[$1]) } / Double(probe.count)
                }
                return scores.indices.max { (scores[$0], -$0) < (scores[$1], -$1) }!
            }
        }
        for (k, m) in members.enumerated() {
            if let i = inSample[m] {
                parts[partOf[uf.find(groups.firstIndex { $0.contains(i) }!)]!].append(m)
            } else if rarity.present[m] {
                parts[closest[k]].append(m)
            } else {
                parts[sampled.indices.max { (sampled[$0].count, -$0) < (sampled[$1].count, -$1) }!].append(m)
            }
        }
        return parts.sorted { ($0.count, $1[0]) > ($1.count, $0[0]) }
    }

    /// Whether two clusters' text makes them one campaign, by the rule `split` keeps two
    /// communities together with: the mean rarity-weighted vocabulary similarity across them is
    /// above the mean similarity of their members with `background` accounts plus
    /// `maxSharedShare` of the gap to their own mean similarity within (the smaller of the
    /// two). Each is compared on an evenly spaced sample of at most `sampleSize` members with at
    /// least `minPrompts` prompts; false when either has fewer than two.
    static func sameCampaign(
        _ a: [Int], _ b: [Int], accounts: [AccountState], rarity: VocabularyRarity, minPrompts: Int, background: [Int],
        maxSharedShare: Double, sampleSize: Int = 64
    ) -> Bool {
        func sample(_ members: [Int]) -> [Int] {
            let textual = members.filter { rarity.present[$0] && accounts[$0].withPrompt >= minPrompts }
            let n = min(sampleSize, textual.count)
            return (0..<n).map { textual[$0 * textual.count / n] }
        }
        let sa = sample(a)
        let sb = sample(b)
        guard sa.count >= 2, sb.count >= 2 else { return false }
        func within(_ g: [Int]) -> Double {
            var total = 0.0
            for i in g.indices { for j in (i + 1)..<g.count { total += rarity.weightedSimilarity(g[i], g[j]) } }
            return total / Double(g.count * (g.count - 1) / 2)
        }
        func across(_ g: [Int], _ h: [Int]) -> Double {
            guard !g.isEmpty, !h.isEmpty else { return 0 }
            var total = 0.0
            for x in g { for y in h { total += rarity.weightedSimilarity(x, y) } }
            return total / Double(g.count * h.count)
        }
        let outside = background.filter { rarity.present[$0] }
        let base = (across(sa, outside) + across(sb, outside)) / 2
        let bar = base + maxSharedShare * (min(within(sa), within(sb)) - base)
        return across(sa, sb) > bar
    }
}
