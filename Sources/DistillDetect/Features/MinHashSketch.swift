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

    /// Minimum value seen per bin; `emptyBin` where no element fell. Empty (no storage) until
    /// the first insert, so accounts without prompts cost nothing here.
    public private(set) var storage: [UInt16] = []
    public let binCount: Int
    private let shift: UInt64

    /// `binCount` must be a power of two (64 or 128 here).
    public init(binCount: Int) {
        precondition(binCount > 1 && binCount & (binCount - 1) == 0)
        self.binCount = binCount
        shift = UInt64(64 - binCount.trailingZeroBitCount)
    }

    /// All bins (`emptyBin` everywhere for an empty sketch).
    public var bins: [UInt16] { storage.isEmpty ? Array(repeating: Self.emptyBin, count: binCount) : storage }

    public var isEmpty: Bool { !storage.contains { $0 != Self.emptyBin } }

    /// Adds an element given by a well-mixed 64-bit hash: the top bits choose the bin, the
    /// low 16 bits are the value. Sixteen bits keep sketches small (b-bit minwise hashing):
    /// two different minima agree by chance with probability about 2^-16 per bin.
    @inline(__always)
    public mutating func insert(_ hash: UInt64) {
        if storage.isEmpty { storage = Array(repeating: Self.emptyBin, count: binCount) }
        let bin = Int(truncatingIfNeeded: hash >> shift)
        let value = min(UInt16(truncatingIfNeeded: hash), Self.emptyBin - 1)
        storage.withUnsafeMutableBufferPointer { b in
            if value < b[bin] { b[bin] = value }
        }
    }

    /// Adds an element to half `kind` (0 or 1) of the bins only: two kinds of element kept
    /// apart in one sketch (`AccountState.actionSketch`).
    public mutating func insert(_ hash: UInt64, half kind: Int) {
        if storage.isEmpty { storage = Array(repeating: Self.emptyBin, count: binCount) }
        let bin = kind * (binCount / 2) + Int(truncatingIfNeeded: hash >> (shift + 1))
        let value = min(UInt16(truncatingIfNeeded: hash), Self.emptyBin - 1)
        storage.withUnsafeMutableBufferPointer { b in
            if value < b[bin] { b[bin] = value }
        }
    }

    /// Adds many elements (one uniqueness check for all of them).
    public mutating func insert(contentsOf hashes: [UInt64]) {
        guard !hashes.isEmpty else { return }
        if storage.isEmpty { storage = Array(repeating: Self.emptyBin, count: binCount) }
        let shift = self.shift
        storage.withUnsafeMutableBufferPointer { b in
            for hash in hashes {
                let bin = Int(truncatingIfNeeded: hash >> shift)
                let value = min(UInt16(truncatingIfNeeded: hash), Self.emptyBin - 1)
                if value < b[bin] { b[bin] = value }
            }
        }
    }

    /// Empties the sketch, keeping its storage for reuse.
    public mutating func reset() {
        storage.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = Self.emptyBin }
        }
    }

    /// The sketch of the union of both sets.
    public mutating func merge(_ other: MinHashSketch) {
        precondition(other.binCount == binCount)
        guard !other.storage.isEmpty else { return }
        guard !storage.isEmpty else {
            storage = other.storage
            return
        }
        storage.withUnsafeMutableBufferPointer { b in
            other.storage.withUnsafeBufferPointer { o in
                for i in b.indices where o[i] < b[i] { b[i] = o[i] }
            }
        }
    }

    public static func == (a: MinHashSketch, b: MinHashSketch) -> Bool {
        a.binCount == b.binCount && (a.storage == b.storage || a.bins == b.bins)
    }

    /// Fills each empty bin from a non-empty one chosen by a hash of (bin, attempt), so two
    /// sketches of similar sets fill the same way.
    public func densified() -> [UInt16] {
        var out = bins
        densify(&out)
        return out
    }

    public func densify(_ out: inout [UInt16]) {
        guard storage.contains(where: { $0 != Self.emptyBin }) else { return }
        for i in 0..<binCount where storage[i] == Self.emptyBin { out[i] = densifiedBin(i) }
    }

    /// The densified value of one bin (the sketch must not be empty).
    @inline(__always)
    public func densifiedBin(_ i: Int) -> UInt16 {
        let k = binCount
        var j = i
        var attempt: UInt64 = 0
        while storage[j] == Self.emptyBin {
            j = Int(truncatingIfNeeded: StableHash.combine(UInt64(i), attempt) >> 1) & (k - 1)
            attempt += 1
        }
        return storage[j]
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

    init(bins: [UInt16]) {
        binCount = bins.count
        shift = UInt64(64 - bins.count.trailingZeroBitCount)
        storage = bins.allSatisfy { $0 == Self.emptyBin } ? [] : bins
    }
}

/// 64-bit SimHash, kept for the measured comparison with MinHash (see MinHashTests).
public enum SimHash {
    public static func fingerprint<S: Sequence>(_ hashes: S) -> UInt64 where S.Element == UInt64 {
        var counts = [Int](repeating: 0, count: 64)
        for h in hashes {
            for bit in 0..<64 { counts[bit] += (h >> UInt64(bit)) & 1 == 1 ? 1 : -1 }
        }
        var out: UInt64 = 0
        for bit in 0..<64 where counts[bit] > 0 { out |= 1 << UInt64(bit) }
        return out
    }

    /// Fraction of equal bits, mapped to an angle-based similarity estimate in [0, 1].
    public static func similarity(_ a: UInt64, _ b: UInt64) -> Double {
        let angle = Double((a ^ b).nonzeroBitCount) / 64 * Double.pi
        return max(0, cos(angle))
    }
}

import Foundation
