// The rows of the reliability list (hostile and broken input), each on real files: what the
// commands must do with values, ids and inputs chosen by someone who wants them to fail.
import Foundation
import GRDB
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

let reliabilityFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/reliability")

/// The bytes of a reliability fixture.
func reliabilityFixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: reliabilityFixtures.appendingPathComponent(name)))
}

/// A small analyze configuration (two threads, default detection).
func hostileAnalyzeConfig() -> AnalyzeConfig {
    var config = AnalyzeConfig()
    config.scan.threads = 2
    return config
}

@Suite("Hostile numbers")
struct HostileNumberTests {
    @Test("a huge token count is clamped to 2^40 and counted; analyze, features and nightly finish")
    func tokenOverflow() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.writeGzip("tokens.jsonl.gz", members: [try reliabilityFixture("tokens_overflow.jsonl")])
        let summary = try AnalyzeRun.run(paths: [log], outputDirectory: dir.file("out"), config: hostileAnalyzeConfig())
        #expect(summary.recordsAccepted == 2)
        #expect(summary.outOfRangeValues == ["input_tokens": 1])
        let json = try String(contentsOfFile: dir.file("out/summary.json"), encoding: .utf8)
        #expect(json.contains("\"out_of_range_values\" : {\n    \"input_tokens\" : 1"))

        let features = FeatureRun.run(inputs: try InputDiscovery.expand([log]), options: hostileAnalyzeConfig().scan, taxonomy: .builtIn)
        let account = try #require(features.accounts.first { $0.accountID == "n4" })
        #expect(account.inputTokens == (1 << 40) + 1)

        var nightly = NightlyConfig()
        nightly.statePath = dir.file("state.sqlite")
        nightly.analyze.scan.threads = 2
        let night = try NightlyRun.run(paths: [log], outputDirectory: dir.file("night"), config: nightly)
        #expect(night.recordsAccepted == 2)
    }

    @Test("sums of counts saturate instead of trapping: per exchange, in merges and in cluster totals")
    func saturatingSums() throws {
        var a = AccountState(accountID: "x")
        a.inputTokens = Int.max - 5
        a.exchanges = Int.max - 1
        var b = AccountState(accountID: "x")
        b.inputTokens = 1 << 40
        b.exchanges = 10
        a.merge(b)
        #expect(a.inputTokens == Int.max)
        #expect(a.exchanges == Int.max)
        #expect([Int.max, 1, 2].saturatingSum() == Int.max)
        #expect([Int.min, -1].saturatingSum() == Int.min)
        var counts = SparseCounts()
        counts.add(3, UInt32.max - 1)
        counts.add(3, 5)
        #expect(counts.count(3) == UInt32.max)

        // Eight million exchanges of 2^40 tokens each would overflow Int64: the per-exchange
        // sum saturates (started near the top here rather than fed 2^23 lines).
        let line = Array(#"{"ts":"2026-04-20T00:00:00Z","account_id":"big","input_tokens":1099511627776,"output_tokens":99999999999999999}"#.utf8)
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        var hot = HotAccountState()
        hot.inputTokens = Int.max - 10
        var cold = AccountState(accountID: "big")
        line.withUnsafeBytes { raw in
            #expect(decoder.decode(raw) == nil)
            #expect(decoder.record.integer(.outputTokens) == ExchangeDecoder.maxTokenCount)
            #expect(decoder.record.outOfRange == 1 << UInt32(LogField.outputTokens.rawValue))
            hot.add(decoder.record, prompt: nil, cold: &cold.fields) { "" }
        }
        hot.finish(into: &cold.fields)
        #expect(cold.inputTokens == Int.max)
        #expect(cold.outputTokens == 1 << 40)
    }

    @Test("times before 2000 or after tomorrow are bad_ts; days and hours never wrap")
    func extremeTimes() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.writeGzip("extreme.jsonl.gz", members: [try reliabilityFixture("extreme.jsonl")])
        let (report, _) = try scan([log])
        #expect(report.accepted == 0)
        #expect(report.rejectedByReason == [.badTimestamp: 8])

        let now: Int64 = 1_796_083_200_000  // 2026-12-01T00:00:00Z
        let range = Timestamp.plausibleRange(now: now)
        #expect(range.lowerBound == Timestamp.parseMilliseconds("2000-01-01T00:00:00Z"))
        #expect(range.upperBound == Timestamp.parseMilliseconds("2026-12-02T23:59:59.999Z"))
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: range)
        func outcome(_ ts: String, _ extra: String = "") -> RejectReason? {
            Array(logLine(ts: ts, extra).utf8).withUnsafeBytes { decoder.decode($0) }
        }
        #expect(outcome("\"1999-12-31T23:59:59.999Z\"") == .badTimestamp)
        #expect(outcome("\"2000-01-01T00:00:00Z\"") == nil)
        #expect(outcome("\"2026-12-02T23:59:59Z\"") == nil)
        #expect(outcome("\"2026-12-03T00:00:00Z\"") == .badTimestamp)
        #expect(outcome("-1") == .badTimestamp)
        #expect(outcome("9223372036854775807") == .badTimestamp)
        #expect(outcome("1e300") == .badTimestamp)
        // An implausible account_created is absent, and counted.
        #expect(outcome("\"2026-04-20T00:00:00Z\"", #""account_created":"0001-01-01T00:00:00Z""#) == nil)
        #expect(decoder.record.integer(.accountCreated) == nil)
        #expect(decoder.record.outOfRange == 1 << UInt32(LogField.accountCreated.rawValue))
        #expect(outcome("\"2026-04-20T00:00:00Z\"", #""account_created":-9223372036854775808"#) == nil)
        #expect(decoder.record.integer(.accountCreated) == nil)
    }
}

