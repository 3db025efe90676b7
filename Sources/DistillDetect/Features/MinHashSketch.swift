// One-permutation MinHash (Li, Owen & Zhang 2012) with optimal densification (Shrivastava
// 2017). Written by hand: no Swift package provides it. One hash per element instead of k,
// so it costs about what hashing the shingles costs; and because a sketch is an elementwise
// minimum it merges exactly, which per-account state needs.
//
// Chosen over SimHash because it estimates Jaccard similarity directly (SimHash estimates the
// angle between weighted vectors), merges exactly, and banded LSH over it is standard.
// MinHashTests measures both against exact Jaccard on small sets.

public struct MinHashSketch: Equatable, Sendable {
    public static let emptyBin = UInt16.max

    /// The bins, in one of three canonical forms chosen by how many are filled (s): empty (no
    /// storage) when s = 0; sparse, (bin, value) pairs ascending by bin, when 2s < binCount;
    /// dense, one value per bin (`emptyBin` where none fell), otherwise. An account with one
    /// prompt fills about twenty of 128 vocabulary bins and one or two synchrony bins, so the
    /// sparse form keeps a small account's sketches at a fifth of their dense size. The form
    /// is a function of the bins, so equal sketches have equal storage.
    private var storage: [UInt16] = []
    private let log2Bins: UInt8

    public var binCount: Int { 1 << Int(log2Bins) }

    private var shift: UInt64 { UInt64(64 - Int(log2Bins)) }

    private var isDense: Bool { storage.count == binCount }

    /// `binCount` must be a power of two (64 or 128 here).
    public init(binCount: Int) {
        precondition(binCount > 1 && binCount & (binCount - 1) == 0 && binCount <= 1 << 15)
        log2Bins = UInt8(binCount.trailingZeroBitCount)
    }

    /// All bins (`emptyBin` everywhere for an empty sketch).
    public var bins: [UInt16] {
        if isDense { return storage }
        var out = [UInt16](repeating: Self.emptyBin, count: binCount)
        var k = 0
        while k < storage.count {
            out[Int(storage[k])] = storage[k + 1]
            k += 2
        }
        return out
    }

    public var isEmpty: Bool { storage.isEmpty }

    /// Calls `body` with each filled bin and its value, ascending by bin.
    public func forEachFilledBin(_ body: (Int, UInt16) -> Void) {
        if isDense {
            for (b, v) in storage.enumerated() where v != Self.emptyBin { body(b, v) }
        } else {
            var k = 0
            while k < storage.count {
                body(Int(storage[k]), storage[k + 1])
                k += 2
            }
        }
    }

    /// Stores `dense` (binCount values) in its canonical form.
    private mutating func store(dense: [UInt16]) {
        let filled = dense.reduce(0) { $0 + ($1 == Self.emptyBin ? 0 : 1) }
        if filled == 0 {
            storage = []
        } else if 2 * filled < binCount {
            var pairs: [UInt16] = []
            pairs.reserveCapacity(2 * filled)
            for (b, v) in dense.enumerated() where v != Self.emptyBin {
                pairs.append(UInt16(b))
                pairs.append(v)
            }
            storage = pairs
        } else {
            storage = dense
        }
    }

    /// Adds an element given by a well-mixed 64-bit hash: the top bits choose the bin, the
    /// low 16 bits are the value. Sixteen bits keep sketches small (b-bit minwise hashing):
    /// two different minima agree by chance with probability about 2^-16 per bin.
    public mutating func insert(_ hash: UInt64) {
        insert(contentsOf: [hash])
    }

    /// Adds an element to half `kind` (0 or 1) of the bins only: two kinds of element kept
    /// apart in one sketch (`AccountState.actionSketch`).
    public mutating func insert(_ hash: UInt64, half kind: Int) {
        var dense = bins
        let bin = kind * (binCount / 2) + Int(truncatingIfNeeded: hash >> (shift + 1))
        let value = min(UInt16(truncatingIfNeeded: hash), Self.emptyBin - 1)
        if value < dense[bin] { dense[bin] = value }
        store(dense: dense)
    }

    /// Adds many elements (one uniqueness check for all of them).
    public mutating func insert(contentsOf hashes: [UInt64]) {
        guard !hashes.isEmpty else { return }
        var dense = bins
        let shift = self.shift
        dense.withUnsafeMutableBufferPointer { b in
            for hash in hashes {
                let bin = Int(truncatingIfNeeded: hash >> shift)
                let value = min(UInt16(truncatingIfNeeded: hash), Self.emptyBin - 1)
                if value < b[bin] { b[bin] = value }
            }
        }
        store(dense: dense)
    }

    /// Empties the sketch.
    public mutating func reset() {
        storage = []
    }

    /// The sketch of the union of both sets.
    public mutating func merge(_ other: MinHashSketch) {
        precondition(other.binCount == binCount)
        guard !other.storage.isEmpty else { return }
        guard !storage.isEmpty else {
            storage = other.storage
            return
        }
        var dense = bins
        other.forEachFilledBin { b, v in
            if v < dense[b] { dense[b] = v }
        }
        store(dense: dense)
    }

    /// Fills each empty bin from a non-empty one chosen by a hash of (bin, attempt), so two
    /// sketches of similar sets fill the same way.
    public func densified() -> [UInt16] {
        var out = bins
        densify(&out)
        return out
    }

    /// Fills the empty bins of `out` (the sketch's own `bins`) as `densified` does.
    public func densify(_ out: inout [UInt16]) {
        guard !storage.isEmpty else { return }
        let filled = out
        for i in 0..<binCount where filled[i] == Self.emptyBin { out[i] = Self.densifiedBin(i, of: filled) }
    }

    /// The densified value of bin `i` of `bins` (all bins of a non-empty sketch).
    @inline(__always)
    static func densifiedBin(_ i: Int, of bins: [UInt16]) -> UInt16 {
        let k = bins.count
        var j = i
        var attempt: UInt64 = 0
        while bins[j] == Self.emptyBin {
            j = Int(truncatingIfNeeded: StableHash.combine(UInt64(i), attempt) >> 1) & (k - 1)
            attempt += 1
        }
        return bins[j]
    }

    /// Estimated Jaccard similarity of the two sets (0 when either is empty).
    public static func similarity(_ a: MinHashSketch, _ b: MinHashSketch) -> Double {
        guard !a.isEmpty, !b.isEmpty, a.binCount == b.binCount else { return 0 }
        return similarity(densified: a.densified(), b.densified())
    }

    /// The same estimate from two densified sketches of non-empty sets.
    public static func similarity(densified da: [UInt16], _ db: [UInt16]) -> Double {
        precondition(da.count == db.count)
        var equal = 0
        for i in 0..<da.count where da[i] == db[i] { equal += 1 }
        return Double(equal) / Double(da.count)
    }

    /// Keys of `bands` LSH bands of `rows` densified bins each: sketches that agree on any
    /// band become candidates.
    public static func bandKeys(densified d: [UInt16], bands: Int, rows: Int) -> [UInt64] {
        precondition(bands * rows <= d.count)
        return (0..<bands).map { band in
            var h = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
            for r in 0..<rows { h = StableHash.combine(h, UInt64(d[band * rows + r])) }
            return h
        }
    }

    /// A sketch of the given bins (`binCount` values, `emptyBin` where none fell).
    init(bins: [UInt16]) {
        self.init(binCount: bins.count)
        store(dense: bins)
    }
}

import Foundation
