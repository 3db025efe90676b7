// The nightly job end to end, on real generated gzip logs and a real SQLite state file.
import Foundation
import GRDB
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Seven generated days, one file per day, shared by the tests of this file (generated once).
final class SevenDays: @unchecked Sendable {
    static let shared = SevenDays()
    let dir: TemporaryDirectory
    let files: [String]

    private init() {
        let dir = try! TemporaryDirectory()
        let config = generatorConfig(exchanges: 24_000, days: 7, seed: 71, campaigns: [.basic, .agentic])
        _ = try! SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
        files = try! FileManager.default.contentsOfDirectory(atPath: dir.file("logs")).filter { $0.hasSuffix(".gz") }.sorted()
            .map { dir.file("logs/\($0)") }
        self.dir = dir
    }
}

private func nightlyConfig(state: String, window: Int = 30, failOn: FailOn = .never) -> NightlyConfig {
    var config = NightlyConfig()
    config.statePath = state
    config.windowDays = window
    config.failOn = failOn
    config.analyze.scan.threads = 2
    return config
}

/// Clusters of an accounts.csv as sets of account ids (ids themselves differ between commands).
private func partition(_ accountsCSV: String) throws -> Set<Set<String>> {
    var byCluster: [String: Set<String>] = [:]
    for row in try CSVReader.records(path: accountsCSV) { byCluster[row["cluster_id"]!, default: []].insert(row["account_id"]!) }
    return Set(byCluster.values)
}

private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// A gzip file's content, through the system's gzip.
private func gunzip(_ path: String) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -dc \"$0\"", path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(data)
}

@Suite("nightly", .serialized)
struct NightlyTests {
    let days = SevenDays.shared

    /// A log still being written when the night runs: its gzip is cut short. The part read is
    /// reported and left out (the file remembered as left out); the next night reads the whole
    /// file (a new content hash) once, so no record is counted twice. Before, the part was
    /// stored and the file remembered, and the completed file's records up to the cut were
    /// stored again. A file that stays cut (the same bytes the next night) is damaged for good:
    /// its readable part is stored then, once.
    @Test("an input read only in part is left out and read whole the next night, nothing counted twice")
    func partialInputReadAgain() throws {
        let dir = try TemporaryDirectory()
        let whole = try bytes(days.files[0])
        let path = dir.file("live.jsonl.gz")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let state = dir.file("state.sqlite")
        let first = try NightlyRun.run(paths: [path], outputDirectory: dir.file("n1"), config: nightlyConfig(state: state))
        #expect(first.exitCode == RunExitCode.rejectRateExceeded.rawValue)
        #expect(first.nightly?.inputsLeftOut.map(\.file) == [path])
        #expect((first.nightly?.recordsLeftOut ?? 0) > 0)
        #expect(first.nightly?.accountsInWindow == 0)
        #expect(try NightlyStore(path: state, topicNames: CompiledTaxonomy.builtIn.topicNames).inputs().values.map(\.records) == [NightlyRun.leftOutRecords])

        try whole.write(to: URL(fileURLWithPath: path))
        let second = try NightlyRun.run(paths: [path], outputDirectory: dir.file("n2"), config: nightlyConfig(state: state))
        #expect(second.exitCode == RunExitCode.success.rawValue)
        #expect(second.nightly?.inputsLeftOut.isEmpty == true)
        // The same window as one night over the complete file.
        let once = try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("once"), config: nightlyConfig(state: dir.file("once.sqlite")))
        #expect(second.nightly?.accountsInWindow == once.nightly?.accountsInWindow)
        // Every stored exchange once: the day states hold what the complete file holds.
        func stored(_ path: String) throws -> Int {
            var total = 0
            try NightlyStore(path: path, topicNames: CompiledTaxonomy.builtIn.topicNames).forEachDayState(from: .min) { _, a in total += a.exchanges }
            return total
        }
        #expect(try stored(state) == (try stored(dir.file("once.sqlite"))))
        #expect(try stored(state) == once.recordsAccepted)

