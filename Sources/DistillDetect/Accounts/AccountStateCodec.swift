// How each kind of value in an account's state is written to and read from a state file: the
// little-endian byte codec under `AccountStateFile` and the nightly store's per-account blobs.
// The fields themselves, and which codec each uses, are listed once in `AccountState.Fields.schema`.

/// Errors reading a state file or blob. `offset` is a byte offset into the file.
public enum StateFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notAStateFile(path: String)
    case newerVersion(path: String, found: UInt32, supported: UInt32)
    case corrupt(path: String, offset: Int, reason: String)
    case taxonomyMismatch(path: String, found: [String], expected: [String])
    /// Files that cannot be merged or analysed together; `reason` names them.
    case incompatible(reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read state file: \(reason)"
        case .notAStateFile(let path): return "\(path): not a distill-detect state file"
        case .newerVersion(let path, let found, let supported):
            return "\(path): state file format \(found) was written by a newer distill-detect (this one reads up to \(supported)); upgrade, or start a new state file"
        case .corrupt(let path, let offset, let reason): return "\(path): state file is corrupt at byte \(offset): \(reason)"
        case .taxonomyMismatch(let path, let found, let expected):
            return "\(path): state was written with topics [\(found.joined(separator: ", "))] but this run uses [\(expected.joined(separator: ", "))]"
        case .incompatible(let reason): return reason
        }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes += utf8
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let path: String

    func corrupt(_ reason: String) -> StateFileError { .corrupt(path: path, offset: offset, reason: reason) }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, offset + n <= bytes.count else { throw corrupt("unexpected end of file") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func u8() throws -> UInt8 { try take(1).first! }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        var v: T = 0
        for (i, b) in try take(MemoryLayout<T>.size).enumerated() { v |= T(b) << (8 * i) }
        return v
    }

    mutating func u16() throws -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws -> UInt64 { try integer(UInt64.self) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    /// A UInt32 count, refused above `limit`.
    mutating func count(limit: Int) throws -> Int {
        let n = Int(try u32())
        guard n <= limit else { throw corrupt("count \(n) is above \(limit)") }
        return n
    }

    mutating func string() throws -> String {
        let n = try count(limit: 1 << 24)
        let slice = try take(n)
        guard let s = String(validating: slice, as: UTF8.self) else { throw corrupt("invalid UTF-8 in a string") }
        return s
    }
}

/// A value of an account's state as the state file stores it. `decode` is handed the field's
/// empty value (`prototype`), which fixes what the bytes do not say (a sketch's bin count).
/// Decoding throws `StateFileError.corrupt` (with the byte offset) on bytes no encoder writes.
protocol StateFieldValue: Equatable, Sendable {
    func encode(to w: inout ByteWriter)
    static func decode(from r: inout ByteReader, prototype: Self) throws -> Self
}

/// A value whose two parts combine exactly (`MergeableSummaries`): merging is its union.
protocol MergeableStateValue: StateFieldValue {
    mutating func merge(_ other: Self)
}

extension Int: StateFieldValue {
    func encode(to w: inout ByteWriter) { w.u64(UInt64(self)) }
    /// Counts are clamped to Int (a file from a 32-bit build, or a hostile one, cannot trap).
    static func decode(from r: inout ByteReader, prototype: Int) throws -> Int { Int(clamping: try r.u64()) }
}

extension Int64: StateFieldValue {
    func encode(to w: inout ByteWriter) { w.i64(self) }
    static func decode(from r: inout ByteReader, prototype: Int64) throws -> Int64 { try r.i64() }
}

extension Optional: StateFieldValue where Wrapped == Int64 {
    /// A presence byte, then the value (0 when absent).
    func encode(to w: inout ByteWriter) {
        w.u8(self == nil ? 0 : 1)
        w.i64(self ?? 0)
    }

    static func decode(from r: inout ByteReader, prototype: Int64?) throws -> Int64? {
        let present = try r.u8()
        let value = try r.i64()
        return present == 1 ? value : nil
    }
}

extension SparseCounts: MergeableStateValue {
    func encode(to w: inout ByteWriter) {
        let entries = self.entries
        w.u32(UInt32(entries.count))
        for e in entries {
            w.u16(e.key)
            w.u32(e.count)
        }
    }

    static func decode(from r: inout ByteReader, prototype: SparseCounts) throws -> SparseCounts {
        let n = try r.count(limit: 1 << 16)
        var keys: [UInt16] = []
        var counts: [UInt32] = []
        for _ in 0..<n {
            keys.append(try r.u16())
            counts.append(try r.u32())
        }
        guard zip(keys, keys.dropFirst()).allSatisfy({ $0 < $1 }) else { throw r.corrupt("unsorted counts") }
        return SparseCounts(keys: keys, counts: counts)
    }
}

extension DayHours: MergeableStateValue {
    func encode(to w: inout ByteWriter) {
        w.u32(UInt32(packed.count))
        for e in packed { w.u64(e) }
    }

    static func decode(from r: inout ByteReader, prototype: DayHours) throws -> DayHours {
        let dayCount = try r.count(limit: 1 << 16)
        var packed: [UInt64] = []
        for _ in 0..<dayCount { packed.append(try r.u64()) }
        guard zip(packed, packed.dropFirst()).allSatisfy({ $0 >> 32 < $1 >> 32 }), packed.allSatisfy({ $0 & 0xFFFF_FFFF < 1 << 24 }) else {
            throw r.corrupt("unsorted hours")
        }
        return DayHours(packed: packed)
    }
}

