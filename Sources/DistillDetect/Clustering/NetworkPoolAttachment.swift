// Attaches accounts that live inside a reported cluster's network pool. A campaign behind a
// residential proxy pool spreads each account over many of the pool's /24 (IPv6 /48)
// networks; its smaller accounts may not have made it into the cluster, but nearly all of
// their networks are the pool's, which ordinary users sitting in the same pool (one or two of
// their networks) are not. Each outside account is tested on its own: how surprising its count
// of pool networks is, given how often accounts outside the cluster touch the pool.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum NetworkPoolAttachment {
    /// P(X ≥ j) for X ~ Binomial(k, p).
    static func binomialTail(_ j: Int, _ k: Int, _ p: Double) -> Double {
        guard j > 0 else { return 1 }
        guard j <= k, p > 0 else { return j <= k && p >= 1 ? 1 : 0 }
        if p >= 1 { return 1 }
        var total = 0.0
        var logChoose = 0.0  // ln C(k, i), built up from i = 0
        for i in 0...k {
            if i > 0 { logChoose += log(Double(k - i + 1)) - log(Double(i)) }
            if i >= j { total += exp(logChoose + Double(i) * log(p) + Double(k - i) * log(1 - p)) }
        }
        return min(1, total)
    }

    /// Accounts (indices, ascending) outside `taken` whose networks lie in the pool of the
    /// cluster `members` (networks at least half of whose holders are members) more than chance
    /// allows: binomial tail at most `level` divided by the number of accounts tested.
    /// `tables` are the run's (`HolderTables`). O(members' networks + accounts' networks).
    static func candidates(
        for members: [Int], accounts: [AccountState], tables: HolderTables, taken: Set<Int>, level: Double
    ) -> [Int] {
        var inCluster = [Bool](repeating: false, count: accounts.count)
        for m in members { inCluster[m] = true }
        var inside: [Int32: Int32] = [:]
        for m in members { for id in tables.networks(m) { inside[id, default: 0] += 1 } }
        var pool = [Bool](repeating: false, count: tables.idCount)
        var poolSize = 0
        for (id, count) in inside where 2 * count >= tables.holders[Int(id)] {
            pool[Int(id)] = true
            poolSize += 1
        }
        guard poolSize > 0 else { return [] }
        // How often an outside account's network is a pool network.
        var uses = 0
        var poolUses = 0
        var tested = 0
        // Pool networks per outside account, counted once for both passes.
        var inPool = [Int32](repeating: 0, count: accounts.count)
        for i in accounts.indices where !inCluster[i] {
            let nets = tables.networks(i)
            uses += nets.count
            var j: Int32 = 0
            for id in nets where pool[Int(id)] { j += 1 }
            poolUses += Int(j)
            inPool[i] = j
            if !taken.contains(i) && !nets.isEmpty { tested += 1 }
        }
        guard uses > 0, tested > 0 else { return [] }
        let p = Double(poolUses) / Double(uses)
        let cut = level / Double(tested)
        return accounts.indices.filter { i in
            guard !inCluster[i], inPool[i] >= 2, !taken.contains(i) else { return false }
            return binomialTail(Int(inPool[i]), tables.networks(i).count, p) <= cut
        }
    }
}
