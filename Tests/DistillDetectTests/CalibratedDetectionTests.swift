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
    @Test("a taxonomy with hundreds of chain-of-thought markers compiles and still finds them", .timeLimit(.minutes(5)))
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
