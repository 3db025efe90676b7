// Groups of accounts that share infrastructure more densely than anyone else: an account ×
// identifier graph (detection passes /24 and /48 networks) peeled greedily for its densest
// blocks, one connected component at a time, as Fraudar does (Hooi et al., "FRAUDAR: Bounding Graph Fraud in the Face of
// Camouflage", KDD 2016). Each identifier's edges weigh 1 / ln(users + 5), so a carrier-grade
// NAT or a university shared by hundreds of ordinary users adds little, while a proxy pool used
// only by one group of accounts adds much; and because the density is a sum over the block, an
// account that also uses other, innocent addresses (camouflage) does not hide the block.
//
// Written by hand: Fraudar has a Python reference implementation, no Swift package.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dense account × identifier blocks.
public enum DenseBlocks {
    /// Blocks of at least `minAccounts` accounts (indices, ascending), by connected component of
    /// the account–identifier graph (components in order of their lowest account), densest
    /// first within each; each later block of a component
    /// is peeled from what earlier ones left, `rounds` times at most (a block too small to report
    /// is set aside too, so it cannot hide a larger, less dense one). `identifiers[i]` are the
    /// identifier hashes of account i (any kinds, already tagged apart). Identifiers held by one
    /// account link nobody and are dropped. A block keeps only the accounts more than
    /// `minMemberShare` of whose shared identifiers are the block's. Deterministic: ties go to the lower index.
    /// O(E log E) per block for the E account–identifier edges of its component.
    public static func find<Identifiers: Collection<UInt64>>(
        identifiers: [Identifiers], minAccounts: Int, rounds: Int, minMemberShare: Double = 0.25
    ) -> [[Int]] {
        // Columns: identifiers held by two or more accounts, as dense ids.
        var holders: [UInt64: Int] = Dictionary(minimumCapacity: identifiers.reduce(0) { $0 + $1.count })
        for ids in identifiers { for h in ids { holders[h, default: 0] += 1 } }
        var column: [UInt64: Int] = [:]
        var rows: [[Int]] = Array(repeating: [], count: identifiers.count)
        for (i, ids) in identifiers.enumerated() {
            for h in ids where holders[h, default: 0] >= 2 {
                let c: Int
                if let known = column[h] {
                    c = known
                } else {
                    c = column.count
                    column[h] = c
                }
                rows[i].append(c)
            }
        }
        var columnRows: [[Int]] = Array(repeating: [], count: column.count)
        for (i, cs) in rows.enumerated() { for c in cs { columnRows[c].append(i) } }
        // Peeled one connected component at a time: accounts that share nothing with the rest
        // (a household sharing a card and a router) are components of their own, too small to
        // matter, and cannot use up the rounds of a component that holds a campaign.
        var components = UnionFind(count: rows.count)
        for holders in columnRows { for k in holders.dropFirst() { components.union(holders[0], k) } }
        var members: [Int: [Int]] = [:]
        for i in rows.indices where !rows[i].isEmpty { members[components.find(i), default: []].append(i) }
        var blocks: [[Int]] = []
        // Each component is peeled on its own rows and columns, renumbered in their global
        // order (so ties still go to the lower index): a run's cost is the sum over components
        // of their edges, not the number of components times the accounts.
        var local = [Int](repeating: -1, count: column.count)
        for component in members.values.filter({ $0.count >= minAccounts }).sorted(by: { $0[0] < $1[0] }) {
            var componentColumns: [Int] = []
            let componentRows = component.map { i -> [Int] in
                rows[i].map { c in
                    if local[c] < 0 {
                        local[c] = componentColumns.count
                        componentColumns.append(c)
                    }
                    return local[c]
                }
            }
            var componentColumnRows: [[Int]] = Array(repeating: [], count: componentColumns.count)
            for (k, cs) in componentRows.enumerated() { for c in cs { componentColumnRows[c].append(k) } }
            for c in componentColumns { local[c] = -1 }
            var removedRow = [Bool](repeating: false, count: component.count)
            var left = component.count
            for _ in 0..<rounds where left >= minAccounts {
                guard let (peeled, inColumns) = densest(rows: componentRows, columnRows: componentColumnRows, removedRow: removedRow)
                else { break }
                // A block's members live in its identifiers: an account that shares one of the
                // block's networks among several others of its own (an ordinary user in a proxy
                // pool's residential range) leaves it. (Every column here is shared: held by two
                // or more accounts.)
                let block = peeled.filter { k in
                    let shared = componentRows[k]
                    return !shared.isEmpty && Double(shared.filter { inColumns[$0] }.count) > minMemberShare * Double(shared.count)
                }
                if block.count >= minAccounts { blocks.append(block.map { component[$0] }) }
                for k in peeled { removedRow[k] = true }
                left -= peeled.count
            }
        }
        return blocks
    }

