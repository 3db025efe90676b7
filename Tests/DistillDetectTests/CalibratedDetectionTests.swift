import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("Calibrated detection")
struct CalibratedDetectionTests {
    /// A careful campaign made by other hands (the handed case `detection/proxy-paraphrase`):
    /// paraphrased templates through a residential proxy pool that ordinary users also sit in,
    /// a quarter filler, unequal volumes, no shared cards, beside users who habitually ask for
    /// step-by-step reasoning. Expected: the campaign alone, as one cluster.
    @Test("proxy-paraphrase: the campaign is one cluster, no benign or step-by-step-habit account is flagged")
    func proxyParaphrase() throws {
        let dir = try TemporaryDirectory()
        let cases = fixtures.appendingPathComponent("cases/proxy-paraphrase")
        let summary = try AnalyzeRun.run(
            paths: [cases.appendingPathComponent("logs").path], outputDirectory: dir.file("out"), config: AnalyzeConfig())
        let result = try Evaluation.run(
            labelsPath: cases.appendingPathComponent("labels.csv").path, accountsPath: dir.file("out/accounts.csv"))
        print("proxy-paraphrase: \(Evaluation.render(result))")
        #expect(result.f1 >= 0.95)
        #expect(result.falsePositives == 0)
        #expect(result.lookAlikesFlagged.isEmpty)
        #expect(result.campaigns.count == 1)
        #expect((result.campaigns.first?.clusters ?? 0) == 1)
        #expect((result.campaigns.first?.largestClusterShare ?? 0) >= 0.9)
        #expect(summary.detection?.clustersReported == 1)
        // Near misses are listed with each family's evidence, the reported one among them.
        let candidates = try CSVReader.records(path: dir.file("out/candidates.csv"))
        #expect(candidates.count == summary.detection?.clustersScored)
        #expect(candidates.filter { $0["reported"] == "yes" }.count == 1)
        #expect(candidates.allSatisfy { ($0["verdict"] ?? "").hasPrefix($0["reported"] == "yes" ? "reported" : "not reported") })
    }

    @Test("the family level makes the expected number of false clusters the configured one")
    func familyLevel() {
        var config = DetectionConfig()
        config.maxFalseClusters = 0.01
        config.requiredFamilies = 2
        // C(5,2) = 10 pairs of families, 20 candidates: 200 α² = 0.01.
        let level = ClusterScoring.familyLevel(candidates: 20, config: config)
        #expect(abs(200 * level * level - 0.01) < 1e-12)
        // More candidates, a stricter level; more false clusters allowed, a looser one.
        #expect(ClusterScoring.familyLevel(candidates: 200, config: config) < level)
        config.maxFalseClusters = 1
        #expect(ClusterScoring.familyLevel(candidates: 20, config: config) > level)
    }

    /// Groups drawn at random from a population are what the null model describes: their
    /// family p-values must not be small more often than the level says.
    @Test("random groups of a population are significant no more often than their level")
    func nullCalibration() throws {
        let dir = try TemporaryDirectory()
        let config = generatorConfig(exchanges: 20_000, days: 7, seed: 41, campaigns: [], lookalikes: false)
        _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
        let features = FeatureRun.run(
            inputs: try InputDiscovery.expand([dir.file("logs")]), options: ScanOptions(), taxonomy: .builtIn)
        let accounts = features.accounts
        let index = PopulationIndex(accounts, taxonomy: .builtIn, rarity: VocabularyRarity(accounts))
        var detection = DetectionConfig()
        detection.nullSamples = 100
        var rng = SeededRandom(seed: 42)
        let groups = 60
        var small = [Int](repeating: 0, count: EvidenceFamily.allCases.count)
        for _ in 0..<groups {
            var members = Set<Int>()
            while members.count < 20 { members.insert(rng.int(0..<accounts.count)) }
            let evidence = NullModel.evidence(for: members.sorted(), index: index, config: detection, level: 0.05)
            for e in evidence where e.available && e.pValue <= 0.05 { small[e.family.rawValue] += 1 }
        }
        // At most 5% expected; 8 of 60 (13%) would be far out for a calibrated test.
        for family in EvidenceFamily.allCases {
            #expect(small[family.rawValue] <= 7, "\(family.name): \(small[family.rawValue]) of \(groups) random groups at p <= 0.05")
        }
    }

