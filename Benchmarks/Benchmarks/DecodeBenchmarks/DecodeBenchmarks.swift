// Ingest and decode: throughput and heap allocations per exchange.
import Benchmark
import DistillDetect
import DistillGenerate
import Foundation

/// Generated logs, decompressed once, split into lines.
final class Corpus: @unchecked Sendable {
    static let shared = Corpus()
    let directory: String
    let file: String
    let bytes: [UInt8]
    let lines: [Range<Int>]
    /// The prompts of the corpus, as UTF-8.
    let prompts: [[UInt8]]

    init() {
        directory = NSTemporaryDirectory() + "distill-detect-bench-\(getpid())"
        var config = GeneratorConfig()
        config.exchanges = 20_000
        config.days = 1
        config.seed = 3
        config.style = .mixed
        let result = try! SyntheticLogGenerator.run(config: config, outputDirectory: directory)
        file = directory + "/" + result.files[0]
        bytes = try! InputSource.file(file).readAllBytes()
        var ranges: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            ranges.append(start..<i)
            start = i + 1
        }
        lines = ranges
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        var texts: [[UInt8]] = []
        bytes.withUnsafeBytes { raw in
            for range in ranges where decoder.decode(UnsafeRawBufferPointer(rebasing: raw[range])) == nil {
                if let prompt = decoder.record.prompt { texts.append(Array(prompt.utf8)) }
            }
        }
        prompts = texts
    }
}

/// About 100,000 accounts' states for the linkage benchmark: generated (3.6M exchanges in one
/// day) and read once, then kept in a state file under the temp dir for later runs.
final class LargePopulation: @unchecked Sendable {
    static let shared = LargePopulation()
    let accounts: [AccountState]

    init() {
        let cache = NSTemporaryDirectory() + "distill-detect-bench-100k-v1.ddstate"
        if let file = try? AccountStateFile.read(path: cache, expectedTopics: CompiledTaxonomy.builtIn.topicNames) {
            accounts = file.accounts
            return
        }
        let directory = NSTemporaryDirectory() + "distill-detect-bench-100k-\(getpid())"
        var config = GeneratorConfig()
        config.exchanges = 3_600_000
        config.days = 1
        config.seed = 11
        let result = try! SyntheticLogGenerator.run(config: config, outputDirectory: directory)
        var options = ScanOptions()
        options.threads = 2
        accounts = FeatureRun.run(inputs: result.files.map { .file(directory + "/" + $0) }, options: options, taxonomy: .builtIn).accounts
        try? AccountStateFile(topicNames: CompiledTaxonomy.builtIn.topicNames, accounts: accounts).write(to: cache)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .instructions, .mallocCountTotal, .peakMemoryResident]

    // Inflate alone, each inflater, over the corpus file (about 14 MB of JSON).
    for inflater in [Inflater.zlib, .isal] where inflater == .zlib || Inflater.isalAvailable {
        Benchmark("inflate 20k-exchange gzip file (\(inflater.rawValue))",
                  configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
            blackHole(try IngestStages.inflate(.file(Corpus.shared.file), inflater: inflater))
        }
    }

    Benchmark("inflate + line splitting into 4 MiB chunks, 20k exchanges",
              configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        blackHole(IngestStages.splitLines(.file(Corpus.shared.file)).lines)
    }

    // Decode + prompt features + account state, one thread: the per-exchange accumulation
    // (subtract the decode benchmark for the accumulation alone).
    Benchmark("decode + features + per-account accumulation, 20k lines, 1 thread",
              configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        let corpus = Corpus.shared
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        let accumulator = AccountAccumulator(taxonomy: .builtIn)
        benchmark.startMeasurement()
        corpus.bytes.withUnsafeBytes { raw in
            for range in corpus.lines where decoder.decode(UnsafeRawBufferPointer(rebasing: raw[range])) == nil {
                accumulator.consume(decoder.record)
            }
        }
        benchmark.stopMeasurement()
        blackHole(accumulator)
    }

    // Stages 5-7 over about 100k accounts: LSH linkage, verification, shared-neighbour
    // support, components, scoring. Throughput is in runs; divide by the account count.
    Benchmark("linkage + clustering + scoring, ~100k accounts",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                   maxDuration: .seconds(20), maxIterations: 3)) { benchmark in
        let accounts = LargePopulation.shared.accounts
        var options = DetectionConfig()
        options.threads = 2
        benchmark.startMeasurement()
        let result = CampaignDetection.run(accounts: accounts, taxonomy: .builtIn, options: options)
        benchmark.stopMeasurement()
        blackHole(result.reported.count)
    }

    // 20,000 lines per iteration: divide malloc counts by 20,000 for allocations per exchange.
    Benchmark("decode 20k lines (per-line allocations after warm-up)",
              configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        let corpus = Corpus.shared
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        corpus.bytes.withUnsafeBytes { raw in
            for range in corpus.lines { _ = decoder.decode(UnsafeRawBufferPointer(rebasing: raw[range])) }
        }
        benchmark.startMeasurement()
        corpus.bytes.withUnsafeBytes { raw in
            for range in corpus.lines {
                blackHole(decoder.decode(UnsafeRawBufferPointer(rebasing: raw[range])))
            }
        }
        benchmark.stopMeasurement()
    }

    // Per prompt: normalisation to the template skeleton, its key, word-bigram shingles and
    // the one-permutation MinHash sketch; then the same plus topic scoring over the built-in
    // taxonomy and chain-of-thought markers.
    for (name, taxonomy) in [("skeleton + sketch", nil), ("skeleton + sketch + topic classification", CompiledTaxonomy.builtIn)] {
        Benchmark("\(name), 20k prompts", configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
            let corpus = Corpus.shared
            var analyzer = PromptAnalyzer(taxonomy: taxonomy)
            for p in corpus.prompts.prefix(100) { p.withUnsafeBytes { analyzer.analyze($0) } }
            benchmark.startMeasurement()
            for p in corpus.prompts {
                p.withUnsafeBytes { analyzer.analyze($0) }
                blackHole(analyzer.features.templateKey ^ UInt64(analyzer.features.topic))
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("features pipeline: inflate + decode + per-account state, 20k exchanges",
              configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        var options = ScanOptions()
        options.threads = 2
        let result = FeatureRun.run(inputs: [.file(Corpus.shared.file)], options: options, taxonomy: .builtIn)
        blackHole(result.accounts.count)
    }

    Benchmark("check pipeline: inflate + split + decode of a 20k-exchange gzip file",
              configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        var options = ScanOptions()
        options.threads = 2
        let (report, _) = LogScanner.scan([.file(Corpus.shared.file)], options: options) { _ in AccountCounter() }
        blackHole(report.accepted)
    }
}
