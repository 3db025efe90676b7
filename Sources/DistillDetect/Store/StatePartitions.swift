// Account state as a partitioned artefact: a scan of one input split writes N files, each
// holding the accounts whose id hashes to it; files of one partition from several splits
// merge exactly; the N merged partitions together are the state `analyze` builds from all the
// inputs at once. Each step can run on its own machine (the Spark job in spark/ does).
import Foundation

/// Which share of the accounts a state file holds: those with `of(accountID, count:) == index`.
public struct StatePartition: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// All accounts: partition 0 of 1.
    public static let whole = StatePartition(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index))
        self.index = index
        self.count = count
    }

    /// The partition of an account among `count`: a stable hash of its id's UTF-8 bytes
    /// (the same on every machine and in every run), modulo `count`.
    public static func of(accountID: String, count: Int) -> Int {
        Int(StableHash.hash(accountID) % UInt64(count))
    }

    /// The file name a partition is written under: `part-00003-of-00008.ddstate`.
    public var fileName: String {
        "part-\(Self.padded(index))-of-\(Self.padded(count)).ddstate"
    }

    public var description: String { "partition \(index) of \(count)" }

    private static func padded(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}

public enum StatePartitions {
    /// State file names end with this.
    public static let fileExtension = "ddstate"

    /// The default name of a split: a hash of its inputs' names (`-` for standard input), so
    /// that two runs over different files do not collide when merged; name splits read from
    /// standard input yourself.
    public static func defaultSplitName(inputNames: [String]) -> String {
        let hash = StableHash.hash(inputNames.sorted().joined(separator: "\n"))
        return "split-" + String(hash, radix: 16)
    }

    /// One split's states as `count` files, partition `p` in element `p`, each sorted by
    /// account id; the scan tally goes with partition 0. Content is kept as read (the
    /// placeholder rule is applied where all splits come together, by `features(from:)`).
    /// With `byDay`, `accounts` hold one state per account and day, sorted by (id, day).
    public static func split(
        accounts: [AccountState], topicNames: [String], tally: ScanTally, splitName: String, count: Int, byDay: Bool = false
    ) -> [AccountStateFile] {
        var parts = Array(repeating: [AccountState](), count: count)
        for state in accounts { parts[StatePartition.of(accountID: state.accountID, count: count)].append(state) }
        return parts.enumerated().map { p, states in
            AccountStateFile(
                topicNames: topicNames, accounts: states, partition: StatePartition(index: p, count: count),
                splits: [splitName], tally: p == 0 ? tally : nil, byDay: byDay)
        }
    }

    /// Merges state files exactly. Files of one partition (from disjoint sets of splits) give
    /// that partition; all partitions of one count, each holding the same splits, give the
    /// whole state. Anything else (a partition missing, a split merged twice or missing from
    /// one partition, another taxonomy, an account in the wrong partition) is an error naming
    /// the files. `paths[i]` names `files[i]` in errors.
    public static func merge(_ files: [AccountStateFile], paths: [String]) throws -> AccountStateFile {
        precondition(files.count == paths.count)
        guard let first = files.first else { throw StateFileError.incompatible(reason: "no state files given") }
        for (file, path) in zip(files, paths) {
            guard file.byDay == first.byDay else {
                throw StateFileError.incompatible(
                    reason: "\(path) holds \(file.byDay ? "one state per account and day" : "one state per account") but \(paths[0]) does not: build both with or without --by-day")
            }
            guard file.topicNames == first.topicNames else {
                throw StateFileError.taxonomyMismatch(path: path, found: file.topicNames, expected: first.topicNames)
            }
            try checkPlacement(file, path: path)
        }
        var byPartition: [StatePartition: [Int]] = [:]
        for i in files.indices { byPartition[files[i].partition, default: []].append(i) }
        var merged: [StatePartition: (file: AccountStateFile, paths: [String])] = [:]
        for (partition, members) in byPartition {
            merged[partition] = (try mergeOnePartition(members.map { files[$0] }, paths: members.map { paths[$0] }), members.map { paths[$0] })
        }
        if merged.count == 1 { return merged.first!.value.file }
        let counts = Set(merged.keys.map(\.count))
        guard counts.count == 1, let count = counts.first else {
            let listed = merged.map { "\($0.value.paths.joined(separator: ", ")) (\($0.key))" }.sorted().joined(separator: "; ")
            throw StateFileError.incompatible(reason: "state files of different partition counts cannot be merged: \(listed)")
        }
        for index in 0..<count where merged[StatePartition(index: index, count: count)] == nil {
            let have = merged.values.flatMap(\.paths).sorted().joined(separator: ", ")
            throw StateFileError.incompatible(
                reason: "\(StatePartition(index: index, count: count).fileName): partition \(index) of \(count) is missing (given: \(have)); its accounts would be silently dropped")
        }
        let zero = merged[StatePartition(index: 0, count: count)]!
        for index in 1..<count {
            let part = merged[StatePartition(index: index, count: count)]!
            guard part.file.splits == zero.file.splits else {
                let missing = Set(zero.file.splits).symmetricDifference(part.file.splits).sorted()
                throw StateFileError.incompatible(
                    reason: "\(part.paths.joined(separator: ", ")) (partition \(index) of \(count)) and \(zero.paths.joined(separator: ", ")) (partition 0) hold different input splits; in one but not the other: \(missing.joined(separator: ", ")) (a split's partition file is missing)")
            }
        }
        var accounts: [AccountState] = []
        accounts.reserveCapacity(merged.values.reduce(0) { $0 + $1.file.accounts.count })
        for index in 0..<count { accounts += merged[StatePartition(index: index, count: count)]!.file.accounts }
        accounts.sort { first.byDay ? Self.dayOrder($0, $1) : $0.accountID < $1.accountID }
        return AccountStateFile(
            topicNames: first.topicNames, accounts: accounts, partition: .whole, splits: zero.file.splits, tally: zero.file.tally,
            byDay: first.byDay)
    }

