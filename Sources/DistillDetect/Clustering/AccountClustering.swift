// Stage 6: weighted connected components over the verified links, with giant components split
// by raising the content threshold until they fall apart into their dense cores. Deterministic:
// union-find over links in a fixed order, components ordered by their smallest account index.

/// Disjoint sets with path halving and union by size.
struct UnionFind {
    private var parent: [Int]
    private var size: [Int]

    init(count: Int) {
        parent = Array(0..<count)
        size = Array(repeating: 1, count: count)
    }

    mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    mutating func union(_ a: Int, _ b: Int) {
        var ra = find(a)
        var rb = find(b)
        guard ra != rb else { return }
        if size[ra] < size[rb] || (size[ra] == size[rb] && ra > rb) { swap(&ra, &rb) }
        parent[rb] = ra
        size[ra] += size[rb]
    }
}

public enum AccountClustering {
    /// Keeps the links whose two accounts share enough linked neighbours (shared-nearest-
    /// neighbour support): a campaign's accounts are alike to one another, so they share most
    /// neighbours; an ordinary account that happens to resemble a few of them does not, so
    /// it cannot chain a campaign and unrelated users into one component.
    public static func supported(
        _ links: [AccountLink], accountCount: Int, threads: Int = 1, minCommon: Int = 2, minShare: Double = 0.3
    ) -> [AccountLink] {
        // Neighbour lists in one flat array (CSR), sorted, so intersections copy nothing.
        var degree = [Int](repeating: 0, count: accountCount + 1)
        for l in links {
            degree[l.a + 1] += 1
            degree[l.b + 1] += 1
        }
        for i in 0..<accountCount { degree[i + 1] += degree[i] }
        var fill = degree
        var flat = [Int](repeating: 0, count: links.count * 2)
        for l in links {
            flat[fill[l.a]] = l.b
            fill[l.a] += 1
            flat[fill[l.b]] = l.a
            fill[l.b] += 1
        }
        // Links in (a, b) order with a < b, as `AccountLinkage.links` returns them, fill each
        // list already sorted (smaller neighbours first, then larger, each ascending); sort
        // only the lists that are not.
        flat.withUnsafeMutableBufferPointer { f in
            for i in 0..<accountCount where degree[i + 1] - degree[i] > 1 {
                var sorted = true
                for k in (degree[i] + 1)..<degree[i + 1] where f[k - 1] > f[k] {
                    sorted = false
                    break
                }
                if !sorted {
                    var list = UnsafeMutableBufferPointer(rebasing: f[degree[i]..<degree[i + 1]])
                    list.sort()
                }
            }
        }
        // Checked on all cores in blocks kept in order, so the order never depends on threads.
        let shared = UncheckedSendable((flat, degree, links))
        return parallelBlocks(count: links.count, blockSize: 16384, threads: threads) { range in
            let (flat, degree, links) = shared.value
            return flat.withUnsafeBufferPointer { n in
                links[range].filter { l in
                    // Kept when common >= minCommon and common >= minShare × (smaller degree − 1),
                    // or, with a shared payment fingerprint (evidence on its own for a pair of
                    // few-prompt accounts), when common >= 1. The walk stops once that is decided.
                    let smaller = min(degree[l.a + 1] - degree[l.a], degree[l.b + 1] - degree[l.b])
                    let share = minShare * Double(smaller - 1)
                    var needed = max(minCommon, share > 0 ? Int(share.rounded(.up)) : 0)
                    if l.sharedPayment { needed = min(needed, 1) }
                    let common = commonCount(n, degree[l.a]..<degree[l.a + 1], degree[l.b]..<degree[l.b + 1], needed: needed)
                    return common >= needed
                }
            }
        }
    }

    /// Groups of account indices (each sorted), for components of at least `minSize` accounts.
    /// A component larger than `maxShare` of the linked accounts (and above 200) is split by
    /// raising the content threshold in steps of 0.05.
    /// `population`, when given, replaces the linked accounts as the reference of `maxShare`;
    /// `startThreshold` is the bar the first split raises (the links' own threshold).
    public static func clusters(
        accountCount: Int, links: [AccountLink], minSize: Int, maxShare: Double = 0.25, population: Int? = nil,
        startThreshold: Double = 0.3
    ) -> [[Int]] {
        var result: [[Int]] = []
        var pending: [(members: [Int], threshold: Double)] = [(Array(0..<accountCount), 0)]
        let linked = population ?? Set(links.flatMap { [$0.a, $0.b] }).count
        while let (members, threshold) = pending.popLast() {
            let inside = Set(members)
            var uf = UnionFind(count: accountCount)
            for link in links where inside.contains(link.a) && inside.contains(link.b)
                && (link.content >= threshold || (threshold == 0)) {
                uf.union(link.a, link.b)
            }
            var groups: [Int: [Int]] = [:]
            for m in members { groups[uf.find(m), default: []].append(m) }
            for group in groups.values where group.count >= minSize {
                let sorted = group.sorted()
                let tooBig = sorted.count > 200 && Double(sorted.count) > maxShare * Double(max(linked, 1))
                if tooBig && threshold < 0.9 {
                    pending.append((sorted, max(threshold, startThreshold) + 0.05))
                } else {
                    result.append(sorted)
                }
            }
        }
        return result.sorted { $0[0] < $1[0] }
    }
}