@Suite("Account identity")
struct AccountIdentityTests {
    /// The prefix and suffix pairs of zerohash_ids.jsonl: with any 8 bytes between them, the
    /// fixed-seed 64-bit hash the accounts were once told apart by takes one value.
    static let collidingFamilies: [(String, String)] = [
        ("k;_,hKe]Xgs5Upr,", "LUu^=JtJ"), ("m9+|_2wIG0kd}^b2", "Th4MO4j]"),
        ("&@3F'd1;Sm0_>yot", "okuCO3XA"), (">0^;^^<idaYlpvpH", "~j=jM9[_"),
    ]

    @Test("ids chosen to collide under the old fixed-seed hash are distinct accounts (zerohash_ids.jsonl)")
    func chosenCollisions() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.writeGzip("zerohash.jsonl.gz", members: [try reliabilityFixture("zerohash_ids.jsonl")])
        for threads in [1, 2, 3] {
            var options = ScanOptions()
            options.threads = threads
            let features = FeatureRun.run(inputs: try InputDiscovery.expand([log]), options: options, taxonomy: .builtIn)
            #expect(features.accounts.count == 13, "threads \(threads)")
            #expect(features.accounts.allSatisfy { $0.exchanges == 1 })
        }
        let check = try LogCheck.run(paths: [log], options: ScanOptions(), maxRejectRate: 0.01)
        #expect(check.accountsSeen == 13)
    }

    @Test("property: random distinct ids, chosen colliding ones among them, give as many accounts as ids")
    func distinctIDsAreDistinctAccounts() throws {
        var rng = SeededRandom(seed: 12)
        let printable = Array(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~".utf8)
        let dir = try TemporaryDirectory()
        for round in 0..<6 {
            var ids = Set<String>()
            let colliding = rng.int(0...40)
            for _ in 0..<colliding {
                let (prefix, suffix) = Self.collidingFamilies[rng.int(0...(Self.collidingFamilies.count - 1))]
                let middle = String(decoding: (0..<8).map { _ in printable[rng.int(0...(printable.count - 1))] }, as: UTF8.self)
                let id = prefix + middle + suffix
                // They do collide under the old identity.
                #expect(StableHash.hash(id, seed: 0x6163) == StableHash.hash(prefix + "AAAAAAAA" + suffix, seed: 0x6163))
                ids.insert(id)
            }
            for _ in 0..<rng.int(0...40) {
                let length = rng.int(1...24)
                ids.insert(String(decoding: (0..<length).map { _ in printable[rng.int(0...(printable.count - 1))] }, as: UTF8.self))
            }
            // Numeric ids and ids written with escapes are ids too.
            ids.insert(String(rng.int(0...1_000_000)))
            var lines: [String] = []
            for (i, id) in ids.sorted().enumerated() {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: [id], options: [.fragmentsAllowed]), as: UTF8.self)
                let value = String(json.dropFirst().dropLast())
                for k in 0..<rng.int(1...3) {
                    lines.append("{\"ts\":\"2026-04-20T0\(k):\(10 + i % 50):00Z\",\"account_id\":\(value),\"prompt\":\"prompt \(i) \(k)\"}")
                }
            }
            var shuffled = lines
            for i in shuffled.indices.reversed() where i > 0 { shuffled.swapAt(i, rng.int(0...i)) }
            let log = try dir.writeGzip("ids\(round).jsonl.gz", members: [Array((shuffled.joined(separator: "\n") + "\n").utf8)])
            var options = ScanOptions()
            options.threads = 1 + round % 3
            let features = FeatureRun.run(inputs: try InputDiscovery.expand([log]), options: options, taxonomy: .builtIn)
            #expect(features.report.accepted == lines.count)
            #expect(features.accounts.count == ids.count, "round \(round): \(colliding) colliding ids")
            #expect(Set(features.accounts.map(\.accountID)) == ids)
            #expect(features.accounts.map(\.exchanges).reduce(0, +) == lines.count)
        }
    }
}

