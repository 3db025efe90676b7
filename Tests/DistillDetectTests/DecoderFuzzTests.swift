// A seeded mutation fuzzer for the decoder: real log lines of every shape the tool reads
// (the format fixtures, generated canonical and gateway lines, hand-written edge cases) are
// mutated and decoded under several field maps. Each input is checked for
// - a crash (the run dies) or a hang (the slowest input is reported, and fails the run
//   above `DISTILL_FUZZ_MAX_MS`, default 1000 ms);
// - a disagreement with JSONSerialization: a line the scanner accepts must be read the same
//   by the reference reading built on JSONSerialization (`ReferenceDecoder`, with the
//   documented tolerances: invalid UTF-8 in strings, NaN and Infinity), and a line it
//   rejects as not JSON must be refused by JSONSerialization too.
//
// The test runs a small number of inputs in `swift test`. The full run (README):
//   DISTILL_FUZZ_INPUTS=10000000 swift test -c release -Xswiftc -enable-testing --filter DecoderFuzz
// libFuzzer (`-sanitize=fuzzer`) would need the reference in the fuzzed binary and a
// toolchain built with it; this harness needs neither and is deterministic per seed.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

struct DecoderFuzzer {
    struct Report: CustomStringConvertible {
        var inputs = 0
        var accepted = 0
        var rejected: [RejectReason: Int] = [:]
        var disagreements: [String] = []
        var disagreementCount = 0
        var slowestNanoseconds: UInt64 = 0
        var slowestInput: [UInt8] = []

