// Stage 5: which accounts are linked, and by what evidence. Candidate pairs come from
// locality-sensitive hashing over the accounts' vocabulary sketches (never all pairs) and from
// shared payment fingerprints; each candidate is verified and keeps the evidence it carries.

/// Evidence between two accounts (indices into the account list).
public struct AccountLink: Sendable, Equatable {
    public var a: Int
    public var b: Int
    /// Rarity-weighted similarity of their vocabularies (word bigrams), 0–1
    /// (`VocabularyRarity.weightedSimilarity`).
    public var content: Double
    public var sharedPayment: Bool
    public var sharedNetworks: Int
}

/// Many accounts' sorted hash sets in one flat array (offsets per account): intersecting two
/// reads two runs of one buffer instead of chasing each account's own array.
struct FlatSets: @unchecked Sendable {
    private let offsets: [Int32]
    private let values: [UInt64]

    init(_ sets: [BottomKSet]) {
        var offsets: [Int32] = [0]
        var values: [UInt64] = []
        offsets.reserveCapacity(sets.count + 1)
        for set in sets {
            values += set.hashes
            offsets.append(Int32(values.count))
        }
        self.offsets = offsets
        self.values = values
    }

    /// Values the two sets share.
    @inline(__always)
    func sharedCount(_ x: Int, _ y: Int) -> Int {
        offsets.withUnsafeBufferPointer { o in
            values.withUnsafeBufferPointer { v in
                commonCount(v, Int(o[x])..<Int(o[x + 1]), Int(o[y])..<Int(o[y + 1]))
            }
        }
    }
}

/// Elements two ascending runs of `v` have in common. With `needed`, the walk stops as soon as
/// that many are found (returning them) or can no longer be (returning fewer): enough to
/// decide `commonCount >= needed`.
@inline(__always)
func commonCount<T: Comparable>(_ v: UnsafeBufferPointer<T>, _ a: Range<Int>, _ b: Range<Int>, needed: Int? = nil) -> Int {
    var i = a.lowerBound
    var j = b.lowerBound
    var common = 0
    while i < a.upperBound && j < b.upperBound {
        if let needed, common >= needed || common + min(a.upperBound - i, b.upperBound - j) < needed { break }
        if v[i] == v[j] {
            common += 1
            i += 1
            j += 1
        } else if v[i] < v[j] {
            i += 1
        } else {
            j += 1
        }
    }
    return common
}

public enum AccountLinkage {
    static func filledBins(_ s: MinHashSketch) -> Int {
        var filled = 0
        s.forEachFilledBin { _, _ in filled += 1 }
        return filled
    }

    /// Topic shares followed by the chain-of-thought share.
    static func profile(_ a: borrowing AccountState, topics: Int) -> [Double] {
        // `topicShare` of each topic, the histogram read once.
        var p = [Double](repeating: 0, count: topics + 1)
        let total = a.topics.total
        if total > 0 {
            for e in a.topics.entries where Int(e.key) < topics { p[Int(e.key)] = Double(e.count) / Double(total) }
        }
        p[topics] = a.chainOfThoughtShare
        return p
    }

    static func cosine(_ x: [Double], _ y: [Double]) -> Double {
        var dot = 0.0
        var nx = 0.0
        var ny = 0.0
        for i in x.indices {
            dot += x[i] * y[i]
            nx += x[i] * x[i]
            ny += y[i] * y[i]
        }
        return nx == 0 || ny == 0 ? 0 : dot / (nx.squareRoot() * ny.squareRoot())
    }

    /// Groups (key, account) entries by key, in key order with accounts ascending, and hands
    /// each group of two or more to `propose`. Sorting one flat array replaces a dictionary of
    /// hundreds of thousands of small arrays (one per LSH bucket).
    static func proposeGroups(_ entries: inout [(key: UInt64, account: Int)], _ propose: ([Int]) -> Void) {
        entries.sort { ($0.key, $0.account) < ($1.key, $1.account) }
        var start = 0
        var members: [Int] = []
        while start < entries.count {
            var end = start + 1
            while end < entries.count && entries[end].key == entries[start].key { end += 1 }
            if end - start > 1 {
                members.removeAll(keepingCapacity: true)
                for k in start..<end { members.append(entries[k].account) }
                propose(members)
            }
            start = end
        }
    }