/// Runs the built `distill-detect` with `arguments`; its exit status and standard error.
func runTool(_ arguments: [String], timeout: TimeInterval = 60) throws -> (status: Int32, stderr: String) {
    let binary = try #require(builtExecutable(), "the distill-detect executable next to the test bundle")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        Issue.record("distill-detect \(arguments.joined(separator: " ")) still running after \(timeout) s: killed")
        return (-1, "")
    }
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, text)
}

@Suite("Hostile inputs")
struct HostileInputFileTests {
    /// A directory of one good log and one of each kind of bad input.
    static func badInputs(_ dir: TemporaryDirectory) throws -> (logs: String, problems: [String: String]) {
        let lines = (0..<20).map { logLine(account: "acct_\($0 % 4)", ts: "\"2026-04-20T00:\(10 + $0):00Z\"", #""prompt":"hello \#($0)""#) }
        let good = Array((lines.joined(separator: "\n") + "\n").utf8)
        let gz = try systemGzip(good)
        try dir.write("logs/a-good.jsonl.gz", bytes: gz)
        try dir.write("logs/cut.jsonl.gz", bytes: Array(gz.prefix(gz.count - 12)))
        var corrupt = gz
        for i in 12..<min(60, corrupt.count - 8) { corrupt[i] ^= 0x5A }
        try dir.write("logs/corrupt.jsonl.gz", bytes: corrupt)
        try dir.write("logs/zstd.jsonl.gz", bytes: [0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x58, 0x01, 0x00] + good.prefix(64))
        try dir.write("logs/bzip2.jsonl.gz", bytes: Array("BZh91AY&SY".utf8) + [0x12, 0x34, 0x56])
        try dir.write("logs/xz.jsonl.gz", bytes: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04])
        try FileManager.default.createSymbolicLink(atPath: dir.file("logs/gone.jsonl.gz"), withDestinationPath: dir.file("nowhere.gz"))
        #expect(mkfifo(dir.file("logs/pipe.jsonl"), 0o644) == 0)
        let logs = dir.file("logs")
        return (logs, [
            "\(logs)/cut.jsonl.gz": "truncated", "\(logs)/corrupt.jsonl.gz": "corrupt",
            "\(logs)/zstd.jsonl.gz": "unsupported_compression", "\(logs)/bzip2.jsonl.gz": "unsupported_compression",
            "\(logs)/xz.jsonl.gz": "unsupported_compression", "\(logs)/gone.jsonl.gz": "unreadable",
            "\(logs)/pipe.jsonl": "skipped", dir.file("missing.jsonl"): "unreadable",
        ])
    }

    @Test("a FIFO in a log directory is listed as skipped and never opened", .timeLimit(.minutes(10)))
    func fifoIsSkipped() throws {
        let dir = try TemporaryDirectory()
        try dir.write("logs/a.jsonl", text: logLine() + "\n")
        #expect(mkfifo(dir.file("logs/pipe.jsonl"), 0o644) == 0)
        let inputs = try InputDiscovery.expand([dir.file("logs")])
        #expect(inputs.map(\.displayName) == [dir.file("logs/a.jsonl"), dir.file("logs/pipe.jsonl")])
        guard case .skipped(_, let reason) = inputs[1].kind else { Issue.record("FIFO not skipped"); return }
        #expect(reason == "not a regular file (FIFO)")
        let (report, _) = try scan([dir.file("logs")])
        #expect(report.accepted == 1)
        #expect(report.inputProblems.map(\.problem) == ["skipped"])
    }

    @Test("every bad input is reported (summary.json, report.html, stderr), the rest is read, exit 2", .timeLimit(.minutes(10)))
    func badInputsAreReported() throws {
        let dir = try TemporaryDirectory()
        let (logs, expected) = try Self.badInputs(dir)
        let missing = dir.file("missing.jsonl")
        var config = hostileAnalyzeConfig()
        let seen = ProblemCollector()
        config.scan.inputProblemHandler = { seen.add($0) }
        let summary = try AnalyzeRun.run(paths: [logs, missing], outputDirectory: dir.file("out"), config: config)
        #expect(summary.recordsAccepted >= 20)
        #expect(Dictionary(uniqueKeysWithValues: summary.inputProblems.map { ($0.file, $0.problem) }) == expected)
        #expect(seen.problems == summary.inputProblems)
        #expect(summary.exitCode == RunExitCode.rejectRateExceeded.rawValue)
        #expect(summary.inputProblems.first { $0.problem == "truncated" }?.offset != nil)
        #expect(summary.inputProblems.first { $0.file.hasSuffix("zstd.jsonl.gz") }?.detail.contains("zstd-compressed") == true)
        let json = try String(contentsOfFile: dir.file("out/summary.json"), encoding: .utf8)
        let html = try String(contentsOfFile: dir.file("out/report.html"), encoding: .utf8)
        for file in expected.keys {
            #expect(json.contains("\"file\" : \"\(file)\""), "\(file) in summary.json")
            #expect(html.contains(file), "\(file) in report.html")
        }

        // The command: one warning line per bad input on stderr, exit 2, no hang on the FIFO.
        let (status, stderr) = try runTool(["analyze", "--quiet", "--threads", "2", "--out", dir.file("cli"), logs, missing])
        #expect(status == 2)
        for file in expected.keys {
            #expect(stderr.contains("distill-detect: warning: \(file)"), "\(file) on stderr: \(stderr)")
        }

        // nightly too goes on past them, remembers only what it read, and says so.
        var nightly = NightlyConfig()
        nightly.statePath = dir.file("state.sqlite")
        nightly.analyze.scan.threads = 2
        let night = try NightlyRun.run(paths: [logs, missing], outputDirectory: dir.file("night"), config: nightly)
        #expect(Set(night.inputProblems.map(\.file)) == Set(expected.keys))
        #expect(night.exitCode == RunExitCode.rejectRateExceeded.rawValue)
        let nightHTML = try String(contentsOfFile: dir.file("night/report.html"), encoding: .utf8)
        #expect(nightHTML.contains("gone.jsonl.gz"))
    }
}

final class ProblemCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [InputProblem] = []
    func add(_ p: InputProblem) { lock.withLock { list.append(p) } }
    var problems: [InputProblem] { lock.withLock { list } }
}

