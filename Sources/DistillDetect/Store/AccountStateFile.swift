// A versioned binary file of account states, so a later run (the nightly job, another
// machine) can merge them with its own. Layout: 8-byte magic, format version (UInt32),
// payload length (UInt64), CRC-32 of the payload (UInt32), payload; little-endian. Since
// format 4 a file also says which partition of the accounts it holds, which input splits
// went into it, and (in partition 0) the scan tally of those splits (`StatePartitions`).
import CZlib
import Foundation

public struct AccountStateFile: Sendable {
    public static let magic: [UInt8] = Array("DDSTATE\u{0}".utf8)
    /// 2 added the tool-loop fields (`toolCalls`, `toolResults`, `toolExchanges`, `toolSets`);
    /// 3 the metadata action sketch (`actionSketch`); 4 the partition, the split names, the
    /// per-day flag and the scan tally. Files of versions 1 to 3 are still read (the fields they lack empty;
    /// such a file is the whole of its accounts, partition 0 of 1). A field added to the
    /// state's schema with a higher `since` raises it.
    public static let formatVersion: UInt32 = max(layoutVersion, AccountState.Fields.schema.map(\.since).max() ?? 1)
    /// The version of the file's own layout (header, partition, splits, tally).
    static let layoutVersion: UInt32 = 4
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
        // A blob holds one account whole, with the fields of the version that wrote it: those
        // of later versions are left empty when the bytes end before them.
        var a = AccountState(accountID: try r.string())
        try a.decodeFields(&r, version: formatVersion, blobEnd: bytes.count)
        guard r.offset == bytes.count else { throw r.corrupt("\(bytes.count - r.offset) unexpected bytes after the account") }
        return a
    }

    /// An account: its id, then each field of the schema in order (`AccountState.Fields.schema`).
    static func encode(_ a: AccountState, _ w: inout ByteWriter) {
        w.string(a.accountID)
        a.withFields { fields in
            for field in AccountState.Fields.schema { field.encode(&fields, &w) }
        }
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
        try a.decodeFields(&r, version: version, blobEnd: nil)
        return a
    }
}

extension AccountState {
    /// Reads the schema's fields in order, those added up to `version`; the others keep their
    /// empty values. A blob (`blobEnd`, its length) holds the fields of the version that wrote
    /// it: each later version's group of fields is there whole, or the bytes end before it.
    fileprivate mutating func decodeFields(_ r: inout ByteReader, version: UInt32, blobEnd: Int?) throws {
        var group: UInt32 = 0
        var present = true
        for field in Fields.schema where field.since <= version {
            if field.since != group {
                group = field.since
                present = group == 1 || blobEnd.map { r.offset < $0 } ?? true
            }
            if present { try field.decode(&fields, &r) }
        }
    }
}
