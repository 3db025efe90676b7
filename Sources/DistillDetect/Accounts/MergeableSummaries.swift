// Bounded summaries that merge exactly: summary(A ∪ B) == merge(summary(A), summary(B)),
// whatever the order. Per-account state is built from these, so workers, nights and machines
// can each summarise a part of the logs and the parts combine without loss.

/// The k smallest distinct 64-bit hashes seen (a KMV sketch): exact distinct count up to k,
/// an unbiased estimate beyond; the kept hashes identify shared values (IPs, cards, templates).
public struct BottomKSet: Equatable, Sendable {
    /// Ascending; inline while there is at most one (`SmallArray`).
    private(set) var list = SmallArray<UInt64>()
    /// More than `capacity` distinct values were seen.
    public private(set) var saturated = false
    private let storedCapacity: UInt32

    public var capacity: Int { Int(storedCapacity) }

    /// The kept hashes, ascending.
    public var hashes: [UInt64] { list.array }

    public init(capacity: Int) { storedCapacity = UInt32(capacity) }

    /// Insertion point of `h`, and whether it is present.
    @inline(__always)
    func position(_ h: UInt64) -> (Int, Bool) {
        list.withUnsafeBufferPointer { b in
            var lo = 0
            var hi = b.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if b[mid] < h { lo = mid + 1 } else { hi = mid }
            }
            return (lo, lo < b.count && b[lo] == h)
        }
    }

    /// Adds a value; returns its rank among the kept hashes and whether it is new, or nil
    /// when it is not kept.
    @discardableResult
    public mutating func insert(_ h: UInt64) -> (rank: Int, new: Bool)? {
        // Most values of a busy account are already kept or beyond the k smallest.
        if list.count == capacity, let last = list.last, h > last {
            saturated = true
            return nil
        }
        let (at, present) = position(h)
        if present { return (at, false) }
        if list.count < capacity {
            list.append(h)
        } else {
            saturated = true
        }
        // Shift the tail up by one by hand (Array.insert goes through a generic path).
        list.withUnsafeMutableBufferPointer { b in
            var k = b.count - 1
            while k > at {
                b[k] = b[k - 1]
                k -= 1
            }
            b[at] = h
        }
        return (at, true)
    }

    public func contains(_ h: UInt64) -> Bool { position(h).1 }

    /// Inserting a hash above this changes nothing: the set is saturated and keeps smaller ones.
    var ceiling: UInt64 { saturated ? (list.last ?? .max) : .max }

    /// Number of kept hashes.
    public var count: Int { list.count }

    /// Calls `body` with each kept hash, ascending.
    public func forEach(_ body: (UInt64) -> Void) { list.forEach(body) }

    public var isEmpty: Bool { list.isEmpty }

    public mutating func merge(_ other: BottomKSet) {
        if other.list.isEmpty {
            saturated = saturated || other.saturated
            return
        }
        if list.isEmpty {
            list = other.list
            saturated = saturated || other.saturated
            return
        }
        let mine = list
        let theirs = other.list
        var merged: [UInt64] = []
        merged.reserveCapacity(min(capacity, mine.count + theirs.count))
        var i = 0
        var j = 0
        var union = 0
        while i < mine.count || j < theirs.count {
            let next: UInt64
            if j == theirs.count || (i < mine.count && mine[i] < theirs[j]) {
                next = mine[i]
                i += 1
            } else if i == mine.count || theirs[j] < mine[i] {
                next = theirs[j]
                j += 1
            } else {
                next = mine[i]
                i += 1
                j += 1
            }
            union += 1
            if merged.count < capacity { merged.append(next) }
        }
        saturated = saturated || other.saturated || union > capacity
        list = SmallArray(merged)
    }

    /// Distinct values seen: exact when not saturated.
    public var distinctCount: Double {
        guard saturated, let last = list.last, last > 0 else { return Double(list.count) }
        return Double(capacity - 1) / (Double(last) / 18_446_744_073_709_551_616.0)
    }

    init(capacity: Int, hashes: [UInt64], saturated: Bool) {
        storedCapacity = UInt32(capacity)
        list = SmallArray(hashes)
        self.saturated = saturated
    }
}

/// A BottomKSet that also keeps the text of its first `labelled` values (deterministic: the
/// smallest hashes), so a report can name an IP or a card, not only count them.
public struct LabelledSet: Equatable, Sendable {
    // Declared in this order to pack into 40 bytes: an account keeps eight of these.
    /// Labels of `values.hashes[0..<labels.count]`, where labels.count = min(labelled, count);
    /// inline while there is at most one (`SmallArray`).
    private var labelList = SmallArray<String>()
    private let storedLabelled: UInt8
    public private(set) var values: BottomKSet

    /// How many of the smallest values keep their text.
    public var labelled: Int { Int(storedLabelled) }

    /// Labels of `values.hashes[0..<labels.count]`, where labels.count = min(labelled, count).
    public var labels: [String] { labelList.array }