        var description: String {
            let reasons = rejected.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " ")
            return "inputs=\(inputs) accepted=\(accepted) rejected: \(reasons) disagreements=\(disagreementCount) slowest=\(Double(slowestNanoseconds) / 1e6) ms"
        }
    }

    /// The seed lines: every fixture line of the format cases and the reliability fixtures,
    /// plus lines the generator writes in each style.
    static func corpus() throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let manager = FileManager.default
        for directory in ["formats", "cases/proxy-paraphrase"] {
            let root = fixtures.appendingPathComponent(directory)
            guard let walker = manager.enumerator(atPath: root.path) else { continue }
            while let relative = walker.nextObject() as? String {
                let path = root.appendingPathComponent(relative).path
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                guard let bytes = try? InputSource.file(path).readAllBytes() else { continue }
                for line in bytes.split(separator: 0x0A).prefix(40) where line.count < 200_000 { lines.append(Array(line)) }
            }
        }
        for style in [LogStyle.canonical, .gateway] {
            lines += try ScannerAgreementTests.generatedLines(style: style).prefix(200)
        }
        lines += ScannerAgreementTests.adversarial.map { Array($0.utf8) }
        return lines
    }

    /// The schemas inputs are decoded under: the usual names, and presets that descend into
    /// encoded strings, index arrays and name keys with dots.
    static let mappingSets: [[FieldMapping]] = [
        [], LogPreset.litellm.mappings, LogPreset.nginxJSON.mappings, LogPreset.otelGenAI.mappings,
        LogPreset.azureOpenAI.mappings, LogPreset.bedrock.mappings,
        [try! FieldMapping(parsing: "prompt=messages[0].content"), try! FieldMapping(parsing: "account_id=metadata.user")],
    ]

    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\\"", "\\u00", "\\ud83d", "\\n", "null", "true", "NaN", "-Infinity",
        "1e999", "-0", "0.5", "1717200000123456789", "\"-\"", "\"   \"", "{\"a\":1}", "\"{\\\"user\\\":7}\"", " ", "\t", "\r",
        "\"role\":\"tool\"", "\"type\":\"tool_result\"", "\"content\":[", "\"tools\":[{}]",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0x00], [0x7F]]

    static func mutate(_ line: [UInt8], other: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var m = line
        for _ in 0..<rng.int(1...4) {
            let at = rng.int(0...max(0, m.count))
            switch rng.int(0..<7) {
            case 0: if at < m.count { m[at] = UInt8(truncatingIfNeeded: rng.int(0...255)) }
            case 1: if at < m.count { m.remove(at: at) }
            case 2: m.insert(contentsOf: rng.pick(tokens), at: at)
            case 3: m = Array(m.prefix(at))
            case 4:
                // Splice: a piece of another line.
                let from = rng.int(0...max(0, other.count - 1))
                let length = rng.int(0...min(64, other.count - from))
                m.insert(contentsOf: other[from..<(from + length)], at: at)
            case 5:
                // Duplicate a span (repeated keys, deeper nesting).
                let length = rng.int(0...min(48, m.count - min(at, m.count)))
                let span = m[min(at, m.count)..<min(at, m.count) + length]
                m.insert(contentsOf: span, at: min(at, m.count))
            default:
                if at < m.count, let digit = "0123456789".utf8.randomElement(using: &rng) { m[at] = digit }
            }
        }
        return m
    }

    /// Checks saved inputs again (files named `…-schemaN.json` by `DISTILL_FUZZ_DUMP`).
    static func replay(directory: String) throws -> Report {
        var report = Report()
        let schemas = mappingSets.map { DecodeSchema(mappings: $0) }
        let sources = mappingSets.map { FieldSources(mappings: $0) }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
            guard let r = name.range(of: "schema"), let s = Int(name[r.upperBound...].prefix { $0.isNumber }), s < schemas.count else { continue }
            let input = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            var decoder = ExchangeDecoder(schema: schemas[s], plausibleTimes: Int64.min...Int64.max)
            let ours = scannerOutcome(input, decoder: &decoder)
            let reference = ReferenceDecoder.decodeTolerant(input, accepted: ours, sources: sources[s], plausibleTimes: Int64.min...Int64.max)
            report.inputs += 1
            if !ours.matches(reference) && !knownDivergence(input) {
                report.disagreementCount += 1
                if report.disagreements.count < 20 {
                    report.disagreements.append("\(name): \(String(decoding: input.prefix(600), as: UTF8.self))\n  scanner:   \(ours)\n  reference: \(reference)")
                }
            }
        }
        return report
    }

    /// Runs `count` inputs from `seed`; stops keeping samples after 20 disagreements.
    static func run(count: Int, seed: UInt64) throws -> Report {
        let corpus = try corpus()
        var report = Report()
        let schemas = mappingSets.map { DecodeSchema(mappings: $0) }
        let sources = mappingSets.map { FieldSources(mappings: $0) }
        var decoders = schemas.map { ExchangeDecoder(schema: $0, plausibleTimes: Int64.min...Int64.max) }
        var rng = SeededRandom(seed: seed)
        for n in 0..<count {
            let base = corpus[rng.int(0..<corpus.count)]
            let input = mutate(base, other: corpus[rng.int(0..<corpus.count)], &rng)
            let s = n % schemas.count
            let started = DispatchTime.now().uptimeNanoseconds
            let ours = scannerOutcome(input, decoder: &decoders[s])
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            if elapsed > report.slowestNanoseconds {
                report.slowestNanoseconds = elapsed
                report.slowestInput = input
            }
            report.inputs += 1
            var agrees = true
            var reference: ContractOutcome?
            switch ours {
            case .accepted:
                report.accepted += 1
                let r = ReferenceDecoder.decodeTolerant(input, accepted: ours, sources: sources[s], plausibleTimes: Int64.min...Int64.max)
                agrees = ours.matches(r)
                reference = r
            case .rejected(let reason):
                report.rejected[reason, default: 0] += 1
                if reason == .invalidJSON || reason == .invalidUTF8 || reason == .notObject {
                    // Refused as not JSON (or not an object): JSONSerialization must refuse too.
                    var bytes = input
                    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
                    let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
                    agrees = reason == .notObject ? !(parsed is [String: Any]) : parsed == nil
                } else {
                    let r = ReferenceDecoder.decodeTolerant(input, accepted: ours, sources: sources[s], plausibleTimes: Int64.min...Int64.max)
                    agrees = ours.matches(r)
                    reference = r
                }
            }
            if !agrees && !knownDivergence(input) {
                if let dump = ProcessInfo.processInfo.environment["DISTILL_FUZZ_DUMP"], report.disagreementCount < 200 {
                    // One disagreeing input per file, for reproducing.
                    try? Data(input).write(to: URL(fileURLWithPath: "\(dump)-\(report.disagreementCount)-schema\(s).json"))
                }
                report.disagreementCount += 1
                if report.disagreements.count < 20 {
                    report.disagreements.append(
                        "schema \(s): \(String(decoding: input.prefix(400), as: UTF8.self))\n  scanner:   \(ours)\n  reference: \(reference.map { "\($0)" } ?? "JSONSerialization accepts")")
                }
            }
        }
        return report
    }

    /// Lone surrogate escapes: the scanner keeps the line (U+FFFD), JSONSerialization refuses
    /// it. Huge exponents (below). A NUL byte: JSONSerialization (swift-corelibs-foundation) stops reading at it, so
    /// it accepts `9\0{` as the number 9, which JSON does not allow.
    static func knownDivergence(_ line: [UInt8]) -> Bool {
        if line.contains(0) { return true }
        // Numbers beyond Double's range reject the line; JSONSerialization's reading of them
        // depends on how many exponent digits they have.
        if String(decoding: line, as: UTF8.self).range(of: #"[0-9.][eE][+]?[0-9]{3,}"#, options: .regularExpression) != nil {
            return true
        }
        let text = String(decoding: line, as: UTF8.self).lowercased()
        return text.range(of: #"\\ud[89a-f]"#, options: .regularExpression) != nil
    }
}

@Suite("Decoder fuzzing against JSONSerialization")
struct DecoderFuzzTests {
    @Test("seeded mutations of every log shape: no crash, no hang, no disagreement")
    func fuzz() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["DISTILL_FUZZ_INPUTS"].flatMap(Int.init) ?? 20_000
        let seed = environment["DISTILL_FUZZ_SEED"].flatMap(UInt64.init) ?? 1
        let maxMs = environment["DISTILL_FUZZ_MAX_MS"].flatMap(Double.init) ?? 1000
        if let directory = environment["DISTILL_FUZZ_REPLAY"] {
            let replayed = try DecoderFuzzer.replay(directory: directory)
            print("decoder fuzz replay: \(replayed.inputs) inputs, \(replayed.disagreementCount) disagreements\n" + replayed.disagreements.joined(separator: "\n"))
            #expect(replayed.disagreementCount == 0)
            return
        }
        let report = try DecoderFuzzer.run(count: count, seed: seed)
        print("decoder fuzz (seed \(seed)): \(report)")
        #expect(report.inputs == count)
        #expect(report.accepted > count / 50, "mutations should leave many lines valid")
        #expect(report.disagreementCount == 0, "\(report.disagreements.joined(separator: "\n"))")
        #expect(Double(report.slowestNanoseconds) / 1e6 < maxMs, "slowest input: \(String(decoding: report.slowestInput.prefix(300), as: UTF8.self))")
    }
}
