// Synchrony linkage without prompt text, after SynchroTrap (Cao, Yang, Yu & Palow, "Uncovering
// Large Groups of Active Malicious Accounts in Online Social Networks", CCS 2014): each
// account's actions are a set of (time bucket, action key) items, the action key taken from
// the envelope the logs have (the /24 or /48 network; model · endpoint · user agent), kept as
// a MinHash sketch per account (`AccountState.actionSketch`). Candidate pairs come from LSH
// bands over the sketches (never all pairs); a pair is linked when the Jaccard similarity of
// its items, each weighted by how rare it is in the population (inverse document frequency,
// as `VocabularyRarity` weighs vocabulary), reaches `DetectionConfig.synchronyThreshold`. What
// hundreds of accounts do in one bucket (a busy hour of a popular model from a popular
// client) weighs little; what a few accounts do together in bucket after bucket (an
// orchestrator's batches) links them. Accounts of one organisation are never linked.
//
// Written by hand: SynchroTrap's published system is a Hadoop/Giraph pipeline over social-
// network actions; the weighted MinHash estimate is the one of `VocabularyRarity`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Metadata action sketches of every account in one flat table, densified within each half
/// (network items, client items), with the population's IDF weight of each (bin, value).
public struct SynchronyRarity: @unchecked Sendable {
    public static let bins = AccountState.actionBins
    /// Bins per item kind: network items in the first half, client items in the second.
    public static let half = AccountState.actionBins / 2
    /// `accounts × bins` values, each half densified on its own (`MinHashSketch.emptyBin` in
    /// a half the account has no item of).
    let dense: [UInt16]
    /// Non-empty bins of each half of the raw sketch (about the distinct items, up to 32):
    /// `accounts × 2`.
    let filled: [Int]
    /// `bins × 65536` weights: ln((n + 1) / df) for a (bin, value) held by df accounts, and 0
    /// for one held by more than the popular-item cap: agreeing on it links nobody.
    let weights: [Float]
    /// Per account and half, the sum of its bins' IDF weights, popular items included at
    /// their IDF weight: they dilute (an account that mostly does what hundreds do is not
    /// made alike to another by the few rare items they happen to share).
    let totals: [Float]

    /// `maxHolders(n)`: the most accounts (of the n with sketches) an item may be held by and
    /// still count; `DetectionConfig.synchronyItemCap`.
    public init(_ accounts: [AccountState], maxHolders: (Int) -> Int = { _ in Int.max }) {
        let bins = Self.bins
        let half = Self.half
        var dense = [UInt16](repeating: MinHashSketch.emptyBin, count: accounts.count * bins)
        var filled = [Int](repeating: 0, count: accounts.count * 2)
        var holders = [Int32](repeating: 0, count: bins << 16)
        var present = 0
        for i in accounts.indices where !accounts[i].actionSketch.isEmpty {
            let storage = accounts[i].actionSketch.bins
            present += 1
            for k in 0..<2 {
                let (row, count) = Self.densifiedHalf(storage, kind: k)
                filled[i * 2 + k] = count
                guard count > 0 else { continue }
                for (offset, value) in row.enumerated() {
                    let b = k * half + offset
                    dense[i * bins + b] = value
                    holders[b << 16 | Int(value)] += 1
                }
            }
        }
        let n = Float(present + 1)
        let cap = maxHolders(present)
        var weights = [Float](repeating: 0, count: bins << 16)
        for k in holders.indices where holders[k] > 0 { weights[k] = logf(n / Float(holders[k])) }
        var totals = [Float](repeating: 0, count: accounts.count * 2)
        for i in accounts.indices {
            for k in 0..<2 where filled[i * 2 + k] > 0 {
                var t: Float = 0
                for b in (k * half)..<((k + 1) * half) { t += weights[b << 16 | Int(dense[i * bins + b])] }
                totals[i * 2 + k] = t
            }
        }
        for k in holders.indices where Int(holders[k]) > cap { weights[k] = 0 }
        self.dense = dense
        self.filled = filled
        self.weights = weights
        self.totals = totals
    }

