// The nightly job's state: one SQLite file (through GRDB) holding which inputs were read,
// per-day per-account states inside the rolling window, each account's first sighting, and
// each run's reported clusters (for stable ids and changes.csv).
//
// Crash safety: everything a run changes is written in one transaction at its end, after the
// outputs; SQLite's rollback journal undoes a transaction cut short by a crash or a signal,
// so the previous state stays usable. A file that is not ours, is corrupt, or was written by
// a newer version is refused before anything is written to it.
import CZlib
import DistillDetect
import DistillReport
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

public enum NightlyStateError: Error, CustomStringConvertible, Equatable {
    case notAState(path: String, reason: String)
    case newerVersion(path: String, found: Int, supported: Int)
    case corrupt(path: String, reason: String)
    case taxonomyMismatch(path: String, found: [String], expected: [String])
    case locked(path: String)
    case database(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAState(let path, let reason): return "\(path): not a distill-detect nightly state file (\(reason)); left untouched"
        case .newerVersion(let path, let found, let supported):
            return "\(path): state schema \(found) was written by a newer distill-detect (this one reads up to \(supported)); left untouched: upgrade, or start a new state file"
        case .corrupt(let path, let reason): return "\(path): state file is corrupt (\(reason)); left untouched: restore a backup or start a new state file"
        case .taxonomyMismatch(let path, let found, let expected):
            return "\(path): state was built with topics [\(found.joined(separator: ", "))] but this run uses [\(expected.joined(separator: ", "))]; left untouched"
        case .locked(let path): return "\(path): another nightly run holds this state file"
        case .database(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// An input the state has read.
public struct StoredInput: Sendable, Equatable {
    public var contentHash: String
    public var name: String
    public var bytes: Int64
    public var records: Int

    public init(contentHash: String, name: String, bytes: Int64, records: Int) {
        self.contentHash = contentHash
        self.name = name
        self.bytes = bytes
        self.records = records
    }
}

/// Everything one run changes in the state, written in one transaction.
package struct NightlyCommit {
    package var run: Int
    package var asOfDay: Int64
    package var windowStart: Int64
    package var finishedAt: String
    package var inputs: [StoredInput]
    /// Day states that are new or changed (stored state merged with new records).
    package var dayStates: [(day: Int64, state: AccountState)]
    /// Earliest activity of every account with new records.
    package var accountFirstSeen: [(account: String, ms: Int64)]
    /// Accounts reported this run; the first date each was flagged is kept.
    package var flaggedAccounts: [String]
    package var clusters: [StoredCluster]
    package var nextClusterNumber: Int
    package var records: Int

    package init(
        run: Int, asOfDay: Int64, windowStart: Int64, finishedAt: String, inputs: [StoredInput],
        dayStates: [(day: Int64, state: AccountState)], accountFirstSeen: [(account: String, ms: Int64)],
        flaggedAccounts: [String], clusters: [StoredCluster], nextClusterNumber: Int, records: Int
    ) {
        self.run = run
        self.asOfDay = asOfDay
        self.windowStart = windowStart
        self.finishedAt = finishedAt
        self.inputs = inputs
        self.dayStates = dayStates
        self.accountFirstSeen = accountFirstSeen
        self.flaggedAccounts = flaggedAccounts
        self.clusters = clusters
        self.nextClusterNumber = nextClusterNumber
        self.records = records
    }
}

package final class NightlyStore {
    static let applicationID: Int32 = 0x4444_4E53  // "DDNS"
    static let schemaVersion = 1
    static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    let path: String
    private let queue: DatabaseQueue
    private let lockDescriptor: Int32

    /// Opens (or creates) the state at `path`, checks it, and holds an exclusive lock on it
    /// until this object is released.
    package init(path: String, topicNames: [String]) throws {
        self.path = path
        let fm = FileManager.default
        let existed = fm.fileExists(atPath: path)
        if existed {
            try Self.checkHeader(path)
        } else {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty, !fm.fileExists(atPath: directory) {
                do {
                    try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw NightlyStateError.database(path: path, reason: "cannot create directory \(directory): \(error.localizedDescription)")
                }
            }
        }
        // The lock lives on a side file so that it never touches the database's own bytes.
        let lockPath = path + ".lock"
        lockDescriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockDescriptor >= 0 else {
            throw NightlyStateError.database(path: path, reason: "cannot create lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            throw NightlyStateError.locked(path: path)
        }
        var configuration = Configuration()
        configuration.label = "distill-detect state"
        configuration.foreignKeysEnabled = false
        do {
            if !fm.fileExists(atPath: path) { try Self.createNew(path: path, topicNames: topicNames, configuration: configuration) }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try checkAndPrepare(topicNames: topicNames)
        } catch {
            close(lockDescriptor)
            throw Self.translate(error, path: path)
        }
    }

    deinit {
        close(lockDescriptor)
    }

    /// A non-empty file must start as every SQLite database does.
    static func checkHeader(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw NightlyStateError.database(path: path, reason: "cannot read the state file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: sqliteMagic.count)) ?? Data()
        // A new state is created under another name and renamed into place once it holds its
        // schema, so an empty file was never ours (or lost its contents): refused, not reused.
        if head.isEmpty {
            throw NightlyStateError.notAState(
                path: path, reason: "it is empty (0 bytes), so it holds no state; remove it to start a new state")
        }
        guard Array(head) == sqliteMagic else {
            throw NightlyStateError.notAState(path: path, reason: "it is not an SQLite database")
        }
    }

    static func translate(_ error: Error, path: String) -> Error {
        if error is NightlyStateError { return error }
        if let db = error as? DatabaseError {
            switch db.resultCode.primaryResultCode {
            case .SQLITE_CORRUPT: return NightlyStateError.corrupt(path: path, reason: db.message ?? "malformed")
            case .SQLITE_NOTADB: return NightlyStateError.notAState(path: path, reason: db.message ?? "not a database")
            default: return NightlyStateError.database(path: path, reason: "SQLite: \(db.message ?? "\(db.resultCode)")")
            }
        }
        return NightlyStateError.database(path: path, reason: "\(error)")
    }

    private func checkAndPrepare(topicNames: [String]) throws {
        let (applicationID, version, tableCount) = try queue.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA quick_check")
            guard integrity == ["ok"] else {
                throw NightlyStateError.corrupt(path: path, reason: integrity.prefix(3).joined(separator: "; "))
            }
            return (
                try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            )
        }
        guard applicationID != 0 || tableCount != 0 else {
            throw NightlyStateError.notAState(path: path, reason: "an SQLite database without tables")
        }
        guard applicationID == Self.applicationID else {
            throw NightlyStateError.notAState(path: path, reason: "an SQLite database of another application")
        }
        guard version <= Self.schemaVersion else {
            throw NightlyStateError.newerVersion(path: path, found: version, supported: Self.schemaVersion)
        }
        let stored = try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'topics'") }
        guard let stored, let data = stored.data(using: .utf8), let names = try? JSONDecoder().decode([String].self, from: data) else {
            throw NightlyStateError.corrupt(path: path, reason: "no topic list in meta")
        }
        guard names == topicNames else { throw NightlyStateError.taxonomyMismatch(path: path, found: names, expected: topicNames) }
    }

    /// Creates a new, empty state at `path`: built under a temporary name (holding the lock)
    /// and renamed into place whole, so a run killed meanwhile leaves no half-made state.
    private static func createNew(path: String, topicNames: [String], configuration: Configuration) throws {
        let building = path + ".new"
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(building + suffix) }
        do {
            let queue = try DatabaseQueue(path: building, configuration: configuration)
            try createSchema(queue, topicsJSON: String(decoding: try JSONEncoder().encode(topicNames), as: UTF8.self))
            try queue.close()
        }
        guard rename(building, path) == 0 else {
            throw NightlyStateError.database(path: path, reason: "cannot create the state file: \(String(cString: strerror(errno)))")
        }
    }

    private static func createSchema(_ queue: DatabaseQueue, topicsJSON: String) throws {
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE inputs (
                    content_hash TEXT PRIMARY KEY, name TEXT NOT NULL, bytes INTEGER NOT NULL,
                    records INTEGER NOT NULL, run INTEGER NOT NULL);
                CREATE TABLE account_days (
                    day INTEGER NOT NULL, account_id TEXT NOT NULL, state BLOB NOT NULL,
                    PRIMARY KEY (day, account_id));
                CREATE TABLE accounts (account_id TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, first_flagged TEXT);
                CREATE TABLE runs (
                    run INTEGER PRIMARY KEY, as_of_day INTEGER NOT NULL, window_start INTEGER NOT NULL,
                    finished_at TEXT NOT NULL, inputs INTEGER NOT NULL, records INTEGER NOT NULL, clusters INTEGER NOT NULL);
                CREATE TABLE clusters (cluster_id TEXT PRIMARY KEY, first_reported TEXT NOT NULL, last_reported TEXT NOT NULL);
                CREATE TABLE run_clusters (
                    run INTEGER NOT NULL, cluster_id TEXT NOT NULL, score REAL NOT NULL, exchanges INTEGER NOT NULL,
                    PRIMARY KEY (run, cluster_id)) WITHOUT ROWID;
                CREATE TABLE run_cluster_members (
                    run INTEGER NOT NULL, cluster_id TEXT NOT NULL, account_id TEXT NOT NULL,
                    PRIMARY KEY (run, cluster_id, account_id)) WITHOUT ROWID;
                """)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('topics', ?), ('next_cluster', '1')", arguments: [topicsJSON])
            try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
            try db.execute(sql: "PRAGMA user_version = \(Self.schemaVersion)")
        }
    }

    // MARK: Reading

    package func inputs() throws -> [String: StoredInput] {
        try wrap {
            try queue.read { db in
                var out: [String: StoredInput] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT content_hash, name, bytes, records FROM inputs") {
                    let input = StoredInput(contentHash: row[0], name: row[1], bytes: row[2], records: row[3])
                    out[input.contentHash] = input
                }
                return out
            }
        }
    }

    package func lastRun() throws -> Int {
        try wrap { try queue.read { db in try Int.fetchOne(db, sql: "SELECT max(run) FROM runs") ?? 0 } }
    }

    package func latestDay() throws -> Int64? {
        try wrap { try queue.read { db in try Int64.fetchOne(db, sql: "SELECT max(day) FROM account_days") } }
    }

    package func nextClusterNumber() throws -> Int {
        try wrap {
            try queue.read { db in
                Int(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'next_cluster'") ?? "1") ?? 1
            }
        }
    }

    /// Days stored before `day` (they leave the window in the next commit).
    package func days(before day: Int64) throws -> [Int64] {
        try wrap { try queue.read { db in try Int64.fetchAll(db, sql: "SELECT DISTINCT day FROM account_days WHERE day < ? ORDER BY day", arguments: [day]) } }
    }

    /// Calls `body` with every stored day state from `day` on, in (day, account) order (the
    /// table's own, no sort),
    /// one at a time: a 30-day window is never held in memory day by day.
    package func forEachDayState(from day: Int64, _ body: (Int64, AccountState) throws -> Void) throws {
        try wrap {
            try queue.read { db in
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT day, account_id, state FROM account_days WHERE day >= ? ORDER BY day, account_id", arguments: [day])
                while let row = try rows.next() {
                    let d: Int64 = row[0]
                    let account: String = row[1]
                    let context = "\(path) (account \(account), day \(Timestamp.formatDay(d)))"
                    let state: AccountState
                    do {
                        let bytes = try row.withUnsafeData(atIndex: 2) { try Self.inflateBlob($0 ?? Data(), context: context) }
                        state = try AccountStateFile.decodeAccount(bytes, context: context)
                    } catch {
                        throw NightlyStateError.corrupt(path: path, reason: "\(error)")
                    }
                    guard state.accountID == account else {
                        throw NightlyStateError.corrupt(path: path, reason: "row for \(account) holds the state of \(state.accountID)")
                    }
                    try body(d, state)
                }
            }
        }
    }

    /// The clusters `run` reported (none for run 0).
    package func clusters(run: Int) throws -> [StoredCluster] {
        guard run > 0 else { return [] }
        return try wrap {
            try queue.read { db in
                var clusters: [String: StoredCluster] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT cluster_id, score, exchanges FROM run_clusters WHERE run = ?", arguments: [run]) {
                    let id: String = row[0]
                    clusters[id] = StoredCluster(id: id, members: [], score: row[1], exchanges: row[2])
                }
                for row in try Row.fetchAll(
                    db, sql: "SELECT cluster_id, account_id FROM run_cluster_members WHERE run = ? ORDER BY cluster_id, account_id",
                    arguments: [run])
                {
                    let id: String = row[0]
                    clusters[id]?.members.append(row[1])
                }
                return clusters.values.sorted { $0.id < $1.id }
            }
        }
    }

    /// Cluster id → first date it was reported.
    package func clusterFirstReported() throws -> [String: String] {
        try wrap {
            try queue.read { db in
                var out: [String: String] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT cluster_id, first_reported FROM clusters") { out[row[0]] = row[1] }
                return out
            }
        }
    }

    /// First activity ever seen and first date flagged, for the given accounts.
    package func accountHistory(_ accounts: [String]) throws -> [String: (firstSeen: Int64, firstFlagged: String?)] {
        try wrap {
            try queue.read { db in
                var out: [String: (firstSeen: Int64, firstFlagged: String?)] = [:]
                let statement = try db.cachedStatement(sql: "SELECT first_seen, first_flagged FROM accounts WHERE account_id = ?")
                for account in accounts {
                    if let row = try Row.fetchOne(statement, arguments: [account]) {
                        out[account] = (row[0], row[1])
                    }
                }
                return out
            }
        }
    }

    // MARK: Writing

    /// Writes one run's changes in a single transaction.
    package func commit(_ c: NightlyCommit) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let input = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO inputs (content_hash, name, bytes, records, run) VALUES (?, ?, ?, ?, ?)")
                for i in c.inputs { try input.execute(arguments: [i.contentHash, i.name, i.bytes, i.records, c.run]) }
                let state = try db.makeStatement(sql: "INSERT OR REPLACE INTO account_days (day, account_id, state) VALUES (?, ?, ?)")
                for (day, s) in c.dayStates {
                    try state.execute(arguments: [day, s.accountID, Self.deflateBlob(AccountStateFile.encodeAccount(s))])
                }
                try db.execute(sql: "DELETE FROM account_days WHERE day < ?", arguments: [c.windowStart])
                let seen = try db.makeStatement(sql: """
                    INSERT INTO accounts (account_id, first_seen) VALUES (?, ?)
                    ON CONFLICT (account_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)
                    """)
                for (account, ms) in c.accountFirstSeen { try seen.execute(arguments: [account, ms]) }
                let asOf = Timestamp.formatDay(c.asOfDay)
                let flagged = try db.makeStatement(sql: "UPDATE accounts SET first_flagged = ? WHERE account_id = ? AND first_flagged IS NULL")
                for account in c.flaggedAccounts { try flagged.execute(arguments: [asOf, account]) }
                let cluster = try db.makeStatement(sql: """
                    INSERT INTO clusters (cluster_id, first_reported, last_reported) VALUES (?, ?, ?)
                    ON CONFLICT (cluster_id) DO UPDATE SET last_reported = excluded.last_reported
                    """)
                let runCluster = try db.makeStatement(sql: "INSERT INTO run_clusters (run, cluster_id, score, exchanges) VALUES (?, ?, ?, ?)")
                let member = try db.makeStatement(sql: "INSERT INTO run_cluster_members (run, cluster_id, account_id) VALUES (?, ?, ?)")
                for k in c.clusters {
                    try cluster.execute(arguments: [k.id, asOf, asOf])
                    try runCluster.execute(arguments: [c.run, k.id, k.score, k.exchanges])
                    for m in k.members { try member.execute(arguments: [c.run, k.id, m]) }
                }
                // Only the last two runs' memberships are needed (ids and changes.csv).
                try db.execute(sql: "DELETE FROM run_clusters WHERE run < ?", arguments: [c.run - 1])
                try db.execute(sql: "DELETE FROM run_cluster_members WHERE run < ?", arguments: [c.run - 1])
                try db.execute(
                    sql: "INSERT INTO runs (run, as_of_day, window_start, finished_at, inputs, records, clusters) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [c.run, c.asOfDay, c.windowStart, c.finishedAt, c.inputs.count, c.records, c.clusters.count])
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'next_cluster'", arguments: ["\(c.nextClusterNumber)"])
                TestPause.at("in-commit")
                return .commit
            }
        }
    }

    // MARK: Blobs

    /// A state as stored: its length (UInt32, little-endian), then the bytes deflated (zlib,
    /// level 1): about a third smaller, and cheap.
    static func deflateBlob(_ bytes: [UInt8]) -> Data {
        let length = uLong(bytes.count)
        var out = [UInt8](repeating: 0, count: 4 + Int(compressBound(length)))
        var written = uLongf(out.count - 4)
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { compress2(o.baseAddress! + 4, &written, $0.baseAddress, length, 1) }
        }
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        for i in 0..<4 { out[i] = UInt8(truncatingIfNeeded: length >> (8 * i)) }
        return Data(out[0..<(4 + Int(written))])
    }

    static func inflateBlob(_ blob: Data, context: String) throws -> [UInt8] {
        let bytes = [UInt8](blob)
        guard bytes.count >= 4 else { throw StateFileError.corrupt(path: context, offset: 0, reason: "state blob of \(bytes.count) bytes") }
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard length <= 1 << 26 else { throw StateFileError.corrupt(path: context, offset: 0, reason: "state length \(length)") }
        var out = [UInt8](repeating: 0, count: length)
        var written = uLongf(length)
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { uncompress(o.baseAddress, &written, $0.baseAddress! + 4, uLong(bytes.count - 4)) }
        }
        guard status == Z_OK, Int(written) == length else {
            throw StateFileError.corrupt(path: context, offset: 4, reason: "state blob does not inflate (zlib \(status))")
        }
        return out
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Self.translate(error, path: path) }
    }
}