    /// The index keeps synchrony sketches densified (a sketch of one filled bin as its value
    /// alone) and compares them 16 bins at a time: the counts must be those of the densified
    /// sketches compared bin by bin.
    @Test("the index's synchrony agreement counts the bins on which two densified sketches agree")
    func synchronyAgreement() throws {
        let accounts = try generatedAccounts(exchanges: 20_000, days: 3, seed: 48)
        let index = PopulationIndex(accounts, taxonomy: .builtIn, rarity: VocabularyRarity(accounts))
        #expect(accounts.indices.allSatisfy { index.hasSynchrony($0) == !accounts[$0].synchronySketch.isEmpty })
        let timed = accounts.indices.filter { index.hasSynchrony($0) }
        let rows = timed.map { accounts[$0].synchronySketch.densified() }
        var filled = [Int](repeating: 0, count: timed.count)
        for (k, i) in timed.enumerated() { accounts[i].synchronySketch.forEachFilledBin { _, _ in filled[k] += 1 } }
        // Both forms of row are exercised: one filled bin, and more.
        #expect(filled.contains(1) && filled.contains { $0 > 1 })
        var rng = SeededRandom(seed: 49)
        var wrong = 0
        var partial = 0
        // Random pairs, each account with itself, and neighbours (campaign accounts come in runs).
        let pairs = (0..<3000).map { _ in (rng.int(0..<timed.count), rng.int(0..<timed.count)) }
            + timed.indices.map { ($0, $0) } + timed.indices.dropFirst().map { ($0 - 1, $0) }
        for (x, y) in pairs {
            let reference = zip(rows[x], rows[y]).filter { $0 == $1 }.count
            if index.synchronyAgreement(timed[x], timed[y]) != reference { wrong += 1 }
            if reference > 0 && reference < AccountState.synchronyBins { partial += 1 }
        }
        #expect(wrong == 0)
        #expect(partial > 20, "\(partial) pairs agreeing on some bins but not all")
    }

    @Test("teacher prompts that generate training data are an extraction target")
    func syntheticDataTopic() throws {
        let taxonomy = CompiledTaxonomy.builtIn
        let names = taxonomy.topicNames
        let topic = try #require(names.firstIndex(of: "synthetic_data_generation"))
        #expect(taxonomy.taxonomy.topics[topic].extractionTarget)
        var analyzer = PromptAnalyzer(taxonomy: taxonomy)
        var bytes = Array("You are asked to come up with a set of 25 diverse questions about photosynthesis. Please follow these guiding principles when generating responses and output them as question and answer pairs for our training data.".utf8)
        bytes.withUnsafeMutableBytes { analyzer.analyze(UnsafeRawBufferPointer($0)) }
        #expect(analyzer.features.topic == topic)
    }

    /// Ordinary people who share text and topics and nothing else: students of several classes
    /// on their own connections, passing around one problem set of coding homework, each at
    /// their own hours, with their own cards, accounts opened months apart and unequal volumes.
    /// Their prompts link them into a content cluster whose content (templates used only among
    /// them) and capability (coding) both stand out against random groups; but the cluster was
    /// selected on that text, so the two count as one family, and nothing beyond the text ties
    /// them together.
    /// Coding exercises and languages of the text-only communities below.
    static let homeworkTasks = [
        "binary search", "a hash map with chaining", "merge sort", "Dijkstra's shortest path", "a trie for prefix lookups",
        "an LRU cache", "topological sort", "a min-heap priority queue", "union-find with path compression",
        "quicksort with a random pivot",
    ]
    static let homeworkLanguages = ["Python", "Java", "C", "Rust", "Go", "Kotlin", "TypeScript", "Haskell"]