@Suite("Hostile options and files")
struct HostileOptionTests {
    @Test("--line-limit beyond the largest accepted value is a usage error (64) naming it")
    func hugeLineLimit() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.write("a.jsonl", text: logLine() + "\n")
        let (status, stderr) = try runTool(["check", "--line-limit", "30000000000", log])
        #expect(status == 64)
        #expect(stderr.contains("--line-limit must be at most 1073741824"), "\(stderr)")
        #expect(try runTool(["check", "--quiet", "--line-limit", "1073741824", log]).status == 0)
    }

    @Test("a 0-byte state file is refused with the reason and left as it is")
    func emptyStateFile() throws {
        let dir = try TemporaryDirectory()
        let state = try dir.write("state.sqlite", bytes: [])
        let log = try dir.write("a.jsonl", text: logLine() + "\n")
        var config = NightlyConfig()
        config.statePath = state
        #expect {
            try NightlyRun.run(paths: [log], outputDirectory: dir.file("out"), config: config)
        } throws: { error in
            (error as? NightlyStateError).map { "\($0)".contains("empty (0 bytes)") } ?? false
        }
        #expect(try FileManager.default.attributesOfItem(atPath: state)[.size] as? Int == 0)
        let (status, stderr) = try runTool(["nightly", "--quiet", "--state", state, "--out", dir.file("cli"), log])
        #expect(status == 1)
        #expect(stderr.contains("not a distill-detect nightly state file (it is empty (0 bytes)"), "\(stderr)")
        // A new state is made whole under another name and renamed into place.
        config.statePath = dir.file("new/state.sqlite")
        _ = try NightlyRun.run(paths: [log], outputDirectory: dir.file("out2"), config: config)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("new")).sorted() == ["state.sqlite", "state.sqlite.lock"])
    }

    @Test("evaluate reads back the ids that accounts.csv neutralises (=, +, -, @, ')")
    func evaluateReadsNeutralisedIDs() throws {
        let dir = try TemporaryDirectory()
        let ids = ["=HYPERLINK(\"x\")", "+1555", "-acct", "@admin", "'quoted", "''twice", "\tTab", "plain", "'=both"]
        let accounts = dir.file("accounts.csv")
        try CSVWriter.write(
            path: accounts, header: ["cluster_id", "account_id"], rows: ids.map { [.text("C0001"), .text($0)] })
        let labels = "account_id,campaign_id,kind\n" + ids.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\",camp1,campaign" }.joined(separator: "\n") + "\n"
        try labels.write(toFile: dir.file("labels.csv"), atomically: true, encoding: .utf8)
        let result = try Evaluation.run(labelsPath: dir.file("labels.csv"), accountsPath: accounts)
        #expect(result.unlabelledFlagged == 0)
        #expect(result.truePositives == ids.count)
        #expect(result.recall == 1)
        // Every text survives writing and reading back.
        for id in ids {
            let cell = try #require(CSVReader.rows(CSVField.text(id).encoded + "\n").first?.first)
            #expect(CSVField.readBack(cell) == id)
        }
    }
}