extension BottomKSet: MergeableStateValue {
    func encode(to w: inout ByteWriter) {
        w.u32(UInt32(capacity))
        w.u8(saturated ? 1 : 0)
        w.u32(UInt32(count))
        forEach { w.u64($0) }
    }

    static func decode(from r: inout ByteReader, prototype: BottomKSet) throws -> BottomKSet {
        let capacity = try r.count(limit: 1 << 16)
        let saturated = try r.u8() == 1
        let n = try r.count(limit: capacity)
        var hashes: [UInt64] = []
        for _ in 0..<n { hashes.append(try r.u64()) }
        guard zip(hashes, hashes.dropFirst()).allSatisfy({ $0 < $1 }) else { throw r.corrupt("unsorted set") }
        return BottomKSet(capacity: capacity, hashes: hashes, saturated: saturated)
    }
}

extension TimestampSample: MergeableStateValue {
    func encode(to w: inout ByteWriter) {
        w.u32(UInt32(capacity))
        w.u32(UInt32(entries.count))
        for ms in entries { w.i64(ms) }
    }

    static func decode(from r: inout ByteReader, prototype: TimestampSample) throws -> TimestampSample {
        let capacity = try r.count(limit: 1 << 16)
        let n = try r.count(limit: capacity)
        var entries: [Int64] = []
        for _ in 0..<n { entries.append(try r.i64()) }
        guard zip(entries, entries.dropFirst()).allSatisfy({ TimestampSample.rank($0) < TimestampSample.rank($1) }) else {
            throw r.corrupt("unsorted timestamp sample")
        }
        return TimestampSample(capacity: capacity, entries: entries)
    }
}

extension LabelledSet: MergeableStateValue {
    func encode(to w: inout ByteWriter) {
        values.encode(to: &w)
        w.u32(UInt32(labelled))
        w.u32(UInt32(labels.count))
        for label in labels { w.string(label) }
    }

    static func decode(from r: inout ByteReader, prototype: LabelledSet) throws -> LabelledSet {
        let values = try BottomKSet.decode(from: &r, prototype: prototype.values)
        let keep = try r.count(limit: values.capacity)
        let count = try r.count(limit: min(keep, values.hashes.count))
        var labels: [String] = []
        for _ in 0..<count { labels.append(try r.string()) }
        return LabelledSet(values: values, labelled: keep, labels: labels)
    }
}

extension MinHashSketch: MergeableStateValue {
    /// The bins alone: the bin count is the field's (`prototype`).
    func encode(to w: inout ByteWriter) {
        for bin in bins { w.u16(bin) }
    }

    static func decode(from r: inout ByteReader, prototype: MinHashSketch) throws -> MinHashSketch {
        MinHashSketch(bins: try (0..<prototype.binCount).map { _ in try r.u16() })
    }
}

/// A sketch written with its bin count first, refused when the count differs from this
/// version's (the fields added after format 1 carry it).
struct CountedSketch {
    static func encode(_ sketch: MinHashSketch, to w: inout ByteWriter) {
        w.u32(UInt32(sketch.binCount))
        sketch.encode(to: &w)
    }

    static func decode(from r: inout ByteReader, prototype: MinHashSketch) throws -> MinHashSketch {
        guard try r.u32() == prototype.binCount else { throw r.corrupt("sketch size differs from this version's") }
        return try MinHashSketch.decode(from: &r, prototype: prototype)
    }
}

extension SmallArray: StateFieldValue where Element == Exemplar {
    func encode(to w: inout ByteWriter) {
        w.u32(UInt32(count))
        for e in self {
            w.u64(e.key)
            w.u64(e.textHash)
            w.string(e.text)
        }
    }

    /// Exemplars are restored one by one (`restoreExemplar`), so a file cannot smuggle in more
    /// than `exemplarCount` or an unsorted list.
    static func decode(from r: inout ByteReader, prototype: SmallArray<Exemplar>) throws -> SmallArray<Exemplar> {
        var list = SmallArray<Exemplar>()
        let n = try r.count(limit: AccountState.exemplarCount)
        for _ in 0..<n {
            let key = try r.u64()
            let textHash = try r.u64()
            Exemplar.restore(Exemplar(key: key, textHash: textHash, text: try r.string()), into: &list)
        }
        return list
    }
}

extension ModelUse: MergeableStateValue {
    func encode(to w: inout ByteWriter) {
        w.u32(UInt32(entries.count))
        for e in entries {
            w.u64(e.model)
            w.i64(e.first)
            w.u32(e.count)
        }
    }

    static func decode(from r: inout ByteReader, prototype: ModelUse) throws -> ModelUse {
        let n = try r.count(limit: ModelUse.capacity)
        var entries: [Entry] = []
        for _ in 0..<n { entries.append(Entry(model: try r.u64(), first: try r.i64(), count: try r.u32())) }
        guard zip(entries, entries.dropFirst()).allSatisfy({ $0.model < $1.model }), entries.allSatisfy({ $0.model != 0 }) else {
            throw r.corrupt("unsorted model use")
        }
        return ModelUse(entries: entries)
    }
}
