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

/// Densified vocabulary sketches of every account in one flat table, with the population's
/// IDF weight of each (bin, value).
public struct VocabularyRarity: @unchecked Sendable {
    public static let bins = AccountState.vocabularyBins
    /// `accounts × bins` densified values (`MinHashSketch.emptyBin` rows for empty sketches).
    let dense: [UInt16]
    /// Whether the account's sketch is non-empty.
    let present: [Bool]
    /// `bins × 65536` weights: ln((n + 1) / df) for a (bin, value) held by df accounts.
    let weights: [Float]
    /// Per account, the sum of its bins' weights (the weighted set size).
    let totals: [Float]

    public init(_ accounts: [AccountState]) {
        let bins = Self.bins
        var dense = [UInt16](repeating: MinHashSketch.emptyBin, count: accounts.count * bins)
        var present = [Bool](repeating: false, count: accounts.count)
        var weights = [Float](repeating: 0, count: bins << 16)
        for i in accounts.indices where !accounts[i].vocabulary.isEmpty {
            let d = accounts[i].vocabulary.densified()
            present[i] = true
            for b in 0..<bins {
                dense[i * bins + b] = d[b]
                weights[b << 16 | Int(d[b])] += 1
            }
        }
        let n = Float(present.filter { $0 }.count + 1)
        for k in weights.indices where weights[k] > 0 { weights[k] = logf(n / weights[k]) }
        var totals = [Float](repeating: 0, count: accounts.count)
        for i in accounts.indices where present[i] {
            var t: Float = 0
            for b in 0..<bins { t += weights[b << 16 | Int(dense[i * bins + b])] }
            totals[i] = t
        }
        self.dense = dense
        self.present = present
        self.weights = weights
        self.totals = totals
    }

    /// The densified sketch of account `i` (empty-bin values when it has none).
    func row(_ i: Int) -> ArraySlice<UInt16> { dense[i * Self.bins..<(i + 1) * Self.bins] }

    /// Unweighted estimate of the Jaccard similarity of two accounts' vocabularies (0–1).
    @inline(__always)
    public func similarity(_ x: Int, _ y: Int) -> Double {
        guard present[x], present[y] else { return 0 }
        return dense.withUnsafeBufferPointer { d in
            var equal = 0
            let bx = x * Self.bins
            let by = y * Self.bins
            for b in 0..<Self.bins where d[bx + b] == d[by + b] { equal += 1 }
            return Double(equal) / Double(Self.bins)
        }
    }

    /// IDF-weighted similarity of two accounts' vocabularies (0–1): the weight of the bins on
    /// which they agree over the mean weight of their sketches. Equal to `similarity` when every
    /// value is equally rare; lower when what they share is common.
    @inline(__always)
    public func weightedSimilarity(_ x: Int, _ y: Int) -> Double {
        guard present[x], present[y] else { return 0 }
        let den = (totals[x] + totals[y]) / 2
        guard den > 0 else { return 0 }
        return dense.withUnsafeBufferPointer { d in
            weights.withUnsafeBufferPointer { w in
                var num: Float = 0
                let bx = x * Self.bins
                let by = y * Self.bins
                for b in 0..<Self.bins where d[bx + b] == d[by + b] { num += w[b << 16 | Int(d[bx + b])] }
                return Double(num / den)
            }
        }
    }
}
