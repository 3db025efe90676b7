// Account id → slot, for the per-worker account tables. An id's hash only places it: two ids
// are one account exactly when their bytes are equal (and, per day, their days). Account ids
// are chosen by the people the tool looks for, so the placing hash is seeded once per process
// with a random value: ids cannot be picked to collide without knowing the seed (the fixed-seed
// hash could be driven to one value by a whole family of ids). Should ids still collide, a
// collision costs a probe and a byte comparison, never a merge of two accounts.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct AccountIndex {
    /// Seed of the placing hash, drawn once per process. Nothing derived from it is written
    /// or ordered by: slots are numbered in arrival order, outputs sorted by id.
    static let placementSeed = UInt64.random(in: .min ... .max)

    /// Open addressing, linear probing, at most half full: slot + 1, 0 empty.
    private var table = [Int32](repeating: 0, count: 1024)
    /// Per slot: the placing hash, the tag (the UTC day for per-day tables, else 0) and where
    /// the id's bytes end in `idBytes`.
    private(set) var hashes: [UInt64] = []
    private var tags: [Int64] = []
    private var idEnds: [Int] = []
    private var idBytes: [UInt8] = []

    var count: Int { hashes.count }

    /// The placing hash of an id's bytes (its decoded UTF-8).
    @inline(__always)
    static func hash(_ id: UnsafeRawBufferPointer, tag: Int64 = 0) -> UInt64 {
        let h = StableHash.hash(id, seed: placementSeed)
        return tag == 0 ? h : StableHash.combine(h, UInt64(bitPattern: tag))
    }

    /// The slot of (`id`, `tag`), adding it as slot `count` when absent.
    @inline(__always)
    mutating func slot(for id: UnsafeRawBufferPointer, tag: Int64 = 0) -> (slot: Int, inserted: Bool) {
        let h = Self.hash(id, tag: tag)
        let found = probe(h, id, tag)
        if let slot = found.slot { return (slot, false) }
        let slot = hashes.count
        hashes.append(h)
        tags.append(tag)
        idBytes.append(contentsOf: id)
        idEnds.append(idBytes.count)
        table[found.position] = Int32(slot + 1)
        if hashes.count * 2 > table.count { grow() }
        return (slot, true)
    }

    /// The slot of (`id`, `tag`) (nil when absent) and where its probe ended.
    @inline(__always)
    private func probe(_ h: UInt64, _ id: UnsafeRawBufferPointer, _ tag: Int64) -> (slot: Int?, position: Int) {
        table.withUnsafeBufferPointer { t in
            hashes.withUnsafeBufferPointer { k in
                let mask = t.count - 1
                var p = Int(truncatingIfNeeded: h) & mask
                while t[p] != 0 {
                    let slot = Int(t[p]) - 1
                    if k[slot] == h && tags[slot] == tag && idEquals(slot, id) { return (slot, p) }
                    p = (p + 1) & mask
                }
                return (nil, p)
            }
        }
    }

    @inline(__always)
    private func idEquals(_ slot: Int, _ id: UnsafeRawBufferPointer) -> Bool {
        let start = slot == 0 ? 0 : idEnds[slot - 1]
        let length = idEnds[slot] - start
        guard length == id.count else { return false }
        guard length > 0 else { return true }
        return idBytes.withUnsafeBytes { memcmp($0.baseAddress! + start, id.baseAddress!, length) == 0 }
    }

    /// The id bytes of a slot.
    func id(_ slot: Int) -> ArraySlice<UInt8> {
        idBytes[(slot == 0 ? 0 : idEnds[slot - 1])..<idEnds[slot]]
    }

    /// Doubles the table (keeping it at most half full).
    private mutating func grow() {
        table = [Int32](repeating: 0, count: table.count * 2)
        let mask = table.count - 1
        for (slot, h) in hashes.enumerated() {
            var p = Int(truncatingIfNeeded: h) & mask
            while table[p] != 0 { p = (p + 1) & mask }
            table[p] = Int32(slot + 1)
        }
    }
}

extension DecodedExchange {
    /// Calls `body` with the account id's bytes: the raw bytes when unescaped (no copy), else
    /// the decoded text's UTF-8. An accepted record always has an account id.
    @inline(__always)
    func withAccountIDBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let raw = rawBytes(.accountID) { return body(raw) }
        var text = string(.accountID) ?? ""
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
