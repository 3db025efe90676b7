import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Lines the scanner knowingly reads differently from JSONSerialization: lone surrogate
/// escapes (kept as U+FFFD). Repeated keys are read as JSONSerialization reads them: the last
/// value counts.
private func isKnownDivergence(_ line: [UInt8]) -> Bool {
    let text = String(decoding: line, as: UTF8.self).lowercased()
    return text.range(of: #"\\u d[89a-f]"#.replacingOccurrences(of: " ", with: ""), options: .regularExpression) != nil
}

private func expectAgreement(_ lines: [[UInt8]], mappings: [FieldMapping] = [], sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    // Any time is plausible here: these tests compare JSON reading, not the time range.
    let anyTime = Int64.min...Int64.max
    var decoder = ExchangeDecoder(schema: DecodeSchema(mappings: mappings), plausibleTimes: anyTime)
    let sources = FieldSources(mappings: mappings)
    var compared = 0
    for line in lines where !isKnownDivergence(line) {
        let ours = scannerOutcome(line, decoder: &decoder)
        let reference = ReferenceDecoder.decodeTolerant(line, accepted: ours, sources: sources, plausibleTimes: anyTime)
        #expect(ours.matches(reference), "line: \(String(decoding: line, as: UTF8.self).prefix(300))\nscanner:   \(ours)\nreference: \(reference)", sourceLocation: sourceLocation)
        compared += 1
    }
    return compared
}

@Suite("Scanner agrees with JSONSerialization")
struct ScannerAgreementTests {
    static func generatedLines(style: LogStyle) throws -> [[UInt8]] {
        let dir = try TemporaryDirectory()
        var config = GeneratorConfig()
        config.exchanges = 1500
        config.days = 2
        config.style = style
        config.seed = 7
        config.badLines = 14
        config.threads = 2
        let result = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.path)
        var lines: [[UInt8]] = []
        for file in result.files {
            let path = dir.file(file)
            let bytes = try InputSource.file(path).readAllBytes()
            lines += bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init).filter { !$0.isEmpty && $0.count < 1 << 20 }
        }
        return lines
    }

    @Test("on generated canonical and gateway lines, bad lines included", arguments: [LogStyle.canonical, .gateway])
    func generated(_ style: LogStyle) throws {
        let lines = try Self.generatedLines(style: style)
        #expect(lines.count > 1500)
        let compared = expectAgreement(lines)
        #expect(compared >= lines.count - 20)
    }

    static let adversarial: [String] = [
        "{}", "[]", "{\"ts\":1,\"account_id\":\"a\",}", "{\"ts\":1,\"account_id\":\"a\",,}", "{,\"ts\":1}",
        "{\"ts\":1 \"account_id\":\"a\"}", "{\"ts\":1,\"account_id\":\"a\"}}", "{\"ts\":1,\"account_id\":\"a\"]",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[,]}", "{\"ts\":true,\"account_id\":\"a\"}",
        "{\"ts\":\"1776865501\",\"account_id\":\"a\"}", "{\"ts\":-1776865501,\"account_id\":\"a\"}",
        "{\"ts\":1e3,\"account_id\":\"a\"}", "{\"ts\":1.0E+11,\"account_id\":\"a\"}", "{\"ts\":0,\"account_id\":\"a\"}",
        "{\"ts\":-0,\"account_id\":\"a\"}", "{\"ts\":1,\"account_id\":\"a\",\"latency_ms\":1e-400}",
        "{\"ts\":1,\"account_id\":\"a\",\"latency_ms\":9e308}", "{\"ts\":1,\"account_id\":\"a\",\"latency_ms\":1.7e308}",
        "{\"ts\":1,\"account_id\":\"a\",\"status\":2e2}", "{\"ts\":1,\"account_id\":\"a\",\"status\":20.5}",
        "{\"ts\":1,\"account_id\":\"a\",\"input_tokens\":-0.0}", "{\"ts\":1,\"account_id\":\"a\",\"x\":+1}",
        "{\"ts\":1,\"account_id\":\"a\",\"x\":.5}", "{\"ts\":1,\"account_id\":\"a\",\"x\":5.}", "{\"ts\":1,\"account_id\":\"a\",\"x\":1e}",
        "{\"ts\":1,\"account_id\":\"a\",\"x\":-}", "{\"ts\":1,\"account_id\":\"a\",\"x\":NaN}", "{\"ts\":1,\"account_id\":\"a\",\"x\":tru}",
        "{\"ts\":1,\"account_id\":\"a\",\"x\":nulll}", "{\"ts\":1,\"account_id\":\"a\",\"x\":\"\\u12\"}",
        "{\"ts\":1,\"account_id\":\"a\",\"x\":\"\\u12g4\"}", "{\"ts\":1,\"account_id\":\"a\",\"x\":\"unterminated}",
        "{\"ts\":1,\"account_id\":\"a\",\"x\":\"\u{7f}\"}", "{\"ts\":1,\"account_id\":\"a\",\"x\":\"\\\"\"}",
        "{\"ts\":1,\"account_id\":\"a\\\"b\"}", "{\"ts\":1,\"account_id\":\"a\\\\\"}", "{\"ts\":1,\"account_id\":\"\\u0000\"}",
        "{\"ts\":1,\"account_id\":\"a\",\"prompt\":[\"s1\",{\"text\":\"s2\"},{\"type\":\"image\",\"text\":\"no\"},{\"type\":1,\"text\":\"no\"},[\"nested\"],{\"type\":\"text\"}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"prompt\":[]}", "{\"ts\":1,\"account_id\":\"a\",\"prompt\":{}}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[1,\"x\",null,{\"role\":\"user\"},{\"content\":\"orphan\"}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"user\",\"content\":5}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"system\",\"content\":\"s1\"},{\"role\":\"system\",\"content\":\"s2\"}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}],\"system\":[]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":{\"role\":\"user\"}}", "{\"ts\":1,\"account_id\":\"a\",\"messages\":[[{\"role\":\"user\",\"content\":\"deep\"}]]}",
        "{\"ts\":1,\"account_id\":\"a\",\"metadata\":{\"user_api_key_user_id\":\"mapped\"}}",
        "{\"ts\":1,\"account_id\":\"a\",\"metadata\":\"not an object\"}", "{\"ts\":1,\"metadata\":{\"user_api_key_user_id\":7}}",
        " \t{\"ts\":1,\"account_id\":\"a\"}\t ", "\t", "{\"ts\":1,\"account_id\":\"a\"}\u{0}", "{\"ts\":1,\"account_id\":\"a\"}\r",
        "{\"timestamp\":\"2026-04-22T13:45:01+05:30\",\"user\":\"u\",\"created_at\":\"x\"}",
        "{\"@timestamp\":\"2026-04-22T13:45:01.000001Z\",\"end_user\":12}",
        "{\"ts\":1,\"account_id\":123456789012345678901234567890}", "{\"ts\":1,\"account_id\":1.5}",
        "{\"ts\":1,\"account_id\":\"a\",\"account_created\":1776865501999,\"user_created_at\":\"2026-01-01\"}",
        "{\"ts\":\"2026-04-22T13:45:01Z\",\"time\":\"garbage\",\"account_id\":\"a\"}",
        "{\"time\":\"garbage\",\"ts\":\"2026-04-22T13:45:01Z\",\"account_id\":\"a\"}",
        "{\"startTime\":\"garbage\",\"created_at\":1,\"account_id\":\"a\"}",
        "{\"ts\":1,\"account_id\":\"a\",\"ip\":\"2001:db8::1\",\"remote_addr\":\"10.0.0.1\"}",
        "{\"ts\":1,\"account_id\":\"a\",\"\":\"empty key\",\"\\u0061ccount\":\"b\"}",
        "{\"ts\":1,\"account_id\":\"a\",\"deep\":{\"a\":{\"b\":{\"c\":[1,{\"d\":[true,false,null]}]}}}}",
        // Repeated keys: the last value counts, whatever its type, at every level.
        "{\"ts\":1,\"account_id\":\"FIRST\",\"account_id\":\"SECOND\",\"prompt\":\"dup\"}",
        "{\"ts\":1,\"user\":\"U\",\"account_id\":\"A\",\"account_id\":null}",
        "{\"ts\":1,\"account_id\":\"A\",\"account_id\":\"\"}", "{\"ts\":\"bad\",\"ts\":1,\"account_id\":\"a\"}",
        "{\"ts\":1,\"ts\":\"bad\",\"account_id\":\"a\"}", "{\"ts\":1,\"ts\":null,\"timestamp\":2,\"account_id\":\"a\"}",
        "{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"one\",\"prompt\":[\"two\",\"three\"]}",
        "{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"one\",\"prompt\":5}",
        "{\"ts\":1,\"account_id\":\"a\",\"input_tokens\":5,\"input_tokens\":\"x\",\"prompt_tokens\":7}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"messages\":[]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"messages\":5}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"content\":5}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"role\":7,\"content\":\"x\"}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"prompt\":[{\"type\":\"text\",\"text\":\"a\",\"text\":5}]}",
        "{\"ts\":1,\"account_id\":\"a\",\"metadata\":{\"user_api_key_user_id\":\"m1\"},\"metadata\":{}}",
        "{\"ts\":1,\"account_id\":\"a\",\"metadata\":{\"user_api_key_user_id\":\"m1\"},\"metadata\":{\"user_api_key_user_id\":\"m2\"}}",
        "{\"ts\":1,\"account_id\":\"a\",\"metadata\":{\"user_api_key_user_id\":\"m1\",\"user_api_key_user_id\":\"m3\"},\"metadata\":7}",
        "{\"ts\":1,\"account\\u005fid\":\"esc\",\"account_id\":\"plain\"}",
    ]

    @Test("on adversarial lines")
    func adversarialLines() throws {
        let mapping = try FieldMapping(parsing: "account_id=metadata.user_api_key_user_id")
        let lines = Self.adversarial.map { Array($0.utf8) }
        #expect(expectAgreement(lines) > 60)
        #expect(expectAgreement(lines, mappings: [mapping]) > 60)
    }

    @Test("on seeded random mutations of real lines: byte flips, cuts, inserts and deletions")
    func mutations() throws {
        let base = try Self.generatedLines(style: .gateway).prefix(150) + Self.generatedLines(style: .canonical).prefix(150)
        var rng = SeededRandom(seed: 99)
        let alphabet: [UInt8] = Array("{}[]\":,\\ -0123456789.eEtrufalsn\u{7f}".utf8) + [0x80, 0xC3, 0xE2, 0xFF, 0x00, 0x0D, 0x09]
        var lines: [[UInt8]] = []
        for line in base {
            for _ in 0..<8 {
                var m = line
                for _ in 0..<rng.int(1...3) {
                    let at = rng.int(0..<max(1, m.count))
                    switch rng.int(0..<4) {
                    case 0: if !m.isEmpty { m[at] = rng.pick(alphabet) }
                    case 1: m = Array(m.prefix(at))
                    case 2: m.insert(rng.pick(alphabet), at: at)
                    default: if !m.isEmpty { m.remove(at: at) }
                    }
                }
                if !m.isEmpty && !m.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { lines.append(m) }
            }
        }
        let compared = expectAgreement(lines)
        #expect(compared > 2000)
    }
}