@Suite("Repeated keys")
struct RepeatedKeyTests {
    @Test("a key given twice: the last value counts, as JSONSerialization reads it (dupkeys.jsonl)")
    func lastValueWins() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.writeGzip("dupkeys.jsonl.gz", members: [try reliabilityFixture("dupkeys.jsonl")])
        let (_, collectors) = try scan([log])
        #expect(collectors.flatMap(\.accounts) == ["SECOND"])
        let line = try reliabilityFixture("dupkeys.jsonl").split(separator: 0x0A).map(Array.init)[0]
        guard case .accepted(let reference) = ReferenceDecoder.decode(line, sources: FieldSources(), plausibleTimes: Int64.min...Int64.max) else {
            Issue.record("reference rejected the line")
            return
        }
        #expect(reference.strings[.accountID] == "SECOND")
    }
}

/// Every file of an output directory, by name (nil when the directory is missing).
func outputSet(_ directory: String) throws -> [String: Data]? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
    var set: [String: Data] = [:]
    for name in names { set[name] = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name))) }
    return set
}

/// Entries next to `directory` that belong to it (staging directories, sets set aside).
func siblings(of directory: String) throws -> [String] {
    let parent = (directory as NSString).deletingLastPathComponent
    let name = (directory as NSString).lastPathComponent
    return try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.hasPrefix(".\(name).") }.sorted()
}

/// Starts the built tool paused at `point`, waits until `reached(pid)` says it sits there, and
/// sends `signal`. Spawned with SIGINT and SIGTERM at their defaults and no signal blocked (a
/// test runner may ignore or block them, and both survive exec).
func interruptTool(_ arguments: [String], at point: String, signal: Int32, until reached: (pid_t) -> Bool) throws {
    let binary = try #require(builtExecutable())
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    posix_spawnattr_setsigmask(&attributes, &unblocked)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var environment = ProcessInfo.processInfo.environment
    environment["DISTILL_DETECT_TEST_PAUSE"] = "\(point):60"
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    #expect(posix_spawn(&pid, binary, &actions, &attributes, argv, envp) == 0)
    let deadline = Date().addingTimeInterval(50)
    var status: Int32 = 0
    while !reached(pid) && Date() < deadline && waitpid(pid, &status, WNOHANG) == 0 { Thread.sleep(forTimeInterval: 0.02) }
    Thread.sleep(forTimeInterval: 0.3)
    #expect(kill(pid, 0) == 0, "\(point): the run should sit at its pause point")
    kill(pid, signal)
    #expect(waitpid(pid, &status, 0) == pid)
    #expect(status & 0x7F == signal, "\(point): ended by signal \(signal), status \(status)")
}