    public init(capacity: Int, labelled: Int) {
        precondition(labelled < capacity && labelled < 256)
        values = BottomKSet(capacity: capacity)
        storedLabelled = UInt8(labelled)
    }

    /// Adds a value; `label` is called only when the value's text must be kept.
    @inline(__always)
    public mutating func insert(_ h: UInt64, label: () -> String) {
        guard let (rank, new) = values.insert(h), new, rank < labelled else { return }
        labelList.insert(label(), at: rank)
        if labelList.count > labelled { labelList.removeLast() }
    }

    public mutating func merge(_ other: LabelledSet) {
        if other.values.isEmpty { return }
        if values.isEmpty {
            self = other
            return
        }
        let before = values.list.prefix(labelList.count)
        let beforeLabels = labelList
        values.merge(other.values)
        let wanted = min(labelled, values.count)
        // Both sides label their own smallest values, so each kept label is on one of them.
        labelList = SmallArray(values.list.prefix(wanted).map { h in
            if let i = before.firstIndex(of: h) { return beforeLabels[i - before.startIndex] }
            if let i = other.values.list.prefix(other.labelList.count).firstIndex(of: h) { return other.labelList[i] }
            return ""
        })
    }

    public var distinctCount: Double { values.distinctCount }

    init(values: BottomKSet, labelled: Int, labels: [String]) {
        self.values = values
        storedLabelled = UInt8(labelled)
        labelList = SmallArray(labels)
    }
}

/// Counts per small integer key (hour of week, topic, day), sorted by key, packed as
/// key << 32 | count in one array.
public struct SparseCounts: Equatable, Sendable {
    private var packed = SmallArray<UInt64>()

    public init() {}

    public var keys: [UInt16] { packed.map { UInt16($0 >> 32) } }
    public var counts: [UInt32] { packed.map { UInt32(truncatingIfNeeded: $0) } }
    public var entries: [(key: UInt16, count: UInt32)] { packed.map { (UInt16($0 >> 32), UInt32(truncatingIfNeeded: $0)) } }

    @inline(__always)
    public mutating func add(_ key: UInt16, _ n: UInt32 = 1) {
        updatePacked(&packed, key: UInt64(key)) { old in
            UInt64(key) << 32 | UInt64((old.map { UInt32(truncatingIfNeeded: $0) } ?? 0).addingSaturating(n))
        }
    }

    /// Linear merge of the two sorted lists; counts of the same key add up.
    public mutating func merge(_ other: SparseCounts) {
        packed = mergePackedByKey(packed, other.packed) { a, b in
            a & ~0xFFFF_FFFF | UInt64(UInt32(truncatingIfNeeded: a).addingSaturating(UInt32(truncatingIfNeeded: b)))
        }
    }

    public func count(_ key: UInt16) -> UInt32 {
        for e in packed where e >> 32 == UInt64(key) { return UInt32(truncatingIfNeeded: e) }
        return 0
    }

    public var total: UInt64 { packed.reduce(0) { $0 + ($1 & 0xFFFF_FFFF) } }

    init(keys: [UInt16], counts: [UInt32]) {
        packed = SmallArray(zip(keys, counts).map { UInt64($0) << 32 | UInt64($1) })
    }
}

/// Replaces the entry with `key` in a list of `key << 32 | value` entries sorted by key (or
/// inserts one): `update` gets the old entry, if any, and returns the new one. Requests come
/// roughly in time order, so the last entry is tried first.
@inline(__always)
func updatePacked(_ packed: inout SmallArray<UInt64>, key: UInt64, _ update: (UInt64?) -> UInt64) {
    if let last = packed.last, last >> 32 == key {
        packed[packed.count - 1] = update(last)
        return
    }
    let probe = key << 32
    var lo = 0
    var hi = packed.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if packed[mid] < probe { lo = mid + 1 } else { hi = mid }
    }
    if lo < packed.count && packed[lo] >> 32 == key {
        packed[lo] = update(packed[lo])
    } else {
        packed.insert(update(nil), at: lo)
    }
}

/// Merges two lists of `key << 32 | value` entries sorted by key, combining entries with the
/// same key. Shared by the packed summaries below.
func mergePackedByKey(_ a: SmallArray<UInt64>, _ b: SmallArray<UInt64>, combine: (UInt64, UInt64) -> UInt64) -> SmallArray<UInt64> {
    if b.isEmpty { return a }
    if a.isEmpty { return b }
    var out: [UInt64] = []
    out.reserveCapacity(a.count + b.count)
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
        if j == b.count || (i < a.count && a[i] >> 32 < b[j] >> 32) {
            out.append(a[i])
            i += 1
        } else if i == a.count || b[j] >> 32 < a[i] >> 32 {
            out.append(b[j])
            j += 1
        } else {
            out.append(combine(a[i], b[j]))
            i += 1
            j += 1
        }
    }
    return SmallArray(out)
}

