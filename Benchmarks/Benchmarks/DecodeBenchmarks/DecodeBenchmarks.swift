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

    Benchmark("check pipeline: inflate + split + decode of a 20k-exchange gzip file",
              configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        var options = ScanOptions()
        options.threads = 2
        let (report, _) = LogScanner.scan([.file(Corpus.shared.file)], options: options) { _ in AccountCounter() }
        blackHole(report.accepted)
    }
}
