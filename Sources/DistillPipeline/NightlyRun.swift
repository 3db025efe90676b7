// `nightly`: the scheduled job. Reads only inputs the state has not seen (by content), keeps
// per-day per-account states for a rolling window, re-runs detection over the window, gives
// clusters stable ids, writes the `analyze` outputs plus changes.csv, then commits the state.
import DistillDetect
import DistillNightly
import DistillReport
import Foundation

public enum FailOn: String, Sendable, CaseIterable {
    case newClusters = "new-clusters"
    case anyClusters = "any-clusters"
    case never
}

public struct NightlyConfig: Sendable {
    public var analyze = AnalyzeConfig()
    public var statePath = ""
    public var windowDays = 30
    public var failOn = FailOn.never
    /// State files or directories read instead of logs: a night's per-day state (`state build
    /// --by-day`, every partition, from any number of splits, as the Spark job writes it with
    /// --by-day). The set is remembered by the content of its files, as a log input is.
    public var stateInputs: [String] = []

    public init() {}
}

public enum NightlyRun {
    /// An input of this night: `hash` nil when it is not hashed (skipped, or unreadable): it is
    /// read only to report it, and never remembered.
    struct FreshInput {
        var source: InputSource
        var hash: String?
        var bytes: Int64
        /// Read only in part on an earlier night with these very bytes: it has stopped
        /// growing, so what can be read of it is stored this time.
        var settled = false
    }

    /// `StoredInput.records` of an input read only in part and left out: remembered so that,
    /// unchanged the next night, its readable part is stored once.
    static let leftOutRecords = -1

    /// The inputs the state has not read before, by content, and a night's state built
    /// elsewhere (`--state-input`) when it is new.
    struct NewInputs {
        var fresh: [FreshInput] = []
        var skipped: [NightlySummary.SkippedInput] = []
        var stateNight: (input: StoredInput, state: AccountStateFile)?
    }

    /// The states inside the window once this night's records are merged in.
    struct Window {
        var asOfDay: Int64?
        var start: Int64?
        var expired: [Int64]
        /// One state per account, its days merged, sorted by id.
        var accounts: [AccountState]
        /// Day states that are new or changed, for the state commit.
        var changedDays: [(day: Int64, state: AccountState)]
        var firstSeen: [(account: String, ms: Int64)]
        var recordsBeforeWindow: Int
    }