    /// Half `kind` (0: network items, 1: client items) of a non-empty action sketch's bins,
    /// densified within the half, and how many of its bins were filled (0: the row is not
    /// meaningful). Densification within the half (Shrivastava & Li 2014): an empty bin takes
    /// the value of a pseudo-randomly probed filled bin of the same half.
    static func densifiedHalf(_ storage: [UInt16], kind: Int) -> (row: [UInt16], filled: Int) {
        let base = kind * half
        let count = (base..<(base + half)).reduce(0) { $0 + (storage[$1] == MinHashSketch.emptyBin ? 0 : 1) }
        guard count > 0 else { return ([], 0) }
        var row = [UInt16](repeating: MinHashSketch.emptyBin, count: half)
        for b in base..<(base + half) {
            var j = b
            var attempt: UInt64 = 0
            while storage[j] == MinHashSketch.emptyBin {
                j = base + Int(truncatingIfNeeded: StableHash.combine(UInt64(b), attempt) >> 1) & (half - 1)
                attempt += 1
            }
            row[b - base] = storage[j]
        }
        return (row, count)
    }

    /// The densified half `kind` of account `i`'s sketch.
    func row(_ i: Int, kind: Int) -> [UInt16] { Array(dense[(i * Self.bins + kind * Self.half)..<(i * Self.bins + (kind + 1) * Self.half)]) }

    /// Filled bins of half `kind` of account `i`.
    func filled(_ i: Int, kind: Int) -> Int { filled[i * 2 + kind] }

    /// IDF-weighted Jaccard estimate of two accounts' items of one kind (0–1): the weight of
    /// the bins on which they agree over the mean weight of their halves.
    @inline(__always)
    public func weightedSimilarity(_ x: Int, _ y: Int, kind: Int) -> Double {
        guard filled[x * 2 + kind] > 0, filled[y * 2 + kind] > 0 else { return 0 }
        let den = (totals[x * 2 + kind] + totals[y * 2 + kind]) / 2
        guard den > 0 else { return 0 }
        return dense.withUnsafeBufferPointer { d in
            weights.withUnsafeBufferPointer { w in
                var num: Float = 0
                let bx = x * Self.bins
                let by = y * Self.bins
                for b in (kind * Self.half)..<((kind + 1) * Self.half) where d[bx + b] == d[by + b] {
                    num += w[b << 16 | Int(d[bx + b])]
                }
                return Double(num / den)
            }
        }
    }

    /// The pair's synchrony: the stronger of its network and client similarities (as
    /// SynchroTrap compares actions per constraint object).
    @inline(__always)
    public func weightedSimilarity(_ x: Int, _ y: Int) -> Double {
        max(weightedSimilarity(x, y, kind: 0), weightedSimilarity(x, y, kind: 1))
    }
}

public enum SynchronyLinkage {
    /// Verified synchrony links among `accounts`, in a deterministic order (`content` holds the
    /// weighted synchrony similarity, so the giant-component split of `AccountClustering` can
    /// raise it). Cost: one pass over the accounts' band keys, a sort, and the candidates
    /// (each LSH bucket proposes a number of pairs linear in its size).
    /// `candidates`: pairs found elsewhere by grouping the accounts' synchrony keys
    /// (`LinkageKeys`), used instead of grouping them here (the same pairs either way).
    public static func links(
        _ accounts: [AccountState], rarity: SynchronyRarity, options: DetectionConfig, candidates given: [Int64]? = nil
    ) -> [AccountLink] {
        var candidates = given ?? LinkageKeys.candidates(accounts, source: .synchrony, options: options)
        candidates.sort()
        var unique: [Int64] = []
        unique.reserveCapacity(candidates.count)
        for pair in candidates where unique.last != pair { unique.append(pair) }
        candidates = []
        let orgs = FlatSets(accounts.indices.map { accounts[$0].orgs.values })
        let cards = FlatSets(accounts.indices.map { accounts[$0].payments.values })
        let networks = FlatSets(accounts.indices.map { accounts[$0].networks.values })
        let threshold = options.synchronyThreshold
        let shared = UncheckedSendable((unique, rarity, orgs, cards, networks))
        return parallelBlocks(count: unique.count, blockSize: 8192, threads: options.threads) { range in
            let (unique, rarity, orgs, cards, networks) = shared.value
            var found: [AccountLink] = []
            for k in range {
                let (i, j) = (Int(unique[k] >> 32), Int(unique[k] & 0xFFFF_FFFF))
                let s = rarity.weightedSimilarity(i, j)
                guard s >= threshold else { continue }
                // One organisation's accounts acting together (a cron fleet) are one customer.
                if orgs.sharedCount(i, j) > 0 { continue }
                found.append(AccountLink(a: i, b: j, content: s, sharedPayment: cards.sharedCount(i, j) > 0,
                                         sharedNetworks: networks.sharedCount(i, j)))
            }
            return found
        }
    }
}
