// State as a partitioned artefact: build per split, merge per partition, detect from state;
// the outputs must be those of `analyze` however the records were split.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// The committed sample logs (seven days, one file each).
let sampleLogFiles: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-logs").path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix(".jsonl.gz") }.sorted().map { dir + "/" + $0 }
}()

@Suite("Partitioned state")
struct StatePartitionTests {
    /// One split's partition files, as `state build` writes them.
    static func build(_ paths: [String], split: String, partitions: Int, threads: Int = 2) throws -> [AccountStateFile] {
        var options = ScanOptions()
        options.threads = threads
        let run = FeatureRun.run(inputs: try InputDiscovery.expand(paths), options: options, taxonomy: .builtIn, keepContent: true)
        return StatePartitions.split(
            accounts: run.accounts, topicNames: run.topicNames, tally: ScanTally(run.report), splitName: split, count: partitions)
    }

    /// Splits `files` into `count` groups, round-robin.
    static func groups(_ files: [String], _ count: Int) -> [[String]] {
        (0..<count).map { g in files.indices.filter { $0 % count == g }.map { files[$0] } }
    }

    @Test("merging is exact and order-free: any grouping and order of the split files gives the same bytes")
    func mergeIsAMonoid() throws {
        let files = sampleLogFiles
        try #require(files.count == 7)
        let splits = try files.enumerated().map { try Self.build([$1], split: "s\($0)", partitions: 3) }
        var results: [[UInt8]] = []
        for order in [Array(0..<7), [6, 2, 4, 0, 5, 1, 3], [3, 0, 6, 5, 4, 2, 1]] {
            // Per partition, in `order`; once flat, once as a merge of two partial merges.
            var parts: [AccountStateFile] = []
            for p in 0..<3 {
                let files = order.map { splits[$0][p] }
                let names = order.map { "split \($0) part \(p)" }
                let flat = try StatePartitions.merge(files, paths: names)
                let left = try StatePartitions.merge(Array(files.prefix(3)), paths: Array(names.prefix(3)))
                let right = try StatePartitions.merge(Array(files.dropFirst(3)), paths: Array(names.dropFirst(3)))
                let nested = try StatePartitions.merge([right, left], paths: ["right", "left"])
                #expect(flat.encoded() == nested.encoded())
                parts.append(flat)
            }
            let whole = try StatePartitions.merge(parts.reversed(), paths: ["2", "1", "0"])
            results.append(whole.encoded())
        }
        #expect(results.allSatisfy { $0 == results[0] })
        // And the whole equals one scan of every file at once, tally included.
        let once = try Self.build(files, split: "all", partitions: 1)[0]
        let merged = try AccountStateFile.decode(results[0], path: "merged")
        #expect(merged.accounts == once.accounts)
        let (m, o) = (try #require(merged.tally).report, try #require(once.tally).report)
        #expect(m.inputs == o.inputs)
        #expect(m.samples == o.samples)
        #expect(m.fieldCounts == o.fieldCounts)
        #expect((m.accepted, m.rejectedByReason, m.recordsWithPrompt, m.repairedStrings) == (o.accepted, o.rejectedByReason, o.recordsWithPrompt, o.repairedStrings))
        #expect((m.outOfRangeValues, m.invalidValues, m.firstTimestamp, m.lastTimestamp) == (o.outOfRangeValues, o.invalidValues, o.firstTimestamp, o.lastTimestamp))
        #expect(m.promptValues.serialized == o.promptValues.serialized, "short-prompt tallies differ")
        #expect(try #require(merged.tally) == (try #require(once.tally)))
        #expect(m.commonestPromptRecords == o.commonestPromptRecords)
        #expect(merged.splits == (0..<7).map { "s\($0)" })
    }

    @Test("detect from state writes analyze's clusters.csv and accounts.csv for 1, 2 and 7 splits and 1 and 4 partitions",
          .timeLimit(.minutes(10)))
    func detectMatchesAnalyze() throws {
        let dir = try TemporaryDirectory()
        var config = AnalyzeConfig()
        config.scan.threads = 2
        let analyzed = try AnalyzeRun.run(paths: sampleLogFiles, outputDirectory: dir.file("analyze"), config: config)
        let expected = try ["clusters.csv", "accounts.csv"].map { try Data(contentsOf: URL(fileURLWithPath: dir.file("analyze/\($0)"))) }
        #expect(expected[0].count > 200, "the sample has reported clusters")
        for splits in [1, 2, 7] {
            for partitions in [1, 4] {
                let stateDir = dir.file("state-\(splits)-\(partitions)")
                try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
                for (g, group) in Self.groups(sampleLogFiles, splits).enumerated() {
                    for file in try Self.build(group, split: "g\(g)", partitions: partitions, threads: 1 + g % 2) {
                        try file.write(to: "\(stateDir)/g\(g)-\(file.partition.fileName)")
                    }
                }
                let state = try StatePartitions.read([stateDir], expectedTopics: CompiledTaxonomy.builtIn.topicNames)
                let out = dir.file("detect-\(splits)-\(partitions)")
                let summary = try AnalyzeRun.detect(
                    StatePartitions.features(from: state), skippedFiles: [], command: "detect", outputDirectory: out, config: config)
                #expect(summary.recordsAccepted == analyzed.recordsAccepted)
                #expect(summary.recordsRejected == analyzed.recordsRejected)
                for (k, name) in ["clusters.csv", "accounts.csv"].enumerated() {
                    let got = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(name)"))
                    #expect(got == expected[k], "\(name) differs for \(splits) splits and \(partitions) partitions")
                }
            }
        }
    }

    @Test("a missing partition, a split counted twice or missing from one partition, and a corrupt file are refused by name")
    func incompleteStateIsRefused() throws {
        let dir = try TemporaryDirectory()
        let a = try Self.build(Array(sampleLogFiles.prefix(2)), split: "a", partitions: 3)
        let b = try Self.build(Array(sampleLogFiles.suffix(2)), split: "b", partitions: 3)
        for name in ["a", "b", "copy", "empty"] { try FileManager.default.createDirectory(atPath: dir.file(name), withIntermediateDirectories: true) }
        for (name, files) in [("a", a), ("b", b)] {
            for f in files { try f.write(to: dir.file("\(name)/\(f.partition.fileName)")) }
        }
        let topics = CompiledTaxonomy.builtIn.topicNames
        // Complete: both splits' three partitions.
        #expect(try StatePartitions.read([dir.file("a"), dir.file("b")], expectedTopics: topics).splits == ["a", "b"])
        // Partition 1 of split b missing: partitions then hold different splits.
        try FileManager.default.removeItem(atPath: dir.file("b/part-00001-of-00003.ddstate"))
        do {
            _ = try StatePartitions.read([dir.file("a"), dir.file("b")], expectedTopics: topics)
            Issue.record("missing split partition accepted")
        } catch let error as StateFileError {
            #expect(error.description.contains("a split's partition file is missing"))
            #expect(error.description.contains("part-00001-of-00003.ddstate"))
        }
        // A partition missing altogether.
        do {
            _ = try StatePartitions.read([dir.file("a/part-00000-of-00003.ddstate"), dir.file("a/part-00002-of-00003.ddstate")], expectedTopics: topics)
            Issue.record("missing partition accepted")
        } catch let error as StateFileError {
            #expect(error.description.contains("part-00001-of-00003.ddstate: partition 1 of 3 is missing"))
        }
        // The same split twice.
        try a[0].write(to: dir.file("copy/part-00000-of-00003.ddstate"))
        do {
            _ = try StatePartitions.read([dir.file("a/part-00000-of-00003.ddstate"), dir.file("copy")], expectedTopics: topics)
            Issue.record("split counted twice accepted")
        } catch let error as StateFileError {
            #expect(error.description.contains("split a is in both"))
        }
        // A corrupt byte.
        var bytes = a[2].encoded()
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("a/part-00002-of-00003.ddstate")))
        #expect(throws: StateFileError.corrupt(path: dir.file("a/part-00002-of-00003.ddstate"), offset: AccountStateFile.headerSize, reason: "checksum mismatch")) {
            _ = try StatePartitions.read([dir.file("a")], expectedTopics: topics)
        }
        // A directory without state files, and a path that is not there.
        #expect(throws: StateFileError.self) { _ = try StatePartitions.read([dir.file("empty")], expectedTopics: topics) }
        #expect(throws: StateFileError.unreadable(path: dir.file("nothing"), reason: "no such file or directory")) {
            _ = try StatePartitions.read([dir.file("nothing")], expectedTopics: topics)
        }
    }

    @Test("candidate pairs from grouping the accounts' linkage keys outside give the clusters of in-process linkage")
    func keysGroupedOutside() throws {
        var options = ScanOptions()
        options.threads = 2
        let run = FeatureRun.run(inputs: try InputDiscovery.expand(sampleLogFiles), options: options, taxonomy: .builtIn)
        let config = DetectionConfig()
        // Keys of two partitions apart, grouped by (source, key) as the Spark job groups them.
        var buckets: [String: [String]] = [:]
        for p in 0..<2 {
            let part = run.accounts.filter { StatePartition.of(accountID: $0.accountID, count: 2) == p }
            for line in LinkageKeys.keyLines(part, options: config).dropFirst() {
                let fields = line.split(separator: "\t")
                buckets["\(fields[0])\t\(fields[1])", default: []].append(String(fields[2]))
            }
        }
        var pairLines = [LinkageKeys.parameterLine(config)]
        for (key, ids) in buckets.sorted(by: { $0.key < $1.key }) where ids.count >= 2 {
            let source = key.split(separator: "\t")[0]
            pairLines += try LinkageKeys.pairLines(bucket: Substring("\(source)\t[\(ids.reversed().joined(separator: ","))]"))
        }
        let dir = try TemporaryDirectory()
        let path = try dir.write("pairs.tsv", text: pairLines.joined(separator: "\n") + "\n")
        let candidates = try LinkageKeys.readPairs([path], accounts: run.accounts, options: config, contentDropped: false)
        #expect(!candidates.content.isEmpty && !candidates.synchrony.isEmpty)
        let inProcess = CampaignDetection.run(accounts: run.accounts, taxonomy: .builtIn, options: config)
        let outside = CampaignDetection.run(accounts: run.accounts, taxonomy: .builtIn, options: config, candidates: candidates)
        #expect(outside.links == inProcess.links && outside.synchronyLinks == inProcess.synchronyLinks)
        #expect(outside.reported.map(\.members) == inProcess.reported.map(\.members))
        #expect(outside.candidates.map(\.members) == inProcess.candidates.map(\.members))
        // No pairs at all: not the same (the pairs are what links).
        let none = try dir.write("none.tsv", text: LinkageKeys.parameterLine(config) + "\n")
        let empty = try LinkageKeys.readPairs([none], accounts: run.accounts, options: config, contentDropped: false)
        #expect(CampaignDetection.run(accounts: run.accounts, taxonomy: .builtIn, options: config, candidates: empty).links == 0)
        // Pairs found under other parameters are refused.
        var other = config
        other.bands = 20
        #expect(throws: StateFileError.self) { _ = try LinkageKeys.readPairs([path], accounts: run.accounts, options: other, contentDropped: false) }
    }

    @Test("account ids of any text survive key and pair lines")
    func idsInLines() throws {
        let ids = ["plain_1", "tab\there", "quote\"and\\slash/", "ünï©ødé", "new\nline", "comma,inside", "[bracket]"]
        for id in ids {
            #expect(LinkageKeys.unquoted(Substring(LinkageKeys.quoted(id))) == id)
        }
        let bucket = "band\t[" + ids.map(LinkageKeys.quoted).joined(separator: ",") + "]"
        let pairs = try LinkageKeys.pairLines(bucket: Substring(bucket))
        #expect(pairs.count == ids.count * (ids.count - 1) / 2)
        let seen = Set(pairs.flatMap { $0.split(separator: "\t").dropFirst().compactMap { LinkageKeys.unquoted($0) } })
        #expect(seen == Set(ids))
        #expect(LinkageKeys.unquotedList("[\"a\",\"b\"]") == ["a", "b"])
        #expect(LinkageKeys.unquotedList("[\"a\",b]") == nil)
    }

    @Test("per-day state: detect merges the days; nightly --state-input commits a night as reading its logs does")
    func perDayStateAndNightly() throws {
        let dir = try TemporaryDirectory()
        var config = AnalyzeConfig()
        config.scan.threads = 2
        _ = try AnalyzeRun.run(paths: sampleLogFiles, outputDirectory: dir.file("analyze"), config: config)
        var options = ScanOptions()
        options.threads = 2
        for (g, group) in Self.groups(sampleLogFiles, 2).enumerated() {
            let run = FeatureRun.run(inputs: try InputDiscovery.expand(group), options: options, taxonomy: .builtIn, keepContent: true, byDay: true)
            try FileManager.default.createDirectory(atPath: dir.file("state/g\(g)"), withIntermediateDirectories: true)
            for file in StatePartitions.split(
                accounts: run.accounts, topicNames: run.topicNames, tally: ScanTally(run.report), splitName: "g\(g)", count: 3, byDay: true)
            {
                try file.write(to: dir.file("state/g\(g)/\(file.partition.fileName)"))
            }
        }
        let state = try StatePartitions.read([dir.file("state")], expectedTopics: CompiledTaxonomy.builtIn.topicNames)
        #expect(state.byDay && state.accounts.count > 453)
        _ = try AnalyzeRun.detect(StatePartitions.features(from: state), skippedFiles: [], command: "detect", outputDirectory: dir.file("detect"), config: config)
        for name in ["clusters.csv", "accounts.csv"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("detect/\(name)"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("analyze/\(name)"))))
        }
        var nightly = NightlyConfig()
        nightly.analyze = config
        nightly.statePath = dir.file("logs.sqlite")
        _ = try NightlyRun.run(paths: sampleLogFiles, outputDirectory: dir.file("night-logs"), config: nightly)
        nightly.statePath = dir.file("state.sqlite")
        nightly.stateInputs = [dir.file("state")]
        let first = try NightlyRun.run(paths: [], outputDirectory: dir.file("night-state"), config: nightly)
        #expect(first.nightly?.replay == false)
        for name in ["clusters.csv", "accounts.csv", "changes.csv"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("night-state/\(name)"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("night-logs/\(name)"))))
        }
        let again = try NightlyRun.run(paths: [], outputDirectory: dir.file("night-again"), config: nightly)
        #expect(again.nightly?.replay == true && again.nightly?.inputsSkipped.count == 1)
    }

    @Test("an account lands in the same partition on every run: a stable hash of its id")
    func stablePlacement() {
        #expect(StatePartition.of(accountID: "acct_00001", count: 1) == 0)
        let placed = (0..<1000).map { StatePartition.of(accountID: "acct_\($0)", count: 7) }
        #expect(placed == (0..<1000).map { StatePartition.of(accountID: "acct_\($0)", count: 7) })
        #expect(Set(placed).count == 7)
        #expect(StatePartition(index: 3, count: 8).fileName == "part-00003-of-00008.ddstate")
    }
}