    /// Files of the same partition: their splits must be disjoint.
    static func mergeOnePartition(_ files: [AccountStateFile], paths: [String]) throws -> AccountStateFile {
        var owner: [String: String] = [:]
        for (file, path) in zip(files, paths) {
            for split in file.splits {
                if let other = owner.updateValue(path, forKey: split) {
                    throw StateFileError.incompatible(
                        reason: "split \(split) is in both \(other) and \(path) (\(file.partition)): merging both would count its records twice")
                }
            }
        }
        var tally: ScanTally?
        for file in files {
            guard let t = file.tally else { continue }
            if tally == nil { tally = t } else { tally!.merge(t) }
        }
        let byDay = files[0].byDay
        let accounts = files.count == 1 ? files[0].accounts
            : byDay ? mergeSortedByDay(files.map(\.accounts)) : FeatureRun.mergeSorted(files.map(\.accounts))
        return AccountStateFile(
            topicNames: files[0].topicNames, accounts: accounts, partition: files[0].partition, splits: owner.keys.sorted(),
            tally: tally, byDay: byDay)
    }

    /// (id, day) order of per-day states.
    static func dayOrder(_ a: AccountState, _ b: AccountState) -> Bool {
        (a.accountID, Timestamp.day(a.firstSeen)) < (b.accountID, Timestamp.day(b.firstSeen))
    }

    /// Merges lists of per-day states (each sorted by id and day) into one sorted list, states
    /// of the same account and day merged.
    static func mergeSortedByDay(_ lists: [[AccountState]]) -> [AccountState] {
        struct Key: Hashable {
            var account: String
            var day: Int64
        }
        var byKey: [Key: AccountState] = [:]
        for list in lists {
            for state in list {
                let key = Key(account: state.accountID, day: Timestamp.day(state.firstSeen))
                if byKey[key] != nil { byKey[key]!.merge(state) } else { byKey[key] = state }
            }
        }
        return byKey.values.sorted(by: dayOrder)
    }

    /// The file's accounts, one state each (the days of per-day state merged), sorted by id.
    public static func accounts(of file: AccountStateFile) -> [AccountState] {
        file.byDay ? collapsingDays(file.accounts) : file.accounts
    }

    /// One state per account: the days of each merged (exact, as the nightly window does).
    static func collapsingDays(_ states: [AccountState]) -> [AccountState] {
        var out: [AccountState] = []
        for state in states {
            if out.last?.accountID == state.accountID { out[out.count - 1].merge(state) } else { out.append(state) }
        }
        return out
    }

    /// Accounts sorted by id, each in the file's partition; the tally in partition 0 only.
    static func checkPlacement(_ file: AccountStateFile, path: String) throws {
        let p = file.partition
        if p.index != 0 && file.tally != nil {
            throw StateFileError.corrupt(path: path, offset: 0, reason: "\(p) carries a scan tally (only partition 0 may)")
        }
        for k in file.accounts.indices {
            let ordered = k == 0 || (file.byDay ? dayOrder(file.accounts[k - 1], file.accounts[k]) : file.accounts[k - 1].accountID < file.accounts[k].accountID)
            if !ordered {
                throw StateFileError.corrupt(path: path, offset: 0, reason: "accounts not sorted by id\(file.byDay ? " and day" : "") at \(file.accounts[k].accountID)")
            }
            if p.count > 1 && StatePartition.of(accountID: file.accounts[k].accountID, count: p.count) != p.index {
                throw StateFileError.corrupt(path: path, offset: 0, reason: "account \(file.accounts[k].accountID) does not belong in \(p)")
            }
        }
    }

    /// What detection reads: the whole state's accounts (the days of each merged, for per-day
    /// state) and its tally as a scan report, with
    /// content left out when a placeholder fills most records, as `FeatureRun.run` does.
    public static func features(from file: AccountStateFile) -> FeatureRunResult {
        let report = file.tally?.report ?? ScanReport()
        var accounts = Self.accounts(of: file)
        FeatureRun.applyContentRule(&accounts, report: report)
        return FeatureRunResult(report: report, accounts: accounts, topicNames: file.topicNames, stageSeconds: [:])
    }
}

extension StatePartitions {
    /// The state files named by `paths`: files as given, directories by the `*.ddstate` files
    /// in them and their subdirectories (sorted by relative path). A path that does not exist, or a directory without state
    /// files, is an error naming it.
    public static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw StateFileError.unreadable(path: path, reason: "no such file or directory")
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            guard let walk = FileManager.default.enumerator(atPath: path) else {
                throw StateFileError.unreadable(path: path, reason: "cannot list the directory")
            }
            var found: [String] = []
            while let name = walk.nextObject() as? String {
                if name.hasSuffix("." + fileExtension) { found.append(name) }
            }
            found.sort()
            guard !found.isEmpty else {
                throw StateFileError.unreadable(path: path, reason: "directory holds no .\(fileExtension) files")
            }
            files += found.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
        }
        return files
    }

    /// Reads the state files of `paths` (see `expand`) and merges them (see `merge`);
    /// `expectedTopics` refuses files of another taxonomy.
    public static func read(_ paths: [String], expectedTopics: [String]) throws -> AccountStateFile {
        let files = try expand(paths)
        let read = try files.map { try AccountStateFile.read(path: $0, expectedTopics: expectedTopics) }
        return try merge(read, paths: files)
    }
}
