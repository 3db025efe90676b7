// Inverse document frequency of sketch entries: how many accounts hold each (bin, value) of the
// densified vocabulary sketch. A value many accounts share is a common phrase ("step by step",
// a greeting, a popular question); a value few share is distinctive. Content similarity
// weighted by it is what links accounts: a habit thousands of users have links nobody.
//
// Written by hand: an IDF-weighted Jaccard estimate over one-permutation MinHash bins (the
// weighting of Chum, Philbin & Zisserman, "Near duplicate image detection: min-Hash and tf-idf
// weighting", BMVC 2008) is not something a package provides.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Densified vocabulary sketches of the accounts, with the population's IDF weight of each
/// (bin, value). Rows are kept in one flat table for the accounts linkage and attachment
/// compare with many others (at least `cacheMinPrompts` prompts); the others' rows are
/// densified from their sketches when asked for (a million one-prompt accounts would
/// otherwise hold 256 MB of rows that are rarely read).
public struct VocabularyRarity: @unchecked Sendable {
    public static let bins = AccountState.vocabularyBins
    /// Cached rows, `bins` values each, back to back.
    let dense: [UInt16]
    /// Per account: its row in `dense`, or -1 when its row is densified on demand.
    let rowIndex: [Int32]
    /// The accounts, for the rows not cached.
    let accounts: [AccountState]
    /// Whether the account's sketch is non-empty.
    let present: [Bool]
    /// `bins × 65536` weights: ln((n + 1) / df) for a (bin, value) held by df accounts.
    let weights: [Float]
    /// Per account, the sum of its bins' weights (the weighted set size).
    let totals: [Float]
    /// Accounts with a vocabulary, plus one: the n of the weights.
    let population: Float

    /// `cacheMinPrompts`: accounts with fewer prompts have their rows densified on demand.
    public init(_ accounts: [AccountState], cacheMinPrompts: Int = 0) {
        let bins = Self.bins
        var dense: [UInt16] = []
        var rowIndex = [Int32](repeating: -1, count: accounts.count)
        var present = [Bool](repeating: false, count: accounts.count)
        var weights = [Float](repeating: 0, count: bins << 16)
        for i in accounts.indices where !accounts[i].vocabulary.isEmpty {
            let d = accounts[i].vocabulary.densified()
            present[i] = true
            for b in 0..<bins { weights[b << 16 | Int(d[b])] += 1 }
            if accounts[i].withPrompt >= cacheMinPrompts {
                rowIndex[i] = Int32(dense.count / bins)
                dense += d
            }
        }
        let n = Float(present.filter { $0 }.count + 1)
        for k in weights.indices where weights[k] > 0 { weights[k] = logf(n / weights[k]) }
        var totals = [Float](repeating: 0, count: accounts.count)
        for i in accounts.indices where present[i] {
            var t: Float = 0
            let d = rowIndex[i] >= 0 ? [] : accounts[i].vocabulary.densified()
            for b in 0..<bins {
                let v = rowIndex[i] >= 0 ? dense[Int(rowIndex[i]) * bins + b] : d[b]
                t += weights[b << 16 | Int(v)]
            }
            totals[i] = t
        }
        self.dense = dense
        self.rowIndex = rowIndex
        self.accounts = accounts
        self.present = present
        self.weights = weights
        self.totals = totals
        self.population = n
    }

    /// Accounts whose densified sketch holds `value` in `bin` (0 when none does).
    func holders(bin: Int, value: UInt16) -> Int {
        let w = weights[bin << 16 | Int(value)]
        return w > 0 ? Int((population / expf(w)).rounded()) : 0
    }

    /// The densified sketch of account `i` (empty-bin values when it has none).
    func row(_ i: Int) -> [UInt16] {
        let r = Int(rowIndex[i])
        if r >= 0 { return Array(dense[r * Self.bins..<(r + 1) * Self.bins]) }
        return accounts[i].vocabulary.densified()
    }

    /// Calls `body` with the densified rows of `x` and `y`, from the table when cached.
    @inline(__always)
    private func withRows<R>(_ x: Int, _ y: Int, _ body: (UnsafeBufferPointer<UInt16>, UnsafeBufferPointer<UInt16>) -> R) -> R {
        let rx = Int(rowIndex[x])
        let ry = Int(rowIndex[y])
        if rx >= 0 && ry >= 0 {
            return dense.withUnsafeBufferPointer { d in
                body(UnsafeBufferPointer(rebasing: d[rx * Self.bins..<(rx + 1) * Self.bins]),
                     UnsafeBufferPointer(rebasing: d[ry * Self.bins..<(ry + 1) * Self.bins]))
            }
        }
        let a = row(x)
        let b = row(y)
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in body(pa, pb) } }
    }

    /// Unweighted estimate of the Jaccard similarity of two accounts' vocabularies (0–1).
    @inline(__always)
    public func similarity(_ x: Int, _ y: Int) -> Double {
        guard present[x], present[y] else { return 0 }
        return withRows(x, y) { a, b in
            var equal = 0
            for k in 0..<Self.bins where a[k] == b[k] { equal += 1 }
            return Double(equal) / Double(Self.bins)
        }
    }

    /// `similarity` of account `x` and a row obtained from `row(_:)` of a present account.
    public func similarity(_ x: Int, row other: [UInt16]) -> Double {
        guard present[x] else { return 0 }
        let r = Int(rowIndex[x])
        let mine = r >= 0 ? Array(dense[r * Self.bins..<(r + 1) * Self.bins]) : row(x)
        var equal = 0
        for k in 0..<Self.bins where mine[k] == other[k] { equal += 1 }
        return Double(equal) / Double(Self.bins)
    }

    /// IDF-weighted similarity of two accounts' vocabularies (0–1): the weight of the bins on
    /// which they agree over the mean weight of their sketches. Equal to `similarity` when every
    /// value is equally rare; lower when what they share is common.
    @inline(__always)
    public func weightedSimilarity(_ x: Int, _ y: Int) -> Double {
        guard present[x], present[y] else { return 0 }
        let den = (totals[x] + totals[y]) / 2
        guard den > 0 else { return 0 }
        return withRows(x, y) { a, b in
            weights.withUnsafeBufferPointer { w in
                var num: Float = 0
                for k in 0..<Self.bins where a[k] == b[k] { num += w[k << 16 | Int(a[k])] }
                return Double(num / den)
            }
        }
    }
}