    /// `analyze` over the window of stored per-day state: reads only new inputs into per-day
    /// states, merges them into the window, detects as `analyze` does, matches clusters with
    /// the previous night's for stable ids and changes.csv, writes the outputs as `analyze`
    /// does, then commits the state. Throws `NightlyStateError` (a state file that is not
    /// ours, corrupt, newer, of another taxonomy, locked), `InputError`, `StateFileError`,
    /// `OutputError`.
    public static func run(paths: [String], outputDirectory: String, config: NightlyConfig) throws -> RunSummary {
        let started = monotonicSeconds()
        let taxonomy = config.analyze.taxonomy
        let store = try NightlyStore(path: config.statePath, topicNames: taxonomy.topicNames)
        let (inputs, walkSkipped) = paths.isEmpty ? ([], []) : try InputDiscovery.discover(paths)

        // 1. Which inputs are new, by content.
        let known = try store.inputs()
        var new = try newInputs(inputs, known: known, config: config)
        let hashed = monotonicSeconds()

        // 2. Read them into per-day states (or take the night's saved ones).
        let report: ScanReport
        var newDays: [AccountState]
        // New inputs read only in part (a gzip member cut short, an inflate or read error
        // part-way, as a log still being written is): reported with where they end, left out of
        // the stored days and remembered as left out. Kept, the part read would be counted again
        // when the completed file (a new content hash) is read whole the next night; the same
        // bytes the next night mean it stopped growing (damaged for good), and its readable part
        // is stored then, once.
        var leftOut: [NightlySummary.SkippedInput] = []
        var recordsLeftOut = 0
        var secondReport: ScanReport?
        if let stateNight = new.stateNight {
            report = stateNight.state.tally?.report ?? ScanReport()
            newDays = stateNight.state.accounts
            new.stateNight?.state.accounts = []
        } else {
            let read = FeatureRun.run(
                inputs: new.fresh.map(\.source), options: config.analyze.scan, taxonomy: taxonomy, keepContent: true, byDay: true)
            report = read.report
            newDays = read.accounts
            let settled = Set(new.fresh.filter(\.settled).map(\.source.displayName))
            let cut = read.report.inputs.filter { $0.cut != nil && $0.error == nil && !settled.contains($0.file) }
            if !cut.isEmpty {
                // The complete inputs are read again without them (per-day states merge; they
                // cannot be unmerged): twice the reading on such a night.
                let names = Set(cut.map(\.file))
                leftOut = cut.map {
                    .init(file: $0.file, reason: "read only to byte \($0.cut!.offset) (\($0.cut!.kind)): left out until it reads in full or stops changing")
                }
                recordsLeftOut = cut.reduce(0) { $0 + $1.accepted }
                let again = FeatureRun.run(
                    inputs: new.fresh.map(\.source).filter { !names.contains($0.displayName) }, options: config.analyze.scan,
                    taxonomy: taxonomy, keepContent: true, byDay: true)
                newDays = again.accounts
                secondReport = again.report
            }
        }
        let scanned = monotonicSeconds()
        TestPause.at("after-read")
        // Records dated after tomorrow (UTC, by this machine's clock) come from a broken clock
        // or a forged field: they are counted and kept out, so one line from 2099 cannot move
        // the window forward and expire every stored day.
        let tomorrow = Timestamp.day(Int64(Date().timeIntervalSince1970 * 1000)) + 1
        var recordsAfterTomorrow = 0
        newDays.removeAll { state in
            guard Timestamp.day(state.firstSeen) > tomorrow else { return false }
            recordsAfterTomorrow += state.exchanges
            return true
        }

        // 3. The window, and the states inside it.
        let lastRun = try store.lastRun()
        let replay = new.fresh.isEmpty && new.stateNight == nil && lastRun > 0
        let window = try loadWindow(store, newDays: &newDays, windowDays: config.windowDays)
        let accounts = window.accounts
        let windowed = monotonicSeconds()

        // 4. Detection over the window, as `analyze` runs it.
        let detection = CampaignDetection.run(accounts: accounts, taxonomy: taxonomy, options: config.analyze.detectionOptions)

        // 5. Stable ids and changes. A replay matches ids against the last run and reports
        // changes against the run before it, exactly as that run did.
        var nextNumber = try store.nextClusterNumber()
        let previous = try store.clusters(run: lastRun)
        let members = detection.reported.map { $0.members.map { accounts[$0].accountID }.sorted() }
        let ids = ClusterMatching.assignIDs(current: members, previous: previous, nextNumber: &nextNumber)
        let now = detection.reported.indices.map {
            StoredCluster(id: ids[$0], members: members[$0], score: detection.reported[$0].score, exchanges: detection.reported[$0].exchanges)
        }
        let base = replay ? try store.clusters(run: lastRun - 1) : previous
        let changes = ClusterMatching.changes(now: now, before: base)

        // 6. Outputs first.
        let writeStarted = monotonicSeconds()
        let asOf = window.asOfDay.map(Timestamp.formatDay) ?? ""
        let firstReported = try store.clusterFirstReported()
        let flaggedIDs = members.flatMap { $0 }
        let annotations = try annotate(detection, accounts: accounts, ids: ids, firstReported: firstReported, asOf: asOf, store: store, flaggedIDs: flaggedIDs)
        var alert = false
        switch config.failOn {
        case .never: break
        case .anyClusters: alert = !now.isEmpty
        case .newClusters: alert = changes.contains { $0.kind == .new }
        }
        var changeCounts = Dictionary(uniqueKeysWithValues: ClusterChangeKind.allCases.map { ($0.rawValue, 0) })
        for c in changes { changeCounts[c.kind.rawValue, default: 0] += 1 }
        let run = replay ? lastRun : lastRun + 1
        var summary = RunSummary(
            command: "nightly", report: report, options: config.analyze.scan, maxRejectRate: config.analyze.maxRejectRate,
            accountsSeen: accounts.count, stageSeconds: detection.seconds.merging([
                "hash_inputs": hashed - started, "ingest_decode_features": scanned - hashed, "load_window": windowed - scanned,
            ]) { $1 })
        summary.detection = DetectionSummary(options: config.analyze.detection, result: detection)
        summary.skippedFiles = walkSkipped
        var nightly = NightlySummary(
            state: config.statePath, run: run, replay: replay, asOf: window.asOfDay.map(Timestamp.formatDay),
            windowDays: config.windowDays, windowStart: window.start.map(Timestamp.formatDay), inputsRead: report.readableInputs,
            inputsSkipped: new.skipped, daysExpired: window.expired.map(Timestamp.formatDay),
            recordsBeforeWindow: window.recordsBeforeWindow, recordsAfterTomorrow: recordsAfterTomorrow,
            accountsInWindow: accounts.count, changes: changeCounts, failOn: config.failOn.rawValue, alert: alert)
        nightly.inputsLeftOut = leftOut
        nightly.recordsLeftOut = recordsLeftOut
        summary.nightly = nightly
        // A night given no new input is no failure: it replays the window.
        summary.exitCode = RunSummary.exitCode(
            report: report, maxRejectRate: config.analyze.maxRejectRate, inputsGiven: !new.fresh.isEmpty, alert: alert).rawValue
        let page = HTMLReport.Page(
            title: "distill-detect nightly \(asOf)", facts: nightlyFacts(summary) + summary.inputProblemFacts, detection: detection,
            accounts: accounts, topicNames: taxonomy.topicNames, clusterIDs: ids, firstReported: ids.map { firstReported[$0] ?? asOf },
            changes: changes)
        // Staged, then swapped into place whole; the state is committed only after that.
        try RunOutputs.write(
            detection, accounts: accounts, topicNames: taxonomy.topicNames, to: outputDirectory, json: config.analyze.json,
            annotations: annotations, page: page, summary: &summary, writeStarted: writeStarted,
            pauses: (staged: nil, swap: "nightly-swap")
        ) { staging in try writeChanges(changes, firstReported: firstReported, asOf: asOf, directory: staging) }

        // 7. Then the state, in one transaction. A replay changes nothing. Inputs that could
        // not be opened or were read only in part are not remembered, so the next run tries
        // them again. Should the
        // commit fail, summary.json (already in place) is rewritten to say so: exit 1.
        if !replay {
            do {
                let reports = Dictionary(report.inputs.map { ($0.file, $0) }) { a, _ in a }
                // What was stored comes from the second read when there was one: an input that
                // failed there is not remembered.
                let stored = Dictionary((secondReport ?? report).inputs.map { ($0.file, $0) }) { a, _ in a }
                let leftOutNames = Set(leftOut.map(\.file))
                let read = new.fresh.compactMap { f -> StoredInput? in
                    guard let hash = f.hash, let r = reports[f.source.displayName], r.error == nil else { return nil }
                    if leftOutNames.contains(f.source.displayName) {
                        return StoredInput(contentHash: hash, name: f.source.displayName, bytes: f.bytes, records: Self.leftOutRecords)
                    }
                    guard let s = stored[f.source.displayName], s.error == nil, s.cut == nil || f.settled else { return nil }
                    return StoredInput(contentHash: hash, name: f.source.displayName, bytes: f.bytes, records: s.accepted)
                } + (new.stateNight.map { [$0.input] } ?? [])
                try store.commit(NightlyCommit(
                    run: run, asOfDay: window.asOfDay ?? 0, windowStart: window.start ?? .min,
                    finishedAt: Timestamp.format(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)), inputs: read,
                    dayStates: window.changedDays, accountFirstSeen: window.firstSeen, flaggedAccounts: flaggedIDs, clusters: now,
                    nextClusterNumber: nextNumber, records: report.accepted - recordsLeftOut))
            } catch {
                summary.exitCode = RunExitCode.failure.rawValue
                summary.stateError = "state not committed: \(error)"
                try? AtomicFile.write(try summary.jsonData(), to: DetectionReport.path(outputDirectory, "summary.json"))
                throw error
            }
        }
        if config.analyze.keepStatesUntilExit { KeptUntilExit.shared.keep((accounts, detection)) }
        return summary
    }

    /// Splits `inputs` into the new (by content hash) and the already read, and reads the
    /// night's state given by `--state-input` when it is new. An input that cannot be read to
    /// hash it is not read at all: it is reported as an input problem (exit 2) and, not being
    /// remembered, tried again the next night.
    static func newInputs(_ inputs: [InputSource], known: [String: StoredInput], config: NightlyConfig) throws -> NewInputs {
        var new = NewInputs()
        var hashesThisRun: [String: String] = [:]
        for input in inputs {
            let path: String
            switch input.kind {
            case .standardInput: throw InputError.standardInputNotAllowed("nightly")
            case .skipped:
                new.fresh.append(FreshInput(source: input, hash: nil, bytes: 0))
                continue
            case .file(let p): path = p
            }
            // Inputs are read twice (hashed, then scanned): only regular files qualify.
            if case .other(let kind) = FileKind.of(path, followingLinks: true) {
                new.fresh.append(FreshInput(source: .skipped(path, reason: "not a regular file (\(kind))"), hash: nil, bytes: 0))
                continue
            }
            let hash: String
            let bytes: Int64
            do {
                (hash, bytes) = try InputFingerprint.contentHash(path: path)
            } catch InputError.notFound {
                new.fresh.append(FreshInput(source: input, hash: nil, bytes: 0))  // its open fails again in the scan, and is reported
                continue
            } catch let error as InputFingerprintError {
                new.fresh.append(FreshInput(
                    source: .skipped(path, reason: "could not be read to fingerprint it at byte \(error.offset) (\(error.reason))"),
                    hash: nil, bytes: 0))
                continue
            }
            if let previous = known[hash], previous.records == Self.leftOutRecords, hashesThisRun[hash] == nil {
                hashesThisRun[hash] = path
                new.fresh.append(FreshInput(source: input, hash: hash, bytes: bytes, settled: true))
            } else if let previous = known[hash] {
                new.skipped.append(.init(file: path, reason: "already read (as \(previous.name))"))
            } else if let twin = hashesThisRun[hash] {
                new.skipped.append(.init(file: path, reason: "same content as \(twin)"))
            } else {
                hashesThisRun[hash] = path
                new.fresh.append(FreshInput(source: input, hash: hash, bytes: bytes))
            }
        }
        // A night's state built elsewhere: one input, known by the content of all its files.
        if !config.stateInputs.isEmpty {
            let files = try StatePartitions.expand(config.stateInputs)
            var hashes: [String] = []
            var bytes: Int64 = 0
            for file in files {
                let (hash, size) = try InputFingerprint.contentHash(path: file)
                hashes.append(hash)
                bytes += size
            }
            let joined = hashes.sorted().joined(separator: "\n")
            let hash = String(format: "%016llx%016llx", StableHash.hash(joined, seed: 0x1), StableHash.hash(joined, seed: 0x9E37_79B9_7F4A_7C15))
            let name = "state " + config.stateInputs.joined(separator: " ")
            if let previous = known[hash] {
                new.skipped.append(.init(file: name, reason: "already read (as \(previous.name))"))
            } else {
                let state = try StatePartitions.read(config.stateInputs, expectedTopics: config.analyze.taxonomy.topicNames)
                guard state.byDay else {
                    throw StateFileError.incompatible(
                        reason: "\(name): nightly keeps one state per account and day; build the state with `state build --by-day`")
                }
                new.stateNight = (StoredInput(contentHash: hash, name: name, bytes: bytes, records: state.tally?.report.accepted ?? 0), state)
            }
        }
        return new
    }

    /// Merges this night's per-day states (`newDays`, sorted by account and day; emptied) with
    /// the stored days inside the window ending at the latest day seen.
    static func loadWindow(_ store: NightlyStore, newDays: inout [AccountState], windowDays: Int) throws -> Window {
        let newLatest = newDays.map { Timestamp.day($0.firstSeen) }.max()
        let storedLatest = try store.latestDay()
        let asOfDay = [newLatest, storedLatest].compactMap { $0 }.max()
        let windowStart = asOfDay.map { $0 - Int64(windowDays) + 1 }
        let expired = try windowStart.map { try store.days(before: $0) } ?? []
        // New records by (account, day); stored days stream past and merge with them.
        var pending: [DayKey: AccountState] = [:]
        var recordsBeforeWindow = 0
        var firstSeen: [(account: String, ms: Int64)] = []
        for state in newDays {
            if firstSeen.last?.account == state.accountID {
                firstSeen[firstSeen.count - 1].ms = min(firstSeen[firstSeen.count - 1].ms, state.firstSeen)
            } else {
                firstSeen.append((state.accountID, state.firstSeen))
            }
            let day = Timestamp.day(state.firstSeen)
            if day >= windowStart ?? .min {
                pending[DayKey(account: state.accountID, day: day)] = state
            } else {
                recordsBeforeWindow += state.exchanges
            }
        }
        newDays = []
        // One state per account: its days merged (merges are exact and order-free, so this
        // is the state `analyze` builds from the same records).
        var accounts: [AccountState] = []
        var accountIndex: [String: Int] = [:]
        var changedDays: [(day: Int64, state: AccountState)] = []
        func add(_ state: AccountState) {
            if let i = accountIndex[state.accountID] {
                accounts[i].merge(state)
            } else {
                accountIndex[state.accountID] = accounts.count
                accounts.append(state)
            }
        }
        try store.forEachDayState(from: windowStart ?? .min) { day, stored in
            let key = DayKey(account: stored.accountID, day: day)
            if let new = pending.removeValue(forKey: key) {
                var merged = stored
                merged.merge(new)
                changedDays.append((day, merged))
                add(merged)
            } else {
                add(stored)
            }
        }
        for key in pending.keys.sorted(by: { ($0.account, $0.day) < ($1.account, $1.day) }) {
            let state = pending[key]!
            changedDays.append((key.day, state))
            add(state)
        }
        pending = [:]
        accountIndex = [:]
        let order = accounts.indices.sorted { accounts[$0].accountID < accounts[$1].accountID }
        accounts = order.map { accounts[$0] }
        return Window(
            asOfDay: asOfDay, start: windowStart, expired: expired, accounts: accounts, changedDays: changedDays,
            firstSeen: firstSeen, recordsBeforeWindow: recordsBeforeWindow)
    }

    /// The nightly columns of clusters.csv (`first_reported`) and accounts.csv
    /// (`first_flagged`, `first_seen_ever`), from the state's history.
    static func annotate(
        _ detection: DetectionResult, accounts: [AccountState], ids: [String], firstReported: [String: String], asOf: String,
        store: NightlyStore, flaggedIDs: [String]
    ) throws -> ReportAnnotations {
        let history = try store.accountHistory(flaggedIDs)
        var annotations = ReportAnnotations(clusterIDs: ids)
        annotations.clusterColumns = ["first_reported"]
        annotations.clusterValues = ids.map { [.text(firstReported[$0] ?? asOf)] }
        annotations.accountColumns = ["first_flagged", "first_seen_ever"]
        for account in detection.reported.flatMap({ $0.members.map { accounts[$0] } }) {
            let past = history[account.accountID]
            let seen = min(past?.firstSeen ?? .max, account.firstSeen)
            annotations.accountValues[account.accountID] = [
                .text(past?.firstFlagged ?? asOf), seen == .max ? .empty : .text(Timestamp.format(milliseconds: seen)),
            ]
        }
        return annotations
    }

    static func nightlyFacts(_ s: RunSummary) -> [(String, String)] {
        guard let n = s.nightly else { return [] }
        return [
            ("As of", n.asOf ?? "no data yet"), ("Window", "\(n.windowDays) days from \(n.windowStart ?? "–")"),
            ("Run", "\(n.run)\(n.replay ? " (replay: no new input)" : "")"),
            ("Inputs read / skipped", "\(n.inputsRead) / \(n.inputsSkipped.count)"
                + (n.inputsLeftOut.isEmpty ? "" : " (\(n.inputsLeftOut.count) read only in part and left out: \(n.recordsLeftOut) records)")),
            ("Records read this run", "\(s.recordsAccepted) accepted, \(s.recordsRejected) rejected"),
            ("Accounts in window", "\(n.accountsInWindow)"),
            ("Clusters", ClusterChangeKind.allCases.map { "\(n.changes[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")),
        ]
    }

    public static let changeColumns = [
        "change", "cluster_id", "accounts_before", "accounts_now", "accounts_added", "accounts_removed", "score_before",
        "score_now", "first_reported",
    ]

    static func writeChanges(_ changes: [ClusterChange], firstReported: [String: String], asOf: String, directory: String) throws {
        let rows: [[CSVField]] = changes.map { c in
            [
                .text(c.kind.rawValue), .text(c.clusterID), .integer(c.accountsBefore), .integer(c.accountsNow), .integer(c.added),
                .integer(c.removed), c.scoreBefore.map { .decimal($0) } ?? .empty, c.scoreNow.map { .decimal($0) } ?? .empty,
                .text(firstReported[c.clusterID] ?? asOf),
            ]
        }
        try CSVWriter.write(path: DetectionReport.path(directory, "changes.csv"), header: changeColumns, rows: rows)
    }
}

