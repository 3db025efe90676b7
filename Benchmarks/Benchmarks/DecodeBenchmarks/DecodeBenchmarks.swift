// Ingest and decode: throughput and heap allocations per exchange.
import Benchmark
import DistillDetect
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

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .instructions, .mallocCountTotal, .peakMemoryResident]

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