/// Hours of activity per day: day → 24-bit mask, packed as day << 32 | mask. Merges by OR,
/// so it is exact; size is bounded by the days covered.
public struct DayHours: Equatable, Sendable {
    private(set) var packed = SmallArray<UInt64>()

    public init() {}

    @inline(__always)
    public mutating func add(day: UInt16, hour: Int) {
        add(day: day, mask: 1 << UInt32(hour))
    }

    /// Marks the hours set in `mask` (bit h = hour h) as active on `day`.
    @inline(__always)
    public mutating func add(day: UInt16, mask: UInt32) {
        updatePacked(&packed, key: UInt64(day)) { old in (old ?? UInt64(day) << 32) | UInt64(mask) }
    }

    /// Linear merge of the two sorted lists; masks of the same day are ORed.
    public mutating func merge(_ other: DayHours) {
        packed = mergePackedByKey(packed, other.packed) { $0 | $1 }
    }

    public var hours: Int { packed.reduce(0) { $0 + ($1 & 0xFF_FFFF).nonzeroBitCount } }

    init(packed: [UInt64]) { self.packed = SmallArray(packed) }
}

/// A sample of an account's request times: the `capacity` timestamps with the smallest hash
/// (all of them for smaller accounts). Mergeable, unlike a running gap statistic, and still
/// shows regular spacing and bursts. Stores the times only; their hashes are recomputed.
public struct TimestampSample: Equatable, Sendable {
    /// Times ascending by `rank`; inline while there is at most one (`SmallArray`).
    public private(set) var entries = SmallArray<Int64>()
    private let storedCapacity: UInt32

    public var capacity: Int { Int(storedCapacity) }

    public init(capacity: Int) { storedCapacity = UInt32(capacity) }

    @inline(__always)
    static func rank(_ ms: Int64) -> UInt64 { StableHash.combine(UInt64(bitPattern: ms), 0x7453) }

    @inline(__always)
    public mutating func insert(_ ms: Int64) {
        let h = Self.rank(ms)
        if entries.count == capacity, let last = entries.last, h >= Self.rank(last) { return }
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Self.rank(entries[mid]) < h { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count && entries[lo] == ms { return }
        entries.insert(ms, at: lo)
        if entries.count > capacity { entries.removeLast() }
    }

    /// Linear merge by rank, keeping the `capacity` smallest.
    public mutating func merge(_ other: TimestampSample) {
        guard !other.entries.isEmpty else { return }
        var out: [Int64] = []
        out.reserveCapacity(min(capacity, entries.count + other.entries.count))
        var i = 0
        var j = 0
        while out.count < capacity && (i < entries.count || j < other.entries.count) {
            if j == other.entries.count {
                out.append(entries[i])
                i += 1
            } else if i == entries.count {
                out.append(other.entries[j])
                j += 1
            } else if entries[i] == other.entries[j] {
                out.append(entries[i])
                i += 1
                j += 1
            } else if Self.rank(entries[i]) < Self.rank(other.entries[j]) {
                out.append(entries[i])
                i += 1
            } else {
                out.append(other.entries[j])
                j += 1
            }
        }
        entries = SmallArray(out)
    }

    /// Sampled times, ascending.
    public var times: [Int64] { entries.sorted() }

    init(capacity: Int, entries: [Int64]) {
        storedCapacity = UInt32(capacity)
        self.entries = SmallArray(entries)
    }
}

/// Per model an account used (by the hash of the model's name, as `models` holds it): the time
/// of its first exchange with the model (epoch ms) and its number of exchanges with it. Keeps
/// the `capacity` smallest hashes (bottom-k), so two parts of one account merge exactly for
/// every model kept: first times take the minimum, counts add. The null model reads it for the
/// pivot to a newly released model (`ModelPivot`).
public struct ModelUse: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var model: UInt64
        /// Epoch ms of the first exchange with the model.
        public var first: Int64
        public var count: UInt32
    }

    public static let capacity = 8
    /// Ascending by `model`; inline while there is at most one (`SmallArray`).
    public private(set) var entries = SmallArray<Entry>()

    public init() {}

    init(entries: [Entry]) { self.entries = SmallArray(entries) }

    /// Adds `count` exchanges with `model` (hash, non-zero), the first of them at `first` (epoch ms).
    public mutating func add(_ model: UInt64, first: Int64, count: UInt32) {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if entries[mid].model < model { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count && entries[lo].model == model {
            entries[lo].first = min(entries[lo].first, first)
            entries[lo].count = entries[lo].count.addingReportingOverflow(count).overflow ? .max : entries[lo].count + count
            return
        }
        guard lo < Self.capacity else { return }
        entries.insert(Entry(model: model, first: first, count: count), at: lo)
        if entries.count > Self.capacity { _ = entries.removeLast() }
    }

    public mutating func merge(_ other: ModelUse) {
        for e in other.entries { add(e.model, first: e.first, count: e.count) }
    }
}