    /// Verified links among `accounts` (sorted by id), in a deterministic order. `rarity` holds
    /// the accounts' densified vocabulary sketches and the population weights of their values.
    /// `candidates`: pairs found elsewhere by grouping the accounts' content and payment keys
    /// (`LinkageKeys`), used instead of grouping them here (the same pairs either way).
    public static func links(
        _ accounts: [AccountState], rarity: VocabularyRarity, topicCount: Int, options: DetectionConfig,
        candidates given: [Int64]? = nil
    ) -> [AccountLink] {
        var candidates = given ?? (LinkageKeys.candidates(accounts, source: .contentBand, options: options)
            + LinkageKeys.candidates(accounts, source: .payment, options: options))
        candidates.sort()
        // Per-account figures read by every candidate pair, extracted once (copying an
        // account's state per pair would retain every one of its buffers): profiles in one
        // flat table with their norms, for the same cosine as `cosine(_:_:)`.
        let stride = topicCount + 1
        var profiles = [Double](repeating: 0, count: accounts.count * stride)
        var norms = [Double](repeating: 0, count: accounts.count)
        for i in accounts.indices {
            let p = profile(accounts[i], topics: topicCount)
            var n = 0.0
            for t in 0..<stride {
                profiles[i * stride + t] = p[t]
                n += p[t] * p[t]
            }
            norms[i] = n.squareRoot()
        }
        let orgs = FlatSets(accounts.indices.map { accounts[$0].orgs.values })
        let cardSets = FlatSets(accounts.indices.map { accounts[$0].payments.values })
        let networkSets = FlatSets(accounts.indices.map { accounts[$0].networks.values })
        // Unique candidates, verified on all cores in contiguous ranges (so the result keeps
        // the sorted order whatever the thread count).
        var unique: [Int64] = []
        unique.reserveCapacity(candidates.count)
        for pair in candidates where unique.last != pair { unique.append(pair) }
        candidates = []
        // Blocks claimed by the threads as they go: the costly candidates (a campaign's)
        // bunch up in the order, and fixed halves left one thread working alone.
        let shared = UncheckedSendable((unique, rarity, profiles, norms, orgs, cardSets, networkSets))
        return parallelBlocks(count: unique.count, blockSize: 8192, threads: options.threads) { range in
            let (unique, rarity, profiles, norms, orgs, cardSets, networkSets) = shared.value
            var found: [AccountLink] = []
            for k in range {
                let (i, j) = (Int(unique[k] >> 32), Int(unique[k] & 0xFFFF_FFFF))
                // Cheap checks first: most candidates fail the profile test and share no card.
                let alike = profiles.withUnsafeBufferPointer { p -> Double in
                    guard norms[i] != 0 && norms[j] != 0 else { return 0 }
                    var dot = 0.0
                    for t in 0..<stride { dot += p[i * stride + t] * p[j * stride + t] }
                    return dot / (norms[i] * norms[j])
                } >= options.minProfileSimilarity
                let card = cardSets.sharedCount(i, j) > 0
                guard alike || card else { continue }
                // Accounts of one organisation are one customer, openly: never "unrelated accounts".
                if orgs.sharedCount(i, j) > 0 { continue }
                // Weighted by rarity: what many accounts share says little about these two.
                let content = rarity.weightedSimilarity(i, j)
                let linked = (content >= options.contentThreshold && alike) || (card && content >= options.sharedPaymentContentThreshold)
                guard linked else { continue }
                found.append(AccountLink(
                    a: i, b: j, content: content, sharedPayment: card, sharedNetworks: networkSets.sharedCount(i, j)))
            }
            return found
        }
    }
}