        // Damaged for good: the same cut file two nights running is stored the second night,
        // and a third night reads nothing.
        let damaged = dir.file("damaged.sqlite")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let night1 = try NightlyRun.run(paths: [path], outputDirectory: dir.file("d1"), config: nightlyConfig(state: damaged))
        #expect(try stored(damaged) == 0)
        let night2 = try NightlyRun.run(paths: [path], outputDirectory: dir.file("d2"), config: nightlyConfig(state: damaged))
        #expect(night2.nightly?.inputsLeftOut.isEmpty == true)
        #expect(night2.exitCode == RunExitCode.rejectRateExceeded.rawValue)
        #expect(try stored(damaged) == night1.nightly?.recordsLeftOut)
        let night3 = try NightlyRun.run(paths: [path], outputDirectory: dir.file("d3"), config: nightlyConfig(state: damaged))
        #expect(night3.nightly?.inputsSkipped.count == 1)
        #expect(try stored(damaged) == night1.nightly?.recordsLeftOut)
        #expect(try partition(dir.file("n2/accounts.csv")) == (try partition(dir.file("once/accounts.csv"))))
    }

    @Test("seven nights one at a time flag the same accounts, in the same clusters, as analyze over all seven")
    func nightsMatchAnalyze() throws {
        let dir = try TemporaryDirectory()
        var analyze = AnalyzeConfig()
        analyze.scan.threads = 2
        _ = try AnalyzeRun.run(paths: days.files, outputDirectory: dir.file("all"), config: analyze)
        let state = dir.file("state.sqlite")
        var ids: [String: String] = [:]
        for (night, file) in days.files.enumerated() {
            let summary = try NightlyRun.run(paths: [file], outputDirectory: dir.file("night\(night)"), config: nightlyConfig(state: state))
            #expect(summary.nightly?.run == night + 1)
            #expect(summary.nightly?.inputsRead == 1)
            // Once reported, a campaign keeps its cluster id from night to night.
            for row in try CSVReader.records(path: dir.file("night\(night)/accounts.csv")) {
                if let id = ids[row["account_id"]!] { #expect(id == row["cluster_id"]!, "\(row["account_id"]!)") }
                ids[row["account_id"]!] = row["cluster_id"]!
            }
        }
        let expected = try partition(dir.file("all/accounts.csv"))
        #expect(expected.count == 2)
        #expect(try partition(dir.file("night6/accounts.csv")) == expected)
        // The account rows agree column for column, but for the cluster id and what mentions it.
        let strip: ([String: String]) -> [String: String] = { $0.filter { !["cluster_id", "reasons", "first_flagged", "first_seen_ever"].contains($0.key) } }
        let a = try CSVReader.records(path: dir.file("all/accounts.csv")).map(strip).sorted { $0["account_id"]! < $1["account_id"]! }
        let n = try CSVReader.records(path: dir.file("night6/accounts.csv")).map(strip).sorted { $0["account_id"]! < $1["account_id"]! }
        #expect(a == n)
        // changes.csv of the last night: every cluster there before, none new.
        let changes = try CSVReader.records(path: dir.file("night6/changes.csv"))
        #expect(changes.count == 2)
        #expect(changes.allSatisfy { $0["change"] != "new" && $0["change"] != "gone" })
        #expect(FileManager.default.fileExists(atPath: dir.file("night6/report.html")))
    }

    @Test("re-running a night, or reading a renamed copy, changes nothing")
    func rerunIsNoOp() throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("state.sqlite")
        for (night, file) in days.files.prefix(3).enumerated() {
            _ = try NightlyRun.run(paths: [file], outputDirectory: dir.file("night\(night)"), config: nightlyConfig(state: state))
        }
        let before = try bytes(state)
        try FileManager.default.copyItem(atPath: days.files[2], toPath: dir.file("renamed.jsonl.gz"))
        let summary = try NightlyRun.run(
            paths: [dir.file("renamed.jsonl.gz"), days.files[1], days.files[2]], outputDirectory: dir.file("again"),
            config: nightlyConfig(state: state))
        #expect(summary.nightly?.replay == true)
        #expect(summary.nightly?.inputsRead == 0)
        #expect(summary.nightly?.inputsSkipped.count == 3)
        #expect(try bytes(state) == before)
        for name in ["clusters.csv", "accounts.csv", "changes.csv"] {
            #expect(try bytes(dir.file("again/\(name)")) == bytes(dir.file("night2/\(name)")), "\(name)")
        }
    }

    @Test("days leave the window when they expire")
    func windowExpiry() throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("state.sqlite")
        var expired: [String] = []
        for (night, file) in days.files.enumerated() {
            let s = try NightlyRun.run(paths: [file], outputDirectory: dir.file("n\(night)"), config: nightlyConfig(state: state, window: 3))
            expired += s.nightly?.daysExpired ?? []
            #expect(s.nightly?.daysExpired.count == (night >= 3 ? 1 : 0))
        }
        #expect(expired == ["2026-04-20", "2026-04-21", "2026-04-22", "2026-04-23"])
        let queue = try DatabaseQueue(path: state)
        let stored = try queue.read { db in try Int64.fetchAll(db, sql: "SELECT DISTINCT day FROM account_days ORDER BY day") }
        #expect(stored.map(Timestamp.formatDay) == ["2026-04-24", "2026-04-25", "2026-04-26"])
        // The window's detection is analyze over the window's three files.
        var analyze = AnalyzeConfig()
        analyze.scan.threads = 2
        _ = try AnalyzeRun.run(paths: Array(days.files.suffix(3)), outputDirectory: dir.file("last3"), config: analyze)
        #expect(try partition(dir.file("n6/accounts.csv")) == partition(dir.file("last3/accounts.csv")))
        // A late file whose records fall on an expired day is read but kept out of the state.
        let before = try bytes(state)
        let late = try dir.writeGzip("late.jsonl.gz", members: [Array(try gunzip(days.files[0]).prefix(20_000))])
        let s = try NightlyRun.run(paths: [late], outputDirectory: dir.file("late"), config: nightlyConfig(state: state, window: 3))
        #expect(s.nightly?.inputsRead == 1)
        #expect(s.recordsAccepted > 0)
        #expect(s.nightly?.recordsBeforeWindow == s.recordsAccepted)
        #expect(try partition(dir.file("late/accounts.csv")) == partition(dir.file("n6/accounts.csv")))
        #expect(try queue.read { db in try Int64.fetchAll(db, sql: "SELECT DISTINCT day FROM account_days ORDER BY day") } == stored)
        #expect(try bytes(state) != before)  // the input is remembered
    }

    @Test("records dated in the far future are kept out and cannot expire the window")
    func futureRecords() throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("state.sqlite")
        for file in days.files.prefix(2) {
            _ = try NightlyRun.run(paths: [file], outputDirectory: dir.file("n"), config: nightlyConfig(state: state, window: 3))
        }
        let queue = try DatabaseQueue(path: state)
        let storedDays = { try queue.read { db in try Int64.fetchAll(db, sql: "SELECT DISTINCT day FROM account_days ORDER BY day") } }
        let before = try storedDays()
        let future = try dir.write("future.jsonl", text: """
            {"ts":"2099-01-01T00:00:00Z","account_id":"acct_from_the_future","prompt":"Write a haiku about time."}
            {"ts":"2099-01-02T00:00:00Z","account_id":"acct_from_the_future","prompt":"And another one."}

            """)
        let s = try NightlyRun.run(paths: [future], outputDirectory: dir.file("f"), config: nightlyConfig(state: state, window: 3))
        // Dated after tomorrow: bad_ts at decode, like any implausible time.
        #expect(s.recordsAccepted == 0)
        #expect(s.rejectedByReason["bad_ts"] == 2)
        #expect(s.nightly?.asOf == "2026-04-21")
        #expect(s.nightly?.daysExpired == [])
        #expect(try storedDays() == before)
    }

    @Test("--fail-on decides the exit code")
    func failOn() throws {
        let dir = try TemporaryDirectory()
        let newState = dir.file("state/dir/made/on/first/run/a.sqlite")
        let first = try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("a0"), config: nightlyConfig(state: newState, failOn: .newClusters))
        #expect(first.detection!.clustersReported > 0)
        #expect(first.exitCode == RunExitCode.alert.rawValue)
        let second = try NightlyRun.run(paths: [days.files[1]], outputDirectory: dir.file("a1"), config: nightlyConfig(state: newState, failOn: .newClusters))
        #expect(second.nightly?.changes["new"] == 0)
        #expect(second.exitCode == 0)
        let any = try NightlyRun.run(paths: [days.files[2]], outputDirectory: dir.file("a2"), config: nightlyConfig(state: newState, failOn: .anyClusters))
        #expect(any.exitCode == RunExitCode.alert.rawValue)
        let never = try NightlyRun.run(paths: [days.files[3]], outputDirectory: dir.file("a3"), config: nightlyConfig(state: newState))
        #expect(never.exitCode == 0)
    }

    @Test("a state that is not ours, corrupt, newer or of another taxonomy is refused and left untouched")
    func refusedStates() throws {
        let dir = try TemporaryDirectory()
        // Not SQLite at all.
        let junk = try dir.write("junk.sqlite", text: "this is not a database\n")
        #expect(throws: NightlyStateError.self) { try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("o"), config: nightlyConfig(state: junk)) }
        #expect(try String(contentsOfFile: junk, encoding: .utf8) == "this is not a database\n")

        // A good state, then copies of it spoiled in three ways.
        let good = dir.file("good.sqlite")
        _ = try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("o"), config: nightlyConfig(state: good))
        let newer = dir.file("newer.sqlite")
        try FileManager.default.copyItem(atPath: good, toPath: newer)
        try DatabaseQueue(path: newer).write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        let newerBytes = try bytes(newer)
        do {
            _ = try NightlyRun.run(paths: [days.files[1]], outputDirectory: dir.file("o"), config: nightlyConfig(state: newer))
            Issue.record("a newer state was accepted")
        } catch let error as NightlyStateError {
            #expect(error == .newerVersion(path: newer, found: 99, supported: NightlyStore.schemaVersion))
            #expect(error.description.contains("newer distill-detect"))
        }
        #expect(try bytes(newer) == newerBytes)

        var corruptBytes = [UInt8](try bytes(good))
        #expect(corruptBytes.count > 64 * 4096)
        for i in (corruptBytes.count / 2)..<(corruptBytes.count / 2 + 3 * 4096) { corruptBytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let corrupt = try dir.write("corrupt.sqlite", bytes: corruptBytes)
        do {
            _ = try NightlyRun.run(paths: [days.files[1]], outputDirectory: dir.file("o"), config: nightlyConfig(state: corrupt))
            Issue.record("a corrupt state was accepted")
        } catch let error as NightlyStateError {
            guard case .corrupt = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains("corrupt"))
        }
        #expect(try bytes(corrupt) == Data(corruptBytes))

        var other = nightlyConfig(state: good)
        var renamed = Taxonomy.builtIn
        renamed.topics[0].name = "renamed_topic"
        other.analyze.taxonomy = CompiledTaxonomy(renamed)
        let goodBytes = try bytes(good)
        #expect(throws: NightlyStateError.self) { try NightlyRun.run(paths: [days.files[1]], outputDirectory: dir.file("o"), config: other) }
        #expect(try bytes(good) == goodBytes)
    }

    @Test("a run killed inside its commit leaves the previous state, which the next run accepts")
    func killedMidCommit() throws {
        let dir = try TemporaryDirectory()
        let state = dir.file("state.sqlite")
        _ = try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("n0"), config: nightlyConfig(state: state))
        let binary = try #require(builtExecutable(), "the distill-detect executable next to the test bundle")
        for point in ["in-commit", "after-read"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["nightly", "--state", state, "--out", dir.file("killed-\(point)"), "--quiet", days.files[1], days.files[2]]
            var environment = ProcessInfo.processInfo.environment
            environment["DISTILL_DETECT_TEST_PAUSE"] = "\(point):60"
            process.environment = environment
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait until the run sits at its pause point: inside the transaction, the outputs
            // are written and SQLite's rollback journal exists; after reading, nothing is.
            let deadline = Date().addingTimeInterval(120)
            let reached: () -> Bool = {
                point == "in-commit"
                    ? FileManager.default.fileExists(atPath: state + "-journal")
                        && FileManager.default.fileExists(atPath: dir.file("killed-in-commit/summary.json"))
                    : true
            }
            while !reached() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if point == "after-read" { Thread.sleep(forTimeInterval: 1.0) }
            #expect(process.isRunning, "\(point)")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            // The state reads as it was after night 1 (SQLite rolls a hot journal back).
            let queue = try DatabaseQueue(path: state)
            #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT max(run) FROM runs") } == 1)
            #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inputs") } == 1)
        }
        // The next run accepts it, and ends where an uninterrupted pair of nights ends.
        let resumed = try NightlyRun.run(paths: [days.files[1], days.files[2]], outputDirectory: dir.file("n1"), config: nightlyConfig(state: state))
        #expect(resumed.nightly?.run == 2)
        #expect(resumed.nightly?.inputsRead == 2)
        let clean = dir.file("clean.sqlite")
        _ = try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("c0"), config: nightlyConfig(state: clean))
        _ = try NightlyRun.run(paths: [days.files[1], days.files[2]], outputDirectory: dir.file("c1"), config: nightlyConfig(state: clean))
        for name in ["clusters.csv", "accounts.csv", "changes.csv"] {
            #expect(try bytes(dir.file("n1/\(name)")) == bytes(dir.file("c1/\(name)")), "\(name)")
        }
    }
}

