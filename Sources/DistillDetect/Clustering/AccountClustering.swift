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
    public static func supported(_ links: [AccountLink], accountCount: Int, minCommon: Int = 2, minShare: Double = 0.3) -> [AccountLink] {
        var neighbours = Array(repeating: [Int](), count: accountCount)
        for l in links {
            neighbours[l.a].append(l.b)
            neighbours[l.b].append(l.a)
        }
        for i in neighbours.indices { neighbours[i].sort() }
        return links.filter { l in
            let x = neighbours[l.a]
            let y = neighbours[l.b]
            var common = 0
            var i = 0
            var j = 0
            while i < x.count && j < y.count {
                if x[i] == y[j] {
                    common += 1
                    i += 1
                    j += 1
                } else if x[i] < y[j] {
                    i += 1
                } else {
                    j += 1
                }
            }
            // A shared payment fingerprint is evidence on its own for a pair of few-prompt accounts.
            if l.sharedPayment && common >= 1 { return true }
            return common >= minCommon && Double(common) >= minShare * Double(min(x.count, y.count) - 1)
        }
    }

    /// Groups of account indices (each sorted), for components of at least `minSize` accounts.
    /// A component larger than `maxShare` of the linked accounts (and above 200) is split by
    /// raising the content threshold in steps of 0.05.
    public static func clusters(
        accountCount: Int, links: [AccountLink], minSize: Int, maxShare: Double = 0.25
    ) -> [[Int]] {
        var result: [[Int]] = []
        var pending: [(members: [Int], threshold: Double)] = [(Array(0..<accountCount), 0)]
        let linked = Set(links.flatMap { [$0.a, $0.b] }).count
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
                    pending.append((sorted, max(threshold, 0.3) + 0.05))
                } else {
                    result.append(sorted)
                }
            }
        }
        return result.sorted { $0[0] < $1[0] }
    }
}
