// A versioned binary file of account states, so a later run (the nightly job, another
// machine) can merge them with its own. Layout: 8-byte magic, format version (UInt32),
// payload length (UInt64), CRC-32 of the payload (UInt32), payload; little-endian. Since
// format 4 a file also says which partition of the accounts it holds, which input splits
// went into it, and (in partition 0) the scan tally of those splits (`StatePartitions`).
import CZlib
import Foundation

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

public struct AccountStateFile: Sendable {
    public static let magic: [UInt8] = Array("DDSTATE\u{0}".utf8)
    /// 2 added the tool-loop fields (`toolCalls`, `toolResults`, `toolExchanges`, `toolSets`);
    /// 3 the metadata action sketch (`actionSketch`); 4 the partition, the split names, the
    /// per-day flag and the scan tally. Files of versions 1 to 3 are still read (the fields they lack empty;
    /// such a file is the whole of its accounts, partition 0 of 1).
    public static let formatVersion: UInt32 = 4
    static let headerSize = 8 + 4 + 8 + 4

    public var topicNames: [String]
    /// Account states sorted by account id.
    public var accounts: [AccountState]
    /// Which accounts the file holds: those whose id hashes to `partition.index`.
    public var partition: StatePartition
    /// Names of the input splits whose records the file holds, sorted; empty when unnamed.
    public var splits: [String]
    /// What the scans of `splits` read (records, rejects, times, inputs): carried by partition
    /// 0 only, so that tallies add up once when partitions are put together; nil otherwise.
    public var tally: ScanTally?
    /// One state per account and UTC day (the day of its `firstSeen`), sorted by (id, day), as
    /// the nightly job stores them; otherwise one state per account.
    public var byDay: Bool

    public init(
        topicNames: [String], accounts: [AccountState], partition: StatePartition = .whole, splits: [String] = [],
        tally: ScanTally? = nil, byDay: Bool = false
    ) {
        self.topicNames = topicNames
        self.accounts = accounts
        self.partition = partition
        self.splits = splits
        self.tally = tally
        self.byDay = byDay
    }