@Suite("Outputs as a set")
struct OutputSetTests {
    @Test("--out naming a file (an input log, the state database) is refused and the file kept")
    func outNamingAFile() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.writeGzip("day.jsonl.gz", members: [try reliabilityFixture("zerohash_ids.jsonl")])
        let before = try Data(contentsOf: URL(fileURLWithPath: log))
        #expect(throws: OutputSetError.notADirectory(path: log, kind: "a file")) {
            _ = try AnalyzeRun.run(paths: [log], outputDirectory: log, config: hostileAnalyzeConfig())
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: log)) == before)
        // A link to the file is refused the same way.
        let link = dir.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: log)
        #expect(throws: OutputSetError.self) {
            _ = try AnalyzeRun.run(paths: [log], outputDirectory: link, config: hostileAnalyzeConfig())
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: log)) == before)
        // nightly with --out naming its own state: refused, the state untouched.
        var nightly = NightlyConfig()
        nightly.statePath = dir.file("state.sqlite")
        nightly.analyze = hostileAnalyzeConfig()
        _ = try NightlyRun.run(paths: [log], outputDirectory: dir.file("out"), config: nightly)
        let state = try Data(contentsOf: URL(fileURLWithPath: dir.file("state.sqlite")))
        #expect(throws: OutputSetError.self) {
            _ = try NightlyRun.run(paths: [log], outputDirectory: dir.file("state.sqlite"), config: nightly)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("state.sqlite"))) == state)
    }

    @Test("a run replaces the whole set: stale files of the other format and dead runs' leftovers go")
    func wholeSetReplaced() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.writeGzip("a.jsonl.gz", members: [try reliabilityFixture("zerohash_ids.jsonl")])
        let out = dir.file("out")
        var json = hostileAnalyzeConfig()
        json.json = true
        _ = try AnalyzeRun.run(paths: [log], outputDirectory: out, config: json)
        #expect(try outputSet(out)?.keys.sorted() == ["accounts.csv", "accounts.json", "candidates.csv", "clusters.csv", "clusters.json", "report.html", "summary.json"])
        // Leftovers of a run that died: a staging directory beside, a temporary file inside.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let pid = dead.processIdentifier
        try dir.write(".out.tmp-\(pid)-1/clusters.csv", text: "stale")
        try dir.write("out/.clusters.csv.tmp-\(pid)", text: "stale")
        _ = try AnalyzeRun.run(paths: [log], outputDirectory: out, config: hostileAnalyzeConfig())
        #expect(try outputSet(out)?.keys.sorted() == ["accounts.csv", "candidates.csv", "clusters.csv", "report.html", "summary.json"])
        #expect(try siblings(of: out) == [])
        // A directory holding files that are not ours is refused, not swapped away.
        try dir.write("mine/notes.txt", text: "keep me")
        #expect(throws: OutputSetError.self) { try AnalyzeRun.run(paths: [log], outputDirectory: dir.file("mine"), config: hostileAnalyzeConfig()) }
        #expect(try outputSet(dir.file("mine")) == ["notes.txt": Data("keep me".utf8)])
    }

    @Test("a single-file output (features --out, --save-state) removes the temporary files of dead runs")
    func singleFileLeftovers() throws {
        let dir = try TemporaryDirectory()
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try dir.write(".features.csv.tmp-\(dead.processIdentifier)", text: "half a table")
        try dir.write(".features.csv.tmp-\(getpid() == 1 ? 2 : 1)", text: "a live process's (pid 1): kept")
        try AtomicFile.write(Data("a,b\n".utf8), to: dir.file("features.csv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [".features.csv.tmp-1", "features.csv"])
    }

    @Test("SIGKILL or SIGINT while analyze reads, detects, writes or swaps leaves the previous set whole", .timeLimit(.minutes(10)))
    func analyzeInterrupted() throws {
        let dir = try TemporaryDirectory()
        let days = SevenDays.shared
        let out = dir.file("out")
        #expect(try runTool(["analyze", "--quiet", "--out", out, days.files[0]]).status == 0)
        let previous = try #require(try outputSet(out))
        for (point, signal) in [("analyze-detect", SIGKILL), ("analyze-write", SIGKILL), ("analyze-swap", SIGKILL), ("analyze-swap", SIGINT)] {
            try interruptTool(["analyze", "--quiet", "--format", "json", "--out", out, days.files[0], days.files[1]], at: point, signal: signal) { pid in
                // analyze-detect: reading takes well under the pause; the others: its staging
                // directory exists, and at analyze-swap it holds all six files.
                guard point != "analyze-detect" else { return true }
                guard let staging = try? siblings(of: out).first(where: { $0.hasPrefix(".out.tmp-\(pid)-") }) else { return false }
                return point == "analyze-write" || (try? outputSet(dir.file(staging)))??.count == 6
            }
            #expect(try outputSet(out) == previous, "\(point) \(signal)")
        }
        // The next run removes the dead runs' staging directories and puts its whole set in place.
        #expect(try runTool(["analyze", "--quiet", "--out", out, days.files[1]]).status == 0)
        #expect(try siblings(of: out) == [])
        #expect(try outputSet(out)?.keys.sorted() == ["accounts.csv", "candidates.csv", "clusters.csv", "report.html", "summary.json"])
        #expect(try outputSet(out) != previous)
    }

    @Test("a full disk while writing leaves the previous set whole (writes limited with ulimit -f)")
    func analyzeDiskFull() throws {
        let dir = try TemporaryDirectory()
        let days = SevenDays.shared
        let out = dir.file("out")
        #expect(try runTool(["analyze", "--quiet", "--out", out, days.files[0]]).status == 0)
        let previous = try #require(try outputSet(out))
        let binary = try #require(builtExecutable())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // SIGXFSZ ignored: a write past the limit fails with EFBIG, as on a full disk.
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f 8; exec \"$0\" analyze --quiet --out \"$1\" \"$2\"", binary, out, days.files[1]]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(try outputSet(out) == previous)
        #expect(try siblings(of: out) == [])
    }

    @Test("nightly: killed before its outputs are in place, both outputs and state stay as they were", .timeLimit(.minutes(10)))
    func nightlyInterruptedBeforeSwap() throws {
        let dir = try TemporaryDirectory()
        let days = SevenDays.shared
        let state = dir.file("state.sqlite")
        let out = dir.file("out")
        #expect(try runTool(["nightly", "--quiet", "--state", state, "--out", out, days.files[0]]).status != 1)
        let previous = try #require(try outputSet(out))
        let stateBefore = try Data(contentsOf: URL(fileURLWithPath: state))
        try interruptTool(["nightly", "--quiet", "--state", state, "--out", out, days.files[1]], at: "nightly-swap", signal: SIGKILL) { pid in
            guard let staging = try? siblings(of: out).first(where: { $0.hasPrefix(".out.tmp-\(pid)-") }) else { return false }
            return (try? outputSet(dir.file(staging)))??.count == 5
        }
        #expect(try outputSet(out) == previous)
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)) == stateBefore)
    }

    @Test("nightly whose state commit fails exits 1 and its summary.json says so")
    func nightlyCommitFails() throws {
        let dir = try TemporaryDirectory()
        let days = SevenDays.shared
        let state = dir.file("state.sqlite")
        var config = NightlyConfig()
        config.statePath = state
        config.analyze.scan.threads = 2
        _ = try NightlyRun.run(paths: [days.files[0]], outputDirectory: dir.file("n0"), config: config)
        // Another connection holds the write lock: the commit fails (SQLITE_BUSY).
        let blocker = try DatabaseQueue(path: state)
        try blocker.inDatabase { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            #expect(throws: (any Error).self) {
                try NightlyRun.run(paths: [days.files[1]], outputDirectory: dir.file("n1"), config: config)
            }
            try db.execute(sql: "ROLLBACK")
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("n1/summary.json")))) as? [String: Any]
        #expect(summary?["exit_code"] as? Int == 1)
        #expect((summary?["state_error"] as? String)?.contains("state not committed") == true)
    }
}