/// The `distill-detect` executable built beside the test bundle (`swift test` builds every target).
func builtExecutable() -> String? {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = (me as NSString).deletingLastPathComponent
    for _ in 0..<4 {
        let candidate = (dir as NSString).appendingPathComponent("distill-detect")
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue { return candidate }
        dir = (dir as NSString).deletingLastPathComponent
    }
    return nil
}

@Suite("Stable cluster ids")
struct ClusterMatchingTests {
    @Test("a growing cluster keeps its id, a split keeps it in the larger part, new clusters get new numbers")
    func ids() {
        let previous = [
            StoredCluster(id: "C0001", members: ["a", "b", "c", "d"], score: 0.9, exchanges: 100),
            StoredCluster(id: "C0002", members: ["p", "q", "r", "s", "t", "u"], score: 0.8, exchanges: 100),
            StoredCluster(id: "C0003", members: ["x", "y"], score: 0.7, exchanges: 10),
        ]
        var next = 4
        let current = [
            ["a", "b", "c", "d", "e", "f", "g"],  // C0001 grown
            ["p", "q"],  // smaller part of C0002
            ["r", "s", "t", "u"],  // larger part of C0002
            ["m", "n", "o"],  // new
        ]
        let ids = ClusterMatching.assignIDs(current: current, previous: previous, nextNumber: &next)
        #expect(ids == ["C0001", "C0004", "C0002", "C0005"])
        #expect(next == 6)
        let now = zip(ids, current).map { StoredCluster(id: $0, members: $1.sorted(), score: 0.9, exchanges: 1) }
        let changes = ClusterMatching.changes(now: now, before: previous)
        let kinds = Dictionary(uniqueKeysWithValues: changes.map { ($0.clusterID, $0.kind) })
        #expect(kinds["C0001"] == .grown)
        #expect(kinds["C0002"] == .shrunk)
        #expect(kinds["C0003"] == .gone)
        #expect(kinds["C0004"] == .new && kinds["C0005"] == .new)
        #expect(changes.first?.kind == .new)
        #expect(changes.last?.kind == .gone)
        let grown = changes.first { $0.clusterID == "C0001" }!
        #expect((grown.accountsBefore, grown.accountsNow, grown.added, grown.removed) == (4, 7, 3, 0))
    }

    @Test("ids are assigned the same whatever the order of ties")
    func deterministic() {
        let previous = [StoredCluster(id: "C0007", members: ["a", "b"], score: 1, exchanges: 1)]
        var n1 = 8
        var n2 = 8
        let one = ClusterMatching.assignIDs(current: [["a", "z"], ["b", "y"]], previous: previous, nextNumber: &n1)
        let two = ClusterMatching.assignIDs(current: [["a", "z"], ["b", "y"]], previous: previous, nextNumber: &n2)
        #expect(one == two)
        #expect(one == ["C0007", "C0008"])
    }
}