    // MARK: Writing

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(topicNames.count))
        for name in topicNames { w.string(name) }
        w.u32(UInt32(AccountState.vocabularyBins))
        w.u32(UInt32(AccountState.synchronyBins))
        // Version 4.
        w.u32(UInt32(partition.index))
        w.u32(UInt32(partition.count))
        w.u32(UInt32(splits.count))
        for name in splits { w.string(name) }
        w.u8(byDay ? 1 : 0)
        w.u8(tally == nil ? 0 : 1)
        tally?.encode(&w)
        w.u64(UInt64(accounts.count))
        for a in accounts { Self.encode(a, &w) }
        var out = Self.magic
        var header = ByteWriter()
        header.u32(Self.formatVersion)
        header.u64(UInt64(w.bytes.count))
        header.u32(Self.checksum(w.bytes))
        out += header.bytes
        out += w.bytes
        return out
    }

    public func write(to path: String) throws {
        try AtomicFile.write(Data(encoded()), to: path)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    /// One account's state alone (no header): the nightly job stores one per account and day.
    public static func encodeAccount(_ a: AccountState) -> [UInt8] {
        var w = ByteWriter()
        encode(a, &w)
        return w.bytes
    }

    /// Reads what `encodeAccount` wrote; `context` names the source in errors.
    public static func decodeAccount(_ bytes: [UInt8], context: String) throws -> AccountState {
        var r = ByteReader(bytes: bytes, offset: 0, path: context)
        // A blob holds one account whole: one written before version 2 ends after its
        // exemplars.
        var a = try decodeAccount(&r, version: 1)
        if r.offset < bytes.count { try decodeToolFields(&r, into: &a) }
        if r.offset < bytes.count { try decodeActionFields(&r, into: &a) }
        guard r.offset == bytes.count else { throw r.corrupt("\(bytes.count - r.offset) unexpected bytes after the account") }
        return a
    }

    static func encode(_ a: AccountState, _ w: inout ByteWriter) {
        w.string(a.accountID)
        for v in [a.exchanges, a.inputTokens, a.outputTokens, a.errors, a.singleTurn, a.withPrompt, a.chainOfThought, a.codeBlocks] {
            w.u64(UInt64(v))
        }
        w.i64(a.firstSeen)
        w.i64(a.lastSeen)
        w.u8(a.createdAt == nil ? 0 : 1)
        w.i64(a.createdAt ?? 0)
        for counts in [a.activeDays, a.hourOfWeek, a.topics] {
            let entries = counts.entries
            w.u32(UInt32(entries.count))
            for e in entries {
                w.u16(e.key)
                w.u32(e.count)
            }
        }
        w.u32(UInt32(a.activeHours.packed.count))
        for e in a.activeHours.packed { w.u64(e) }
        for set in [a.apiKeys, a.systemPrompts, a.templates] { encode(set, &w) }
        w.u32(UInt32(a.times.capacity))
        w.u32(UInt32(a.times.entries.count))
        for ms in a.times.entries { w.i64(ms) }
        for set in [a.ips, a.networks, a.userAgents, a.orgs, a.payments, a.models, a.countries] {
            encode(set.values, &w)
            w.u32(UInt32(set.labelled))
            w.u32(UInt32(set.labels.count))
            for label in set.labels { w.string(label) }
        }
        for sketch in [a.vocabulary, a.synchronySketch] {
            for bin in sketch.bins { w.u16(bin) }
        }
        w.u32(UInt32(a.exemplars.count))
        for e in a.exemplars {
            w.u64(e.key)
            w.u64(e.textHash)
            w.string(e.text)
        }
        // Version 2.
        for v in [a.toolCalls, a.toolResults, a.toolExchanges] { w.u64(UInt64(v)) }
        encode(a.toolSets, &w)
        // Version 3.
        w.u32(UInt32(AccountState.actionBins))
        for bin in a.actionSketch.bins { w.u16(bin) }
    }

    static func encode(_ set: BottomKSet, _ w: inout ByteWriter) {
        w.u32(UInt32(set.capacity))
        w.u8(set.saturated ? 1 : 0)
        w.u32(UInt32(set.hashes.count))
        for h in set.hashes { w.u64(h) }
    }

    // MARK: Reading

    /// Reads a state file; a file from a newer version or with a bad checksum is refused.
    public static func read(path: String, expectedTopics: [String]? = nil) throws -> AccountStateFile {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw StateFileError.unreadable(path: path, reason: error.localizedDescription)
        }
        let file = try decode(bytes, path: path)
        if let expectedTopics, expectedTopics != file.topicNames {
            throw StateFileError.taxonomyMismatch(path: path, found: file.topicNames, expected: expectedTopics)
        }
        return file
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> AccountStateFile {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw StateFileError.notAStateFile(path: path) }
        var header = ByteReader(bytes: bytes, offset: 8, path: path)
        let version = try header.u32()
        guard version <= formatVersion else {
            throw StateFileError.newerVersion(path: path, found: version, supported: formatVersion)
        }
        let length = try header.u64()
        let crc = try header.u32()
        guard UInt64(bytes.count - headerSize) == length else {
            throw StateFileError.corrupt(path: path, offset: bytes.count, reason: "payload is \(bytes.count - headerSize) bytes, header says \(length) (truncated copy?)")
        }
        let payload = Array(bytes[headerSize...])
        guard checksum(payload) == crc else {
            throw StateFileError.corrupt(path: path, offset: headerSize, reason: "checksum mismatch")
        }
        var r = ByteReader(bytes: bytes, offset: headerSize, path: path)
        let topicCount = try r.count(limit: 250)
        var topics: [String] = []
        for _ in 0..<topicCount { topics.append(try r.string()) }
        guard try r.u32() == AccountState.vocabularyBins, try r.u32() == AccountState.synchronyBins
        else { throw StateFileError.corrupt(path: path, offset: r.offset, reason: "sketch sizes differ from this version's") }
        var partition = StatePartition.whole
        var splits: [String] = []
        var tally: ScanTally?
        var byDay = false
        if version >= 4 {
            let index = Int(try r.u32())
            let count = Int(try r.u32())
            guard count >= 1, index < count else { throw r.corrupt("partition \(index) of \(count)") }
            partition = StatePartition(index: index, count: count)
            let n = try r.count(limit: 1 << 20)
            for _ in 0..<n { splits.append(try r.string()) }
            guard zip(splits, splits.dropFirst()).allSatisfy({ $0 < $1 }) else { throw r.corrupt("unsorted split names") }
            byDay = try r.u8() == 1
            if try r.u8() == 1 { tally = try ScanTally.decode(&r) }
        }
        let accountCount = try r.u64()
        guard accountCount <= UInt64(bytes.count) else { throw r.corrupt("account count \(accountCount)") }
        var accounts: [AccountState] = []
        accounts.reserveCapacity(Int(accountCount))
        for _ in 0..<accountCount { accounts.append(try decodeAccount(&r, version: version)) }
        guard r.offset == bytes.count else { throw r.corrupt("\(bytes.count - r.offset) unexpected bytes after the last account") }
        return AccountStateFile(topicNames: topics, accounts: accounts, partition: partition, splits: splits, tally: tally, byDay: byDay)
    }

    static func decodeAccount(_ r: inout ByteReader, version: UInt32) throws -> AccountState {
        var a = AccountState(accountID: try r.string())
        a.exchanges = Int(clamping: try r.u64())
        a.inputTokens = Int(clamping: try r.u64())
        a.outputTokens = Int(clamping: try r.u64())
        a.errors = Int(clamping: try r.u64())
        a.singleTurn = Int(clamping: try r.u64())
        a.withPrompt = Int(clamping: try r.u64())
        a.chainOfThought = Int(clamping: try r.u64())
        a.codeBlocks = Int(clamping: try r.u64())
        a.firstSeen = try r.i64()
        a.lastSeen = try r.i64()
        let hasCreated = try r.u8()
        let created = try r.i64()
        a.createdAt = hasCreated == 1 ? created : nil
        var sparse: [SparseCounts] = []
        for _ in 0..<3 {
            let n = try r.count(limit: 1 << 16)
            var keys: [UInt16] = []
            var counts: [UInt32] = []
            for _ in 0..<n {
                keys.append(try r.u16())
                counts.append(try r.u32())
            }
            guard zip(keys, keys.dropFirst()).allSatisfy({ $0 < $1 }) else { throw r.corrupt("unsorted counts") }
            sparse.append(SparseCounts(keys: keys, counts: counts))
        }
        a.activeDays = sparse[0]
        a.hourOfWeek = sparse[1]
        a.topics = sparse[2]
        let dayCount = try r.count(limit: 1 << 16)
        var packedHours: [UInt64] = []
        for _ in 0..<dayCount { packedHours.append(try r.u64()) }
        guard zip(packedHours, packedHours.dropFirst()).allSatisfy({ $0 >> 32 < $1 >> 32 }), packedHours.allSatisfy({ $0 & 0xFFFF_FFFF < 1 << 24 }) else {
            throw r.corrupt("unsorted hours")
        }
        a.activeHours = DayHours(packed: packedHours)
        a.apiKeys = try decodeSet(&r)
        a.systemPrompts = try decodeSet(&r)
        a.templates = try decodeSet(&r)
        let capacity = try r.count(limit: 1 << 16)
        let n = try r.count(limit: capacity)
        var entries: [Int64] = []
        for _ in 0..<n { entries.append(try r.i64()) }
        guard zip(entries, entries.dropFirst()).allSatisfy({ TimestampSample.rank($0) < TimestampSample.rank($1) }) else {
            throw r.corrupt("unsorted timestamp sample")
        }
        a.times = TimestampSample(capacity: capacity, entries: entries)
        var labelled: [LabelledSet] = []
        for _ in 0..<7 {
            let values = try decodeSet(&r)
            let keep = try r.count(limit: values.capacity)
            let count = try r.count(limit: min(keep, values.hashes.count))
            var labels: [String] = []
            for _ in 0..<count { labels.append(try r.string()) }
            labelled.append(LabelledSet(values: values, labelled: keep, labels: labels))
        }
        (a.ips, a.networks, a.userAgents, a.orgs, a.payments, a.models, a.countries) =
            (labelled[0], labelled[1], labelled[2], labelled[3], labelled[4], labelled[5], labelled[6])
        a.vocabulary = MinHashSketch(bins: try (0..<AccountState.vocabularyBins).map { _ in try r.u16() })
        a.synchronySketch = MinHashSketch(bins: try (0..<AccountState.synchronyBins).map { _ in try r.u16() })
        let exemplars = try r.count(limit: AccountState.exemplarCount)
        for _ in 0..<exemplars {
            let key = try r.u64()
            let textHash = try r.u64()
            a.restoreExemplar(rank: key, textHash: textHash, text: try r.string())
        }
        if version >= 2 { try decodeToolFields(&r, into: &a) }
        if version >= 3 { try decodeActionFields(&r, into: &a) }
        return a
    }

    /// The field version 3 added: the metadata action sketch, with its bin count.
    static func decodeActionFields(_ r: inout ByteReader, into a: inout AccountState) throws {
        guard try r.u32() == AccountState.actionBins else { throw r.corrupt("action sketch size differs from this version's") }
        a.actionSketch = MinHashSketch(bins: try (0..<AccountState.actionBins).map { _ in try r.u16() })
    }

    /// The fields version 2 added.
    static func decodeToolFields(_ r: inout ByteReader, into a: inout AccountState) throws {
        a.toolCalls = Int(clamping: try r.u64())
        a.toolResults = Int(clamping: try r.u64())
        a.toolExchanges = Int(clamping: try r.u64())
        a.toolSets = try decodeSet(&r)
    }

    static func decodeSet(_ r: inout ByteReader) throws -> BottomKSet {
        let capacity = try r.count(limit: 1 << 16)
        let saturated = try r.u8() == 1
        let n = try r.count(limit: capacity)
        var hashes: [UInt64] = []
        for _ in 0..<n { hashes.append(try r.u64()) }
        guard zip(hashes, hashes.dropFirst()).allSatisfy({ $0 < $1 }) else { throw r.corrupt("unsorted set") }
        return BottomKSet(capacity: capacity, hashes: hashes, saturated: saturated)
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