    /// The densest block's rows by greedy peeling: repeatedly remove the node (row or column)
    /// whose weighted degree in what remains is smallest, and keep the best g = f / |nodes| seen.
    /// Returns the block's rows and which columns it holds.
    static func densest(rows: [[Int]], columnRows: [[Int]], removedRow: [Bool]) -> (block: [Int], columns: [Bool])? {
        let r = rows.count
        let columns = columnRows.count
        // Column weights from the degree among the rows still in play.
        var degree = [Int](repeating: 0, count: columns)
        for i in 0..<r where !removedRow[i] { for c in rows[i] { degree[c] += 1 } }
        let weight = degree.map { 1 / log(Double($0) + 5) }
        // Node ids: rows 0..<r, columns r..<(r + columns). Priority: weighted degree.
        var priority = [Double](repeating: 0, count: r + columns)
        var alive = [Bool](repeating: false, count: r + columns)
        var total = 0.0
        var nodes = 0
        for i in 0..<r where !removedRow[i] && !rows[i].isEmpty {
            alive[i] = true
            nodes += 1
            for c in rows[i] {
                priority[i] += weight[c]
                total += weight[c]
            }
        }
        for c in 0..<columns where degree[c] >= 2 {
            alive[r + c] = true
            nodes += 1
            priority[r + c] = weight[c] * Double(degree[c])
        }
        // Columns now held by one remaining row carry weight but link nobody: start without them.
        for c in 0..<columns where degree[c] == 1 {
            for i in columnRows[c] where alive[i] {
                priority[i] -= weight[c]
                total -= weight[c]
            }
        }
        guard nodes > 0 else { return nil }
        var heap = MinHeap()
        for v in 0..<(r + columns) where alive[v] { heap.push(priority[v], v) }
        var order: [Int] = []  // removal order
        order.reserveCapacity(nodes)
        var best = total / Double(nodes)
        var bestRemoved = 0
        while let (p, v) = heap.pop() {
            guard alive[v], p == priority[v] else { continue }  // stale entry
            alive[v] = false
            order.append(v)
            nodes -= 1
            total -= priority[v]
            if v < r {
                for c in rows[v] where alive[r + c] {
                    priority[r + c] -= weight[c]
                    heap.push(priority[r + c], r + c)
                }
            } else {
                let c = v - r
                for i in columnRows[c] where alive[i] {
                    priority[i] -= weight[c]
                    heap.push(priority[i], i)
                }
            }
            if nodes > 0, total / Double(nodes) > best + 1e-12 {
                best = total / Double(nodes)
                bestRemoved = order.count
            }
        }
        // The block: the rows not yet removed when the density was best.
        var inBlock = [Bool](repeating: false, count: r)
        for i in 0..<r where !removedRow[i] && !rows[i].isEmpty { inBlock[i] = true }
        var inColumns = [Bool](repeating: false, count: columns)
        for c in 0..<columns where degree[c] >= 2 { inColumns[c] = true }
        for v in order.prefix(bestRemoved) {
            if v < r { inBlock[v] = false } else { inColumns[v - r] = false }
        }
        let block = (0..<r).filter { inBlock[$0] }
        return block.isEmpty ? nil : (block, inColumns)
    }
}

/// A binary min-heap of (priority, node); equal priorities pop the lower node first.
struct MinHeap {
    private var items: [(Double, Int)] = []

    mutating func push(_ priority: Double, _ node: Int) {
        items.append((priority, node))
        var k = items.count - 1
        while k > 0 {
            let parent = (k - 1) / 2
            guard items[k] < items[parent] else { break }
            items.swapAt(k, parent)
            k = parent
        }
    }

    mutating func pop() -> (Double, Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var k = 0
            while true {
                let l = 2 * k + 1
                let rr = l + 1
                var m = k
                if l < items.count && items[l] < items[m] { m = l }
                if rr < items.count && items[rr] < items[m] { m = rr }
                if m == k { break }
                items.swapAt(k, m)
                k = m
            }
        }
        return top
    }
}