/// An account on one UTC day.
struct DayKey: Hashable {
    var account: String
    var day: Int64
}

/// An input that could be opened but not read to the end while hashing it.
public struct InputFingerprintError: Error, CustomStringConvertible, Equatable {
    public var path: String
    /// The system's reason (strerror text).
    public var reason: String
    /// Bytes hashed before the read failed.
    public var offset: Int64

    public var description: String { "\(path): could not be read to fingerprint it at byte \(offset) (\(reason))" }
}

/// Identity of an input by content, so a renamed or copied file is not read twice.
public enum InputFingerprint {
    /// A 128-bit hash of the file's bytes (two independently seeded 64-bit hashes over 1 MiB
    /// blocks) as 32 hex digits, and the file's size in bytes. Not cryptographic: it tells
    /// files apart, it does not defend against someone forging a collision. Throws
    /// `InputError.notFound` when the file cannot be opened and `InputFingerprintError` when a
    /// read fails (never the hash of what was read before it).
    public static func contentHash(path: String) throws -> (hash: String, bytes: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError.notFound(path) }
        defer { try? handle.close() }
        var a: UInt64 = 0x6464_6e69
        var b: UInt64 = 0x6e69_6768
        var total: Int64 = 0
        while true {
            let block: Data
            do {
                block = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                // Foundation wraps the read(2) errno as the underlying error.
                let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
                let reason = underlying.map { systemErrorText(Int32($0.code)) } ?? error.localizedDescription
                throw InputFingerprintError(path: path, reason: reason, offset: total)
            }
            if block.isEmpty { break }
            block.withUnsafeBytes { raw in
                a = StableHash.combine(a, StableHash.hash(raw, seed: 0x1))
                b = StableHash.combine(b, StableHash.hash(raw, seed: 0x9E37_79B9_7F4A_7C15))
            }
            total += Int64(block.count)
        }
        a = StableHash.combine(a, UInt64(total))
        b = StableHash.combine(b, UInt64(total))
        return (String(format: "%016llx%016llx", a, b), total)
    }
}