    /// A directory holding seven generated days of ordinary traffic (no campaign, no
    /// look-alike) under `logs/background`.
    static func background(seed: UInt64) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let config = generatorConfig(exchanges: 20_000, days: 7, seed: seed, campaigns: [], lookalikes: false)
        _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs/background"))
        return dir
    }

    @Test("a community sharing text and topics but nothing else is a candidate, not a reported cluster")
    func textOnlyCommunity() throws {
        let dir = try Self.background(seed: 43)
        let tasks = Self.homeworkTasks
        let languages = Self.homeworkLanguages
        var rng = SeededRandom(seed: 44)
        var lines: [String] = []
        let start: Int64 = 1_776_643_200_000  // 2026-04-20T00:00:00Z, the background's first day
        for student in 0..<48 {
            let created = Timestamp.format(milliseconds: start - Int64(20 + student * 7) * 86_400_000 - Int64(student) * 3_911_000)
            // Each their own hours of the day and their own browser.
            let hour = Int64(student * 5 % 24)
            let agent = "Mozilla/5.0 (\(["X11; Linux x86_64", "Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 14_\(student % 7)"][student % 3])) Firefox/\(110 + student)"
            for i in 0..<(24 + student * 5 % 37) {
                let task = tasks[rng.int(0..<tasks.count)]
                let language = languages[rng.int(0..<languages.count)]
                let day = Int64(rng.int(0..<7))
                let ts = Timestamp.format(milliseconds: start + day * 86_400_000 + hour * 3_600_000 + Int64(rng.int(0..<3_600_000)))
                let prompt = "For my data structures homework, implement \(task) in \(language), write unit tests for it and explain the time complexity of every operation."
                lines.append("{\"ts\":\"\(ts)\",\"request_id\":\"hw\(student)-\(i)\",\"account_id\":\"student\(student)\",\"ip\":\"81.\(20 + student).\(3 * student % 250).\(10 + i % 3)\",\"user_agent\":\"\(agent)\",\"model\":\"frontier-large-4\",\"payment_fingerprint\":\"pm_hw\(student)\",\"account_created\":\"\(created)\",\"prompt\":\"\(prompt)\"}")
            }
        }
        try dir.write("logs/homework.jsonl", text: lines.joined(separator: "\n"))
        let summary = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: AnalyzeConfig())
        let candidates = try CSVReader.records(path: dir.file("out/candidates.csv"))
        let community = try #require(candidates.first { ($0["first_accounts"] ?? "").contains("student") })
        print("text-only community: \(community["accounts"] ?? "") accounts, \(community["significant_families"] ?? ""): \(community["verdict"] ?? "")")
        // The text stands out: what the old rule would have reported on.
        #expect(community["significant_families"] == "content capability")
        #expect(community["reported"] == "no")
        #expect(summary.detection?.accountsFlagged == 0)
    }

    /// Classes at four campuses working through one problem set: each class behind its campus
    /// NAT at class time (so its students act in the same 10-minute buckets from one address),
    /// each student also at home. No address holds half the students, so the one-site rule does
    /// not see them; their content, capability, shared networks and synchrony all stand out.
    @Test("classes at several campus NATs sharing homework are people at several sites, not a campaign")
    func classesAtSeveralSites() throws {
        let dir = try Self.background(seed: 45)
        let tasks = Self.homeworkTasks
        let languages = Self.homeworkLanguages
        var rng = SeededRandom(seed: 46)
        var lines: [String] = []
        let start: Int64 = 1_776_643_200_000  // 2026-04-20T00:00:00Z
        for student in 0..<48 {
            let campus = student % 4
            let created = Timestamp.format(milliseconds: start - Int64(30 + student * 5) * 86_400_000)
            for i in 0..<40 {
                let task = tasks[rng.int(0..<tasks.count)]
                let language = languages[rng.int(0..<languages.count)]
                let day = Int64(i % 5)
                let atClass = i % 4 != 3
                let hour: Int64 = atClass ? Int64(9 + 2 * campus) : 21
                let ts = Timestamp.format(milliseconds: start + day * 86_400_000 + hour * 3_600_000 + Int64(rng.int(0..<(atClass ? 480_000 : 3_600_000))))
                let ip = atClass ? "198.51.\(100 + campus).7" : "81.\(40 + student).\(student * 7 % 250).9"
                let prompt = "For my data structures homework, implement \(task) in \(language), write unit tests for it and explain the time complexity of every operation."
                lines.append("{\"ts\":\"\(ts)\",\"request_id\":\"lab\(student)-\(i)\",\"account_id\":\"pupil\(student)\",\"ip\":\"\(ip)\",\"user_agent\":\"Mozilla/5.0\",\"model\":\"frontier-large-4\",\"payment_fingerprint\":\"pm_lab\(student)\",\"account_created\":\"\(created)\",\"prompt\":\"\(prompt)\"}")
            }
        }
        try dir.write("logs/classes.jsonl", text: lines.joined(separator: "\n"))
        let summary = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: AnalyzeConfig())
        let candidates = try CSVReader.records(path: dir.file("out/candidates.csv"))
        let classes = candidates.filter { ($0["first_accounts"] ?? "").contains("pupil") }
        for c in classes { print("classes: \(c["accounts"] ?? "") accounts, \(c["significant_families"] ?? ""): \(c["verdict"] ?? "")") }
        // Their evidence is strong: what an exculpation must answer, here the several sites.
        #expect(classes.contains {
            ($0["significant_families"] ?? "").split(separator: " ").count >= 3 && ($0["verdict"] ?? "").contains("people at several sites")
        })
        #expect(classes.allSatisfy { $0["reported"] == "no" })
        #expect(summary.detection?.accountsFlagged == 0)
    }

    @Test("with no campaign in the traffic, no cluster is reported over five seeds")
    func falseClusters() throws {
        var reported = 0
        for seed in UInt64(51)...55 {
            let (result, _) = try runScenario(campaigns: [], exchanges: 20_000, seed: seed)
            reported += result.flagged > 0 ? 1 : 0
        }
        // The default level expects 0.01 false clusters a run: 0.05 over five runs.
        #expect(reported == 0)
    }
}

@Suite("Taxonomy limits")
struct TaxonomyLimitTests {
    @Test("a taxonomy with hundreds of chain-of-thought markers compiles and still finds them", .timeLimit(.minutes(10)))
    func manyMarkers() {
        var taxonomy = Taxonomy.builtIn
        // Words only (numbers are masked in prompts): "reason marker baa", "reason marker bab", ...
        func word(_ n: Int) -> String { String((0..<3).map { Character(UnicodeScalar(UInt8(97 + (n / [676, 26, 1][$0]) % 26))) }) }
        taxonomy.chainOfThoughtMarkers += (0..<600).map { "reason marker b\(word($0))" }
        let compiled = CompiledTaxonomy(taxonomy)
        var analyzer = PromptAnalyzer(taxonomy: compiled)
        var bytes = Array("Please use reason marker b\(word(599)) when you answer: what is 2 + 2?".utf8)
        bytes.withUnsafeMutableBytes { analyzer.analyze(UnsafeRawBufferPointer($0)) }
        #expect(analyzer.features.chainOfThought)
    }
}
