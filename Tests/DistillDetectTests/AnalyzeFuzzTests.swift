// A seeded fuzzer over the whole `analyze` path, beside the decoder fuzzer (DecoderFuzzTests):
// short logs (1–40 lines, half of them 1–8; several accounts to a log) are written to files
// and run through `AnalyzeRun.run` as the command runs it (discovery, inflate, framing,
// decode, account state, linkage, clustering, null-model scoring, CSV / JSON / HTML outputs
// and the swap). A run reads 1 to 96 such inputs, as `analyze` reads a directory of daily
// logs: each run rebuilds the population tables of linkage and scoring (about 60 MB zeroed,
// whatever the input), which one input per run would spend most of its time on. Lines are
// built to form candidate clusters (templated prompts, shared networks, cards and keys,
// synchronized times across accounts) and to be hostile (numbers, times and ids at and beyond
// every limit, in every accepted form; wrong types, duplicate keys, deep nesting,
// conversations with tool calls, preset shapes, broken framing), and some are byte-level
// mutations of valid lines and of the decoder fuzzer's corpus. Detection settings vary per
// run (1 or 2 threads, presets, thresholds, linkage bars lowered so that a few lines make
// clusters). Each run is checked for
// - a crash (the run dies) or a hang (the slowest run fails the test above
//   `DISTILL_ANALYZE_FUZZ_MAX_MS`); with `DISTILL_ANALYZE_FUZZ_DUMP=DIR` each worker writes its
//   run's inputs and settings to `DIR/wN/inputs/` (`input-0`, ..., `case`) before running it, so
//   the run that killed the process is left there, and runs failing a check are kept as
//   `DIR/fail-*`;
// - the outputs: every file of the set written, no staging directory left, and the rows of
//   clusters.csv, accounts.csv and candidates.csv as many as summary.json says;
// - identity (every 8th run): as many accounts as distinct account ids among the accepted
//   records (read by a second scan of the same files), and every account of a line built to
//   be valid among them;
// - threads (every 8th run): run again with the other thread count, every output
//   byte-identical (summary.json but its timings and its `threads`).
//
// The test runs about 100 inputs in `swift test`. The full run (README):
//   DISTILL_ANALYZE_FUZZ_INPUTS=1000000 DISTILL_ANALYZE_FUZZ_WORKERS=2 \
//     swift test -c release -Xswiftc -enable-testing --filter AnalyzeFuzzTests
// `DISTILL_ANALYZE_FUZZ_SEED` picks another seed, `DISTILL_ANALYZE_FUZZ_START` the first run
// (run r is the same for any start and worker count), `DISTILL_ANALYZE_FUZZ_BATCH=N` fixes the
// inputs per run, `DISTILL_ANALYZE_FUZZ_REPLAY=DIR` runs saved runs (a `case` file with its
// `input-N` files, in DIR or its subdirectories) again.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// How one input is run: what `analyze`'s options would say.
struct AnalyzeFuzzSettings: Equatable, CustomStringConvertible {
    var threads = 1
    var preset: LogPreset?
    /// Linkage and support bars lowered so that a few lines make candidate clusters.
    var lowBars = true
    var threshold: Double?
    var maxFalseClusters = 0.01
    var minClusterSize = 2
    var seed: UInt64 = 0x5EED
    var json = false
    /// Run again with the other thread count and compare the outputs.
    var compareThreads = false
    /// Read the inputs a second time to count their distinct account ids.
    var checkIdentity = true

    /// The times every input is judged by (not the clock's: the same input, the same result).
    static let plausibleTimes = Timestamp.plausibleRange(now: 1_777_507_200_000)  // 2026-04-30

    static func random(_ rng: inout SeededRandom, index: Int) -> AnalyzeFuzzSettings {
        var s = AnalyzeFuzzSettings()
        s.threads = rng.chance(0.5) ? 1 : 2
        s.preset = rng.chance(0.25) ? rng.pick(LogPreset.allCases) : nil
        s.lowBars = rng.chance(0.8)
        s.threshold = rng.pick([nil, nil, nil, nil, 0, 0.5, 1])
        s.maxFalseClusters = rng.pick([0.01, 0.01, 1, 999, 1e-300])
        s.minClusterSize = rng.pick([2, 2, 2, 3, 5])
        s.seed = rng.chance(0.5) ? 0x5EED : rng.next()
        s.json = rng.chance(0.3)
        s.compareThreads = index % 8 == 0
        s.checkIdentity = index % 8 == 0
        return s
    }

    func config() -> AnalyzeConfig {
        var config = AnalyzeConfig()
        config.scan.threads = threads
        config.scan.fieldMappings = preset?.mappings ?? []
        config.scan.preset = preset
        config.scan.plausibleTimes = Self.plausibleTimes
        config.json = json
        config.detection.threshold = threshold
        config.detection.maxFalseClusters = maxFalseClusters
        config.detection.minClusterSize = minClusterSize
        config.detection.seed = seed
        if lowBars {
            config.detection.minPrompts = 1
            config.detection.minVocabularyBins = 1
            config.detection.supportMinCommon = 1
            config.detection.synchronyMinItems = 1
            config.detection.minDistinctTemplates = 1
            config.detection.maxBlockShare = 1
        }
        return config
    }

    var description: String {
        "threads=\(threads) preset=\(preset?.rawValue ?? "-") lowbars=\(lowBars ? 1 : 0) threshold=\(threshold.map { "\($0)" } ?? "-") "
            + "maxfalse=\(maxFalseClusters) minsize=\(minClusterSize) seed=\(seed) json=\(json ? 1 : 0) compare=\(compareThreads ? 1 : 0)"
    }

    init() {}

    /// Reads `description` back.
    init?(parsing text: String) {
        var values: [String: String] = [:]
        for part in text.split(whereSeparator: \.isWhitespace) {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
        }
        guard let threads = values["threads"].flatMap(Int.init), let seed = values["seed"].flatMap(UInt64.init),
            let maxFalse = values["maxfalse"].flatMap(Double.init), let minSize = values["minsize"].flatMap(Int.init)
        else { return nil }
        self.threads = threads
        self.seed = seed
        maxFalseClusters = maxFalse
        minClusterSize = minSize
        preset = values["preset"].flatMap(LogPreset.init(rawValue:))
        lowBars = values["lowbars"] == "1"
        threshold = values["threshold"].flatMap(Double.init)
        json = values["json"] == "1"
        compareThreads = values["compare"] == "1"
    }
}

/// A JSON value as the fuzzer writes it: keys may repeat, and literals and string bytes are
/// written as given (numbers beyond every range, invalid UTF-8, escapes of any kind).
indirect enum FuzzJSON: Sendable {
    case literal(String)
    case string(String)
    /// Bytes between quotes, written unescaped.
    case rawString([UInt8])
    case array([FuzzJSON])
    case object([(String, FuzzJSON)])
    /// The value's JSON text as a JSON string (as presets read `request_body`, `properties`).
    case encoded(FuzzJSON)

    func write(into out: inout [UInt8]) {
        switch self {
        case .literal(let text): out += text.utf8
        case .string(let text): Self.quote(Array(text.utf8), into: &out)
        case .rawString(let bytes):
            out.append(0x22)
            out += bytes
            out.append(0x22)
        case .array(let items):
            out.append(0x5B)
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(0x2C) }
                item.write(into: &out)
            }
            out.append(0x5D)
        case .object(let pairs):
            out.append(0x7B)
            for (k, pair) in pairs.enumerated() {
                if k > 0 { out.append(0x2C) }
                Self.quote(Array(pair.0.utf8), into: &out)
                out.append(0x3A)
                pair.1.write(into: &out)
            }
            out.append(0x7D)
        case .encoded(let value):
            var inner: [UInt8] = []
            value.write(into: &inner)
            Self.quote(inner, into: &out)
        }
    }

    static func quote(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(0x22)
        for b in bytes {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0..<0x20: out += Array(String(format: "\\u%04x", b).utf8)
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// Puts `value` at `path` (keys; `FieldMapping.indexKey` components are array elements)
    /// inside this object, descending into what is there already.
    func inserting(_ value: FuzzJSON, at path: ArraySlice<String>) -> FuzzJSON {
        guard let key = path.first else { return value }
        if key.first == "\u{0}", let index = Int(key.dropFirst()) {
            var items: [FuzzJSON] = []
            if case .array(let existing) = self { items = existing }
            while items.count <= index { items.append(.literal("null")) }
            items[index] = items[index].inserting(value, at: path.dropFirst())
            return .array(items)
        }
        var pairs: [(String, FuzzJSON)] = []
        if case .object(let existing) = self { pairs = existing }
        if let k = pairs.lastIndex(where: { $0.0 == key }) {
            pairs[k].1 = pairs[k].1.inserting(value, at: path.dropFirst())
        } else {
            pairs.append((key, FuzzJSON.object([]).inserting(value, at: path.dropFirst())))
        }
        return .object(pairs)
    }
}

/// One generated input: the file's bytes, and the account ids of the lines built to be valid
/// (with the records those lines make) when the file is plain JSON Lines whose first line is
/// one of them.
struct AnalyzeFuzzInput {
    var bytes: [UInt8]
    var validIDs: Set<[UInt8]> = []
    var validLines = 0
}

/// Builds inputs (see the file's opening comment).
struct AnalyzeFuzzGenerator {
    let corpus: [[UInt8]]
    /// Each preset's mapped paths per field (`LogField.rawValue`).
    let presetPaths: [LogPreset: [[[String]]]]

    init() throws {
        // Short lines only: the decoder fuzzer reads the long ones; here they would only make
        // every input slow to read.
        corpus = try DecoderFuzzer.corpus().filter { $0.count <= 4096 }
        presetPaths = Dictionary(uniqueKeysWithValues: LogPreset.allCases.map { preset in
            (preset, LogField.allCases.map { field in preset.mappings.filter { $0.field == field }.map(\.path) })
        })
    }

    /// An account of an input: its id as written, and whether the id is an ordinary one (a
    /// line of it can be built to be valid).
    struct Account {
        var id: FuzzJSON
        var plain: String?
        /// Its campaign, or -1: a campaign's accounts share templates, networks, cards and times.
        var group: Int
    }

    static let templates: [String] = [
        "Solve the following problem step by step and show your reasoning: what is %1 plus %2 times %3?",
        "Write a Python function named %w that parses %w files. Include type hints and a docstring.",
        "You are a helpful assistant. Generate %1 diverse training examples of %w with chain-of-thought reasoning.",
        "In tools/%w, refactor the %w module to use dependency injection. Produce the complete trajectory: thoughts, tool calls and expected observations, step by step.",
        "Translate into French: the %w of the %w is %1 metres long.",
        "Prove that the sum of the first %1 odd numbers is a perfect square, then generalise to %w.",
    ]
    static let words = ["parser", "ledger", "gateway", "river", "kernel", "matrix", "json", "yaml", "tensor", "graph", "queue", "cache"]
    static let hostileTexts: [FuzzJSON] = [
        .string(""), .string("   "), .string("-"), .string("null"), .string("🙂👩‍👩‍👧 ∑ 账户 e\u{301} \u{202E}abc\u{200B}"),
        .string("=HYPERLINK(\"http://x\",\"y\")"), .string("<script>alert(1)</script>&amp;"), .literal("\"a\\u0000b\\ud800c\\udfff\""),
        .rawString([0x61, 0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80]), .string(String(repeating: "step by step ", count: 30)), .literal("123"), .literal("true"), .literal("{}"), .literal("[[[]]]"),
        .string("a,b\n\"c\"\r\n=1+1"),
    ]
    static let hostileNumbers: [String] = [
        "0", "-1", "-0", "1099511627776", "1099511627777", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "123456789012345678901234567890", "1e18", "1e19", "1.5", "-1.5", "1e308",
        "-1e308", "1.7976931348623157e308", "4.9e-324", "1e-400", "0.000001", "2e2", "1E+2", "\"123\"", "\" 5\"", "\"1e3\"",
        "\"abc\"", "\"\"", "true", "null", "{}", "[]", "[1]", "\"9223372036854775808\"", "-4.5e15",
    ]
    /// Not JSON, or beyond a double's range: the line is rejected.
    static let brokenNumbers = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "+1", ".5", "01", "1.", "0x10", "1e", "--1"]
    static let hostileTimes: [FuzzJSON] = [
        .literal("0"), .literal("-1"), .literal("-0"), .literal("1e300"), .literal("9223372036854775807"),
        .literal("-9223372036854775808"), .literal("18446744073709551616"), .literal("99999999999999999999999"),
        .literal("1.7e308"), .literal("4.9e-324"), .literal("1e-400"), .literal("946684799.9999"), .literal("946684800"),
        .literal("9.466848e11"), .literal("1777507200000000000"), .literal("17775072000000000000"),
        .string("9223372036854775807"), .string("9223372036854775808"), .string("0000000000001777507200"),
        .string("2026-02-29T00:00:00Z"), .string("2024-02-29T24:00:00Z"), .string("9999-12-31T23:59:59.999Z"),
        .string("0000-01-01T00:00:00Z"), .string("2026-13-01"), .string("2026-04-30T12:00:00+24:00"),
        .string("2026-04-30T12:00:00.Z"), .string("2026-04-30T12:00:60Z"), .string("2026-04-30T12:00:00.123456789012345678Z"),
        .string("1999-12-31T23:59:59.999Z"), .string("2000-01-01T00:00:00+00:01"), .string("2000-01-01T00:00:00-23:59"),
        .string("31/Dec/1999:23:59:59 +0000"), .string("30/Apr/2026:12:00:00 -2359"), .string("29/Feb/2025:00:00:00 +0000"),
        .string(""), .string(" "), .string("1777507200."), .string(".5"), .string("NaN"), .literal("true"), .literal("null"),
        .literal("{}"), .literal("[1777507200]"), .string("1777507200.123456789123456789123456789123"),
    ]

    /// Where an input's times start: at and beyond both ends of the plausible range, or
    /// within the last weeks.
    static func baseTime(_ rng: inout SeededRandom) -> Int64 {
        let range = AnalyzeFuzzSettings.plausibleTimes
        switch rng.int(0..<10) {
        case 0: return range.lowerBound + Int64(rng.int(-5_000...5_000))
        case 1: return range.upperBound + Int64(rng.int(-5_000...5_000))
        case 2: return range.lowerBound + Int64(rng.int(0...800_000_000)) * 1000
        case 3: return rng.pick([0, -1, Int64.max / 2, 253_402_300_799_999, -62_135_596_800_000])
        default: return range.upperBound - 2 * 86_400_000 - Int64(rng.int(0...(20 * 86_400))) * 1000
        }
    }

    /// One input; its times start at `base` (the run's: a run's logs are mostly of the same
    /// days, as a week of logs is) or, when nil, where it picks.
    func make(_ rng: inout SeededRandom, settings: AnalyzeFuzzSettings, base: Int64? = nil) -> AnalyzeFuzzInput {
        let hostility = rng.pick([0.0, 0.05, 0.2, 0.5, 0.9])
        let accounts = makeAccounts(&rng)
        let lineCount = rng.chance(0.5) ? rng.int(1...8) : rng.int(1...40)
        let base = base ?? Self.baseTime(&rng)
        // A campaign's batches: its accounts fire within a minute or two of each other.
        let batches = (0..<4).map { _ in Int64(rng.int(0...(3 * 86_400))) * 1000 }
        var lines: [[UInt8]] = []
        var valid: [Bool] = []
        var validIDs = Set<[UInt8]>()
        for _ in 0..<lineCount {
            if rng.chance(0.04 + hostility * 0.1) {
                // A line of the decoder fuzzer's corpus, mutated or not.
                let line = corpus[rng.int(0..<corpus.count)]
                lines.append(rng.chance(0.5) ? DecoderFuzzer.mutate(line, other: corpus[rng.int(0..<corpus.count)], &rng) : line)
                valid.append(false)
                continue
            }
            if rng.chance(0.03 * (1 + hostility * 3)) {
                lines.append(Array(rng.pick(["", "   ", "{", "}", "[]", "[1,2]", "\"text\"", "null", "{\"ts\":", "\u{FEFF}{}", "\r"]).utf8))
                valid.append(false)
                continue
            }
            let account = rng.pick(accounts)
            let hostile = rng.chance(hostility)
            var time = base + Int64(rng.int(0...(2 * 86_400))) * 1000
            if account.group >= 0 && rng.chance(0.8) { time = base + rng.pick(batches) + Int64(rng.int(0...90_000)) }
            var (line, isValid) = makeLine(&rng, account: account, time: time, hostile: hostile, settings: settings)
            if rng.chance(hostility * 0.4) {
                line = DecoderFuzzer.mutate(line, other: lines.last ?? corpus[rng.int(0..<corpus.count)], &rng)
                isValid = false
            }
            if isValid, let id = account.plain { validIDs.insert(Array(id.utf8)) }
            lines.append(line)
            valid.append(isValid)
        }
        let (bytes, jsonLines) = frame(lines, &rng)
        var input = AnalyzeFuzzInput(bytes: bytes)
        // Lines built valid are known to be records only when the input is read as JSON Lines
        // (its first line one of them, so it is not taken for another shape).
        if valid.first == true && jsonLines && bytes.first == 0x7B {
            input.validIDs = validIDs
            input.validLines = valid.filter { $0 }.count
        }
        return input
    }

    func makeAccounts(_ rng: inout SeededRandom) -> [Account] {
        let count = rng.chance(0.15) ? rng.int(9...20) : rng.int(1...8)
        let groups = rng.int(0...2)
        return (0..<count).map { k in
            let group = groups > 0 && rng.chance(0.6) ? k % groups : -1
            if rng.chance(0.7) {
                let id = rng.chance(0.5) ? "acct_\(rng.int(0..<12))" : "u\(rng.hex(rng.int(1...12)))"
                return Account(id: .string(id), plain: id, group: group)
            }
            return Account(id: Self.hostileID(&rng), plain: nil, group: group)
        }
    }

    static func hostileID(_ rng: inout SeededRandom) -> FuzzJSON {
        switch rng.int(0..<12) {
        case 0:
            let (prefix, suffix) = rng.pick(AccountIdentityTests.collidingFamilies)
            return .string(prefix + rng.hex(8) + suffix)
        case 1: return .literal(rng.pick(["7", "-7", "0", "1e3", "0.5", "007", "18446744073709551616", "123456789012345678901234567890", "-0"]))
        case 2: return rng.pick([.literal("true"), .literal("null"), .object([("id", .string("x"))]), .array([.string("a")]), .literal("{}")])
        case 3: return .literal(rng.pick(["\"\\u0061cct_1\"", "\"acct\\u005f2\"", "\"\\u0000\"", "\"a\\nb\"", "\"\\ud83d\\ude00\"", "\"\\ud800\""]))
        case 4: return .rawString(rng.pick([[0x61, 0xFF], [0x61, 0xFE], [0xC3, 0xA9], [0x65, 0xCC, 0x81], [0xF0, 0x9F, 0x98]]))
        case 5: return .string(String(repeating: rng.pick(["x", "é", "🙂"]), count: rng.chance(0.02) ? 65_537 : rng.pick([64, 300, 1000])))
        case 6: return .string(rng.pick(["", " ", "-", "null", "N/A", "unknown", "(none)", "  acct_1  ", "\t", "<nil>", "NULL "]))
        case 7: return .string(rng.pick(["账户1", "👩‍👩‍👧", "e\u{301}", "é", "\u{202E}abc", "a\u{200B}", "Ａ", "ﬁ"]))
        case 8: return .string(rng.pick(["=cmd|' /C calc'!A0", "+1", "@SUM(1)", "<script>x</script>", "a,b", "a\"b", "a\\b", "a\r\nb"]))
        case 9: return .encoded(.object([("device_id", .literal("1"))]))
        case 10: return .string(rng.pick(["acct_1", "acct_1 ", "ACCT_1", "acct_01"]))
        default: return .string("acct_\(rng.int(0..<12))")
        }
    }

    /// A time in one of the forms logs write it; `exact` forms only (no rounding beyond
    /// seconds) when the line must be valid.
    static func time(_ ms: Int64, _ rng: inout SeededRandom) -> FuzzJSON {
        let iso = Timestamp.format(milliseconds: ms)
        switch rng.int(0..<14) {
        case 0: return .string(iso)
        case 1:
            let offset = rng.int(-(23 * 60 + 59)...(23 * 60 + 59))
            let local = Timestamp.format(milliseconds: ms + Int64(offset) * 60_000)
            let sign = offset < 0 ? "-" : "+"
            return .string(String(local.dropLast()) + sign + String(format: "%02d:%02d", abs(offset) / 60, abs(offset) % 60))
        case 2: return .string(String(iso.prefix(19)) + "Z")
        case 3: return .string(String(iso.dropLast()) + rng.hex(rng.int(0...9)).filter(\.isNumber) + "Z")
        case 4: return .string(String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8)))
        case 5: return .string(String(iso.prefix(10)) + "t" + String(iso.dropFirst(11).dropLast()) + "z")
        case 6: return .literal(String(ms.dividedReportingOverflow(by: 1000).partialValue))
        case 7: return .literal(String(format: "%.3f", Double(ms) / 1000))
        case 8: return .literal(String(ms))
        case 9: return .string(String(ms))
        case 10: return .literal(String(ms.multipliedReportingOverflow(by: 1000).partialValue))
        case 11: return .literal(String(ms.multipliedReportingOverflow(by: 1_000_000).partialValue))
        case 12: return .literal(String(format: "%.6e", Double(ms)))
        default:
            let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
            let (y, m, d) = Timestamp.civilFromDays(Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400))
            let second = Int(((seconds % 86_400) + 86_400) % 86_400)
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
            return .string(String(format: "%02d/", d) + month + String(format: "/%04d:%02d:%02d:%02d +0000", y, second / 3600, second / 60 % 60, second % 60))
        }
    }

    /// A number field's value: ordinary, hostile but JSON, or (when `broken` is allowed) not.
    static func number(_ rng: inout SeededRandom, ordinary: ClosedRange<Int>, hostile: Bool, broken: Bool) -> FuzzJSON {
        if !hostile { return .literal(String(rng.int(ordinary))) }
        if broken && rng.chance(0.15) { return .literal(rng.pick(brokenNumbers)) }
        return .literal(rng.pick(hostileNumbers))
    }

    func text(_ rng: inout SeededRandom, group: Int, hostile: Bool) -> FuzzJSON {
        if hostile && rng.chance(0.4) {
            // Long texts rarely: they cost reading time, not new paths, after the first few.
            if rng.chance(0.02) { return .string(String(repeating: rng.pick(["x", "step by step ", "é🙂"]), count: rng.pick([3000, 70_000]))) }
            return rng.pick(Self.hostileTexts)
        }
        let template = group >= 0 && rng.chance(0.85) ? Self.templates[group % Self.templates.count] : rng.pick(Self.templates)
        var out = ""
        var chars = template.makeIterator()
        while let c = chars.next() {
            guard c == "%" else {
                out.append(c)
                continue
            }
            switch chars.next() {
            case "w": out += rng.pick(Self.words)
            default: out += String(rng.int(0...999))
            }
        }
        if group < 0 && rng.chance(0.5) { out = (0..<rng.int(1...12)).map { _ in rng.pick(Self.words) }.joined(separator: " ") }
        return .string(out)
    }

    /// The conversation of a line: a prompt, chat messages with tool rounds, Responses items,
    /// or something else under those names.
    func conversation(_ rng: inout SeededRandom, group: Int, hostile: Bool) -> [(LogField, FuzzJSON)] {
        let prompt = text(&rng, group: group, hostile: hostile)
        func block(_ type: String, _ value: FuzzJSON) -> FuzzJSON { .object([("type", .string(type)), ("text", value)]) }
        switch rng.int(0..<7) {
        case 0: return [(.prompt, prompt)]
        case 1:
            return [
                (.system, rng.chance(0.5) ? .string("You are a coding agent.") : .array([block("text", .string("Be terse."))])),
                (.messages, .array([.object([("role", .string("user")), ("content", prompt)])])),
            ]
        case 2:
            // An Anthropic tool round: the user's task, a tool call, its result.
            return [
                (.tools, .array([.object([("name", .string("run_tests")), ("input_schema", .object([("type", .string("object"))]))])])),
                (.messages, .array([
                    .object([("role", .string("user")), ("content", .array([block("text", prompt)]))]),
                    .object([("role", .string("assistant")), ("content", .array([
                        .object([("type", .string("tool_use")), ("id", .string("toolu_0")), ("name", .string("run_tests")), ("input", .object([]))]),
                    ]))]),
                    .object([("role", .string("user")), ("content", .array([
                        .object([("type", .string("tool_result")), ("tool_use_id", .string("toolu_0")),
                                 ("content", .string("Ran \(rng.int(0...99)) tests: all passed"))]),
                    ]))]),
                ])),
            ]
        case 3:
            // OpenAI Responses items.
            return [
                (.system, .string("You are a coding agent.")),
                (.messages, .array([
                    .object([("role", .string("user")), ("content", .array([.object([("type", .string("input_text")), ("text", prompt)])]))]),
                    .object([("type", .string("function_call")), ("call_id", .string("c0")), ("name", .string("f")), ("arguments", .string("{}"))]),
                    .object([("type", .string("function_call_output")), ("call_id", .string("c0")), ("output", .string("3 passed"))]),
                ])),
            ]
        case 4:
            // OpenAI chat with a tool role and parts.
            return [(.messages, .array([
                .object([("role", .string("developer")), ("content", .string("Answer in JSON."))]),
                .object([("role", .string("user")), ("content", .array([block("text", prompt)]))]),
                .object([("role", .string("tool")), ("content", .string("ok"))]),
            ]))]
        case 5:
            // Bedrock blocks and OpenTelemetry parts, the latter encoded in a string.
            return rng.chance(0.5)
                ? [(.messages, .array([.object([("role", .string("user")), ("content", .array([.object([("text", prompt)])]))])]))]
                : [(.messages, .encoded(.array([.object([("role", .string("user")), ("parts", .array([
                    .object([("type", .string("text")), ("content", prompt)]),
                ]))])])))]
        default:
            guard hostile else { return [(.prompt, prompt)] }
            // Conversations of the wrong shape.
            return [(rng.pick([LogField.messages, .system, .tools, .prompt]), rng.pick([
                .literal("42"), .string(""), .array([]), .array([.literal("null"), .literal("1"), .array([])]),
                .object([("role", .string("user"))]), .array([.object([("role", .literal("7")), ("content", .literal("{}"))])]),
                .array(Array(repeating: .object([("role", .string("user")), ("content", prompt)]), count: rng.chance(0.05) ? 300 : rng.int(2...20))),
                .array([.object([("role", .string("user")), ("content", .array([.object([("type", .string("tool_result")), ("content", .array([block("text", prompt)]))])]))])]),
            ]))]
        }
    }

    /// One line for `account` at `time`, and whether it is built to be a valid record.
    func makeLine(
        _ rng: inout SeededRandom, account: Account, time: Int64, hostile: Bool, settings: AnalyzeFuzzSettings
    ) -> ([UInt8], Bool) {
        let range = AnalyzeFuzzSettings.plausibleTimes
        // Valid: an ordinary id under its canonical name, a time well inside the range under
        // `ts` and nothing of the line that JSON or the decoder refuses.
        var valid = account.plain != nil && !hostile && settings.preset == nil
            && time >= range.lowerBound + 86_400_000 && time <= range.upperBound - 86_400_000
        var fields: [(LogField, FuzzJSON)] = []
        let timeValue = hostile && rng.chance(0.5) ? rng.pick(Self.hostileTimes) : Self.time(time, &rng)
        fields.append((.ts, timeValue))
        fields.append((.accountID, account.id))
        let g = account.group
        if rng.chance(0.8) {
            let network = g >= 0 ? "203.0.\(113 + g)" : "198.51.\(rng.int(0...255))"
            let ip: FuzzJSON = hostile && rng.chance(0.5)
                ? .string(rng.pick([
                    "999.999.999.999", "1.2.3", "[2001:db8::1]:443", "1.2.3.4:8080", "fe80::1%eth0", "::", "0.0.0.0",
                    "255.255.255.255", "81.2.69.***", "", "unknown", "::ffff:203.0.113.5", "1.2.3.4, 10.0.0.1", "١٢٣.١.١.١",
                    "2001:db8:" + String(repeating: "ffff:", count: 40), String(repeating: "1.", count: 5000),
                ]))
                : .string(rng.chance(0.2) ? "2001:db8:\(g + 1)::\(rng.int(1...99))" : "\(network).\(rng.int(1...254))")
            fields.append((.ip, ip))
        }
        if rng.chance(0.5) { fields.append((.paymentFingerprint, .string(g >= 0 ? "pm_shared_\(g)" : "pm_\(rng.hex(6))"))) }
        if rng.chance(0.5) { fields.append((.apiKeyID, .string(g >= 0 && rng.chance(0.5) ? "key_shared_\(g)" : "key_\(rng.hex(4))"))) }
        if rng.chance(0.3) { fields.append((.orgID, .string(rng.pick(["org_a", "org_b", "org_\(rng.int(0...9))"])))) }
        if rng.chance(0.6) { fields.append((.userAgent, .string(g >= 0 ? "python-httpx/0.27.0" : rng.pick(["Mozilla/5.0", "curl/8", "openai-python/1.3"])))) }
        if rng.chance(0.6) { fields.append((.model, .string(rng.pick(["gpt-4o", "claude-sonnet-4", "frontier-large-4"])))) }
        if rng.chance(0.4) { fields.append((.endpoint, .string(rng.pick(["/v1/messages", "/v1/responses", "/v1/chat/completions"])))) }
        if rng.chance(0.5) { fields.append((.status, Self.number(&rng, ordinary: 200...200, hostile: hostile, broken: hostile))) }
        if rng.chance(0.7) { fields.append((.inputTokens, Self.number(&rng, ordinary: 1...4000, hostile: hostile, broken: hostile))) }
        if rng.chance(0.7) { fields.append((.outputTokens, Self.number(&rng, ordinary: 1...4000, hostile: hostile, broken: hostile))) }
        if rng.chance(0.5) { fields.append((.latencyMs, Self.number(&rng, ordinary: 1...60_000, hostile: hostile, broken: hostile))) }
        if rng.chance(0.4) {
            let created = g >= 0 ? range.lowerBound + 800_000_000_000 + Int64(g) * 3_600_000 : time - Int64(rng.int(0...1_000_000_000))
            fields.append((.accountCreated, hostile && rng.chance(0.5) ? rng.pick(Self.hostileTimes) : Self.time(created, &rng)))
        }
        if rng.chance(0.3) { fields.append((.country, .string(rng.pick(["US", "DE", "", "ZZZ", "🇺🇸"])))) }
        if rng.chance(0.85) { fields += conversation(&rng, group: g, hostile: hostile) }
        if hostile {
            // Wrong types, repeated keys, deep nesting, broken numbers: in any field but the
            // id and time, and in those too.
            for _ in 0..<rng.int(1...3) {
                let k = rng.int(0..<fields.count)
                switch rng.int(0..<5) {
                case 0: fields[k].1 = rng.pick([.literal("true"), .literal("null"), .literal("{}"), .literal("[]"), .literal("-0"), .string("")])
                case 1: fields.append((fields[k].0, rng.pick([.literal("null"), .string("dup"), .literal("1"), fields[k].1])))
                case 2:
                    let depth = rng.chance(0.02) ? rng.pick([5000, 20_000]) : rng.pick([8, 64, 500])
                    let open = rng.chance(0.5) ? "[" : "{\"a\":"
                    let close = open == "[" ? "]" : "}"
                    fields[k].1 = .literal(String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth))
                case 3: fields[k].1 = .literal(rng.pick(Self.brokenNumbers))
                default: fields.append((fields[k].0, .literal(rng.pick(Self.hostileNumbers))))
                }
            }
        }
        // Names: the canonical one, an alias, or (under a preset) one of its mapped paths.
        var object = FuzzJSON.object([])
        var pairs: [(String, FuzzJSON)] = []
        for (field, value) in fields {
            let mapped = settings.preset.map { presetPaths[$0]![field.rawValue] } ?? []
            let path: [String]
            if !mapped.isEmpty && rng.chance(0.7) {
                path = rng.pick(mapped)
            } else if !field.aliases.isEmpty && rng.chance(0.2) && !(valid && (field == .ts || field == .accountID)) {
                path = [rng.pick(field.aliases)]
            } else {
                path = [field.canonicalName]
            }
            if path.count == 1 {
                pairs.append((path[0], value))
            } else {
                object = object.inserting(value, at: path[...])
            }
        }
        if case .object(let nested) = object { pairs += nested }
        if settings.preset == .nginxJSON || settings.preset == .azureOpenAI || settings.preset == .cloudflare, rng.chance(0.5) {
            // These carry a body or properties as JSON in a string.
            pairs = pairs.map { pair in
                if ["request_body", "properties", "metadata"].contains(pair.0), case .object = pair.1 { return (pair.0, .encoded(pair.1)) }
                return pair
            }
        }
        if rng.chance(0.3) { pairs.reverse() }
        let line = FuzzJSON.object(pairs).bytes
        // A line of the valid kind may still hold a value the decoder sets aside (a nested
        // array beyond its depth, a huge string over the line limit): only ordinary ones count.
        if line.count > 900_000 { valid = false }
        return (line, valid)
    }

    /// The file: JSON Lines (plain or gzip, CRLF, blank lines, a BOM), or the lines as a JSON
    /// array, a wrapper object, objects one after another, or CloudWatch envelopes.
    func frame(_ lines: [[UInt8]], _ rng: inout SeededRandom) -> (bytes: [UInt8], jsonLines: Bool) {
        var out: [UInt8] = []
        // One input in 25 framed: the framer reads every byte, so framed inputs cost most.
        let form = rng.int(0..<125)
        switch form {
        case 0, 1:
            out.append(0x5B)
            for (k, line) in lines.enumerated() {
                if k > 0 { out += rng.chance(0.5) ? Array(",\n  ".utf8) : [0x2C] }
                out += line
            }
            out += Array("]\n".utf8)
        case 2:
            out += Array("{\"data\":[".utf8)
            out += Array(lines.joined(separator: [0x2C]))
            out += Array("],\"count\":\(lines.count)}".utf8)
        case 3:
            for line in lines { out += line + (rng.chance(0.5) ? Array("\n\n".utf8) : []) }
        case 4:
            let events = lines.enumerated().map { k, line in
                FuzzJSON.object([("id", .string("\(k)")), ("timestamp", .literal("1777500000000")), ("message", .rawString(escaped(line)))])
            }
            out = FuzzJSON.object([("messageType", .string("DATA_MESSAGE")), ("logGroup", .string("g")), ("logEvents", .array(events))]).bytes
            out.append(0x0A)
        default:
            if rng.chance(0.03) { out += [0xEF, 0xBB, 0xBF] }
            let crlf = rng.chance(0.1)
            for (k, line) in lines.enumerated() {
                out += line
                if k < lines.count - 1 || rng.chance(0.8) { out += crlf ? [0x0D, 0x0A] : [0x0A] }
                if rng.chance(0.03) { out += Array("  \n".utf8) }
            }
        }
        return (out, form > 4)
    }

    /// A line's bytes escaped as the inside of a JSON string.
    func escaped(_ line: [UInt8]) -> [UInt8] {
        var quoted: [UInt8] = []
        FuzzJSON.quote(line, into: &quoted)
        return Array(quoted.dropFirst().dropLast())
    }
}

/// Runs inputs through `AnalyzeRun.run` and checks what it wrote.
final class AnalyzeFuzzer: @unchecked Sendable {
    /// Ends the checks of a run early (no second reading).
    struct CheckDone: Error {}

    struct Report: CustomStringConvertible {
        var runs = 0
        var inputs = 0
        var bytes = 0
        var recordsAccepted = 0
        var recordsRejected = 0
        var runsWithCandidates = 0
        var runsWithReported = 0
        var comparedThreads = 0
        var failures: [String] = []
        var failureCount = 0
        var slowestNanoseconds: UInt64 = 0
        var slowestInput = ""
        var nanoseconds: UInt64 = 0
        /// Seconds per stage, summed over the inputs (summary.json's `stage_seconds`).
        var stageSeconds: [String: Double] = [:]

        var description: String {
            "inputs=\(inputs) runs=\(runs) bytes=\(bytes) records accepted=\(recordsAccepted) rejected=\(recordsRejected) runs with candidates=\(runsWithCandidates) "
                + "with reported clusters=\(runsWithReported) thread comparisons=\(comparedThreads) failures=\(failureCount) "
                + "mean run=\(String(format: "%.1f", runs > 0 ? Double(nanoseconds) / Double(runs) / 1e6 : 0)) ms slowest=\(String(format: "%.1f", Double(slowestNanoseconds) / 1e6)) ms; mean ms per stage: "
                + stageSeconds.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.2f", $0.value * 1000 / Double(max(1, runs))))" }.joined(separator: " ")
        }

        mutating func add(_ other: Report) {
            runs += other.runs
            inputs += other.inputs
            bytes += other.bytes
            recordsAccepted += other.recordsAccepted
            recordsRejected += other.recordsRejected
            runsWithCandidates += other.runsWithCandidates
            runsWithReported += other.runsWithReported
            comparedThreads += other.comparedThreads
            failures += other.failures.prefix(max(0, 20 - failures.count))
            failureCount += other.failureCount
            nanoseconds += other.nanoseconds
            stageSeconds.merge(other.stageSeconds, uniquingKeysWith: +)
            if other.slowestNanoseconds > slowestNanoseconds {
                slowestNanoseconds = other.slowestNanoseconds
                slowestInput = other.slowestInput
            }
        }
    }

    /// Account ids (their bytes, as the accounts are told apart) of the accepted records.
    final class IDCollector: ExchangeConsumer {
        var ids = Set<[UInt8]>()
        var records = 0

        func consume(_ record: borrowing DecodedExchange) {
            records += 1
            ids.insert(record.withAccountIDBytes { Array($0) })
        }
    }

    let dump: String?
    let root: TemporaryDirectory

    init(dump: String?) throws {
        self.dump = dump
        root = try TemporaryDirectory()
    }

    /// The working directory of one worker: where its input and outputs are written.
    func workDirectory(_ worker: Int) throws -> String {
        let path = ((dump ?? root.path) as NSString).appendingPathComponent("w\(worker)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Inputs of run `run`: one to 96 files, as `analyze` reads a directory of daily logs.
    /// Runs are what cost (each rebuilds the population tables of linkage and scoring, about
    /// 60 MB zeroed whatever the input), so several inputs share one.
    static func inputsOfRun(seed: UInt64, _ run: Int, batch: Int?) -> Int {
        if let batch { return batch }
        var rng = SeededRandom(seed: seed, UInt64(run), 0xBA7C)
        return rng.chance(0.1) ? 1 : rng.int(2...96)
    }

    /// Runs `runs` from `seed`, run r on worker r % workers (run r is the same for any start
    /// and worker count).
    func run(seed: UInt64, runs: Range<Int>, batch: Int?, workers: Int) throws -> Report {
        let generator = try AnalyzeFuzzGenerator()
        let reports = ResultSlots<Report>(count: workers)
        let directories = try (0..<workers).map(workDirectory)
        runOnThreads(workers) { worker in
            var report = Report()
            var r = runs.lowerBound + worker
            while r < runs.upperBound {
                var rng = SeededRandom(seed: seed, UInt64(r))
                let settings = AnalyzeFuzzSettings.random(&rng, index: r)
                let base = AnalyzeFuzzGenerator.baseTime(&rng)
                let inputs = (0..<Self.inputsOfRun(seed: seed, r, batch: batch)).map { _ in
                    generator.make(&rng, settings: settings, base: rng.chance(0.9) ? base : nil)
                }
                self.check(inputs, settings: settings, name: "seed \(seed) run \(r)", directory: directories[worker], report: &report)
                if report.runs % 500 == 0 {
                    // A long run shows how far it is (and what it found so far).
                    print("analyze fuzz worker \(worker): \(report.runs) runs, \(report.inputs) inputs, \(report.failureCount) failures, at run \(r)")
                }
                r += workers
            }
            reports.set(worker, report)
        }
        var total = Report()
        for w in 0..<workers { total.add(reports.take(w)) }
        return total
    }

    /// Runs saved runs again: `DIR` or each directory in it that holds a `case` file (its
    /// inputs beside it, `input-0`, `input-1`, ...).
    func replay(directory: String) throws -> Report {
        var report = Report()
        let work = try workDirectory(0)
        let fm = FileManager.default
        let candidates = [directory] + (try fm.contentsOfDirectory(atPath: directory)).sorted().map { (directory as NSString).appendingPathComponent($0) }
        for dir in candidates where fm.fileExists(atPath: (dir as NSString).appendingPathComponent("case")) {
            let text = try String(contentsOfFile: (dir as NSString).appendingPathComponent("case"), encoding: .utf8)
            guard let settings = AnalyzeFuzzSettings(parsing: text) else {
                Issue.record("\(dir): unreadable settings")
                continue
            }
            var inputs: [AnalyzeFuzzInput] = []
            while let data = fm.contents(atPath: (dir as NSString).appendingPathComponent("input-\(inputs.count)")) {
                inputs.append(AnalyzeFuzzInput(bytes: Array(data)))
            }
            check(inputs, settings: settings, name: dir, directory: work, report: &report)
        }
        return report
    }

    /// Runs one set of inputs through `analyze` and checks its outputs.
    func check(_ inputs: [AnalyzeFuzzInput], settings: AnalyzeFuzzSettings, name: String, directory: String, report: inout Report) {
        let fm = FileManager.default
        let inputDirectory = (directory as NSString).appendingPathComponent("inputs")
        let paths = inputs.indices.map { (inputDirectory as NSString).appendingPathComponent("input-\($0)") }
        let out = (directory as NSString).appendingPathComponent("out")
        var problems: [String] = []
        do {
            try? fm.removeItem(atPath: inputDirectory)
            try fm.createDirectory(atPath: inputDirectory, withIntermediateDirectories: true)
            for (input, path) in zip(inputs, paths) { try Data(input.bytes).write(to: URL(fileURLWithPath: path)) }
            // The settings beside the inputs: a run that dies leaves both, ready to replay.
            if dump != nil { try Data("\(name)\n\(settings)\n".utf8).write(to: URL(fileURLWithPath: (inputDirectory as NSString).appendingPathComponent("case"))) }
            let started = DispatchTime.now().uptimeNanoseconds
            let summary = try AnalyzeRun.run(paths: paths, outputDirectory: out, config: settings.config())
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            report.nanoseconds += elapsed
            if elapsed > report.slowestNanoseconds {
                report.slowestNanoseconds = elapsed
                report.slowestInput = "\(name) (\(settings))"
            }
            report.runs += 1
            report.inputs += inputs.count
            report.bytes += inputs.reduce(0) { $0 + $1.bytes.count }
            report.recordsAccepted += summary.recordsAccepted
            report.recordsRejected += summary.recordsRejected
            report.stageSeconds.merge(summary.stageSeconds, uniquingKeysWith: +)
            problems += checkOutputs(out, summary: summary, settings: settings, directory: directory)
            if (summary.detection?.clustersScored ?? 0) > 0 { report.runsWithCandidates += 1 }
            if (summary.detection?.clustersReported ?? 0) > 0 { report.runsWithReported += 1 }

            // Identity: the accounts are the distinct ids of the accepted records (a second
            // reading: every 8th run, the runs compared across thread counts).
            guard settings.checkIdentity else { throw CheckDone() }
            var scanOptions = settings.config().scan
            scanOptions.threads = 1
            let (scanned, collectors) = LogScanner.scan(paths.map(InputSource.file), options: scanOptions) { _ in IDCollector() }
            let ids = collectors[0].ids
            if scanned.accepted != summary.recordsAccepted || collectors[0].records != summary.recordsAccepted {
                problems.append("records: analyze accepted \(summary.recordsAccepted), a scan \(scanned.accepted)")
            }
            if ids.count != summary.accountsSeen {
                problems.append("accounts: analyze saw \(summary.accountsSeen), the accepted records hold \(ids.count) distinct ids")
            }
            let validIDs = inputs.reduce(into: Set<[UInt8]>()) { $0.formUnion($1.validIDs) }
            let validLines = inputs.reduce(0) { $0 + $1.validLines }
            if !validIDs.isSubset(of: ids) || collectors[0].records < validLines {
                let missing = validIDs.subtracting(ids).map { String(decoding: $0, as: UTF8.self) }
                problems.append("lines built valid were lost: \(validLines) lines, accounts missing: \(missing.prefix(5))")
            }

            if settings.compareThreads {
                var other = settings
                other.threads = 3 - settings.threads
                let out2 = (directory as NSString).appendingPathComponent("out-other")
                let summary2 = try AnalyzeRun.run(paths: paths, outputDirectory: out2, config: other.config())
                problems += checkOutputs(out2, summary: summary2, settings: other, directory: directory)
                problems += compare(out, out2)
                report.comparedThreads += 1
            }
        } catch is CheckDone {
        } catch {
            problems.append("analyze threw: \(error)")
        }
        guard !problems.isEmpty else { return }
        report.failureCount += 1
        if report.failures.count < 20 {
            let first = inputs.first.map { String(decoding: $0.bytes.prefix(600), as: UTF8.self) } ?? ""
            report.failures.append("\(name) (\(settings)): \(problems.joined(separator: "; "))\n  first input: \(first)")
        }
        if let dump, report.failureCount <= 200 {
            let kept = (dump as NSString).appendingPathComponent("fail-\(name.replacingOccurrences(of: " ", with: "-"))")
            try? fm.createDirectory(atPath: kept, withIntermediateDirectories: true)
            for (k, input) in inputs.enumerated() {
                try? Data(input.bytes).write(to: URL(fileURLWithPath: (kept as NSString).appendingPathComponent("input-\(k)")))
            }
            try? Data("\(settings)\n".utf8).write(to: URL(fileURLWithPath: (kept as NSString).appendingPathComponent("case")))
        }
    }

    /// The output set of one run: every file there, no staging directory left beside it, and
    /// the tables as long as the summary says.
    func checkOutputs(_ out: String, summary: RunSummary, settings: AnalyzeFuzzSettings, directory: String) -> [String] {
        var problems: [String] = []
        let fm = FileManager.default
        var names = ["clusters.csv", "accounts.csv", "candidates.csv", "summary.json", "report.html"]
        if settings.json { names += ["clusters.json", "accounts.json"] }
        for name in names where !fm.fileExists(atPath: (out as NSString).appendingPathComponent(name)) {
            problems.append("\(name) not written")
        }
        if let leftovers = try? fm.contentsOfDirectory(atPath: directory).filter({ $0.hasPrefix(".") }), !leftovers.isEmpty {
            problems.append("left beside the outputs: \(leftovers)")
        }
        guard let detection = summary.detection else { return problems + ["summary without detection"] }
        for (name, expected) in [
            ("clusters.csv", detection.clustersReported), ("accounts.csv", detection.accountsFlagged),
            ("candidates.csv", detection.clustersScored),
        ] {
            let rows = Self.csvRecords((out as NSString).appendingPathComponent(name)) - 1
            if rows != expected { problems.append("\(name): \(rows) rows, the summary says \(expected)") }
        }
        return problems
    }

    /// Records of a CSV file (quoted fields may hold line ends).
    static func csvRecords(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return -1 }
        var records = 0
        var quoted = false
        var atStart = true
        for b in data {
            if b == 0x22 { quoted.toggle() }
            if b == 0x0A && !quoted {
                records += 1
                atStart = true
            } else {
                atStart = false
            }
        }
        return records + (atStart ? 0 : 1)
    }

    /// Differences between two output sets of one input (summary.json without its timings
    /// and thread count).
    func compare(_ a: String, _ b: String) -> [String] {
        var problems: [String] = []
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: a).sorted()) ?? []
        if names != ((try? fm.contentsOfDirectory(atPath: b).sorted()) ?? []) { problems.append("the two runs wrote different files") }
        for name in names {
            let pathA = (a as NSString).appendingPathComponent(name)
            let pathB = (b as NSString).appendingPathComponent(name)
            if name == "summary.json" {
                if Self.withoutTimings(pathA) != Self.withoutTimings(pathB) { problems.append("summary.json differs between 1 and 2 threads") }
            } else if fm.contents(atPath: pathA) != fm.contents(atPath: pathB) {
                problems.append("\(name) differs between 1 and 2 threads")
            }
        }
        return problems
    }

    static func withoutTimings(_ path: String) -> Data? {
        guard let data = FileManager.default.contents(atPath: path),
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        for key in ["seconds", "stage_seconds", "decompressed_mb_per_second"] { object[key] = nil }
        if var options = object["options"] as? [String: Any] {
            options["threads"] = nil
            object["options"] = options
        }
        return try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}

@Suite("Fuzzing the whole analyze path")
struct AnalyzeFuzzTests {
    @Test("seeded hostile logs through decode, accounts, linkage, scoring and outputs: no crash, no hang, consistent outputs")
    func fuzz() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["DISTILL_ANALYZE_FUZZ_INPUTS"].flatMap(Int.init) ?? 100
        let seed = environment["DISTILL_ANALYZE_FUZZ_SEED"].flatMap(UInt64.init) ?? 1
        let startRun = environment["DISTILL_ANALYZE_FUZZ_START"].flatMap(Int.init) ?? 0
        let batch = environment["DISTILL_ANALYZE_FUZZ_BATCH"].flatMap(Int.init).map { max(1, $0) }
        let workers = max(1, environment["DISTILL_ANALYZE_FUZZ_WORKERS"].flatMap(Int.init) ?? 1)
        let maxMs = environment["DISTILL_ANALYZE_FUZZ_MAX_MS"].flatMap(Double.init) ?? 30_000
        let fuzzer = try AnalyzeFuzzer(dump: environment["DISTILL_ANALYZE_FUZZ_DUMP"])
        if let directory = environment["DISTILL_ANALYZE_FUZZ_REPLAY"] {
            let replayed = try fuzzer.replay(directory: directory)
            print("analyze fuzz replay: \(replayed)\n" + replayed.failures.joined(separator: "\n"))
            #expect(replayed.failureCount == 0)
            return
        }
        // The runs that hold `count` inputs from `startRun` on.
        var endRun = startRun
        var planned = 0
        while planned < count {
            planned += AnalyzeFuzzer.inputsOfRun(seed: seed, endRun, batch: batch)
            endRun += 1
        }
        let started = monotonicSeconds()
        let report = try fuzzer.run(seed: seed, runs: startRun..<endRun, batch: batch, workers: workers)
        print("analyze fuzz (seed \(seed), runs \(startRun)..<\(endRun), \(workers) workers, \(String(format: "%.0f", monotonicSeconds() - started)) s): \(report)")
        #expect(report.inputs == planned)
        #expect(report.runsWithCandidates > report.runs / 10, "runs should often make candidate clusters")
        #expect(report.failureCount == 0, "\(report.failures.joined(separator: "\n"))")
        #expect(Double(report.slowestNanoseconds) / 1e6 < maxMs, "slowest run: \(report.slowestInput)")
    }
}

/// What the analyze fuzzer found, each as the smallest input that showed it.
@Suite("Analyze fuzzer finds")
struct AnalyzeFuzzFindsTests {
    /// Runs `analyze` on `bytes` as a file of its own.
    func analyze(_ bytes: [UInt8], _ config: AnalyzeConfig = hostileAnalyzeConfig()) throws -> RunSummary {
        let dir = try TemporaryDirectory()
        let log = try dir.write("input.log", bytes: bytes)
        return try AnalyzeRun.run(paths: [log], outputDirectory: dir.file("out"), config: config)
    }

    @Test("a framed record with 100,000 open brackets closed by one of the other kind is rejected, not a stack overflow")
    func deepMismatchedClose() throws {
        let deep = "[{\"ts\":\"2026-04-20T00:00:00Z\",\"account_id\":\"a\",\"x\":" + String(repeating: "[", count: 100_000) + "},\n"
            + "{\"ts\":\"2026-04-20T00:00:01Z\",\"account_id\":\"b\"}]\n"
        let summary = try analyze(Array(deep.utf8))
        #expect(summary.recordsAccepted == 1)
        #expect(summary.rejectedByReason == ["invalid_json": 1])
    }

    @Test("a tool result outside a conversation after a line with a tool round: no stale range past the line's spans")
    func staleToolResultRange() throws {
        let lines = [
            #"{"ts":"2026-04-20T00:00:00Z","account_id":"a","messages":[{"role":"user","content":[{"type":"tool_result","content":"one"},{"type":"tool_result","content":"two"}]}]}"#,
            #"{"ts":"2026-04-20T00:00:01Z","account_id":"b","prompt":[{"type":"tool_result","content":"x"}]}"#,
        ]
        var config = hostileAnalyzeConfig()
        config.scan.threads = 1
        let summary = try analyze(Array((lines.joined(separator: "\n") + "\n").utf8), config)
        #expect(summary.recordsAccepted == 2)
        // The second line alone, and after the first, reads the same.
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        for line in lines { _ = Array(line.utf8).withUnsafeBytes { decoder.decode($0) } }
        #expect(decoder.record.toolResultText == nil)
    }

    @Test("a string on a preset path that holds an array, not an object, is read again from where the line moved (langfuse `input`)")
    func encodedArrayOnObjectPath() throws {
        // `input` feeds `messages` and leads to `input.messages`: reading it as an object
        // moved the line into the decoder's arena, and it was read again through a pointer
        // into the old line (garbage offsets, a valid line rejected, or an Int32 trap).
        let line = #"{"ts":"2026-04-20T00:00:00Z","input":"[{\"role\":\"user\",\"content\":\"Write a parser\"}]","trace":{"userId":"u1"}}"#
        var config = hostileAnalyzeConfig()
        config.scan.fieldMappings = LogPreset.langfuse.mappings
        let summary = try analyze(Array((line + "\n").utf8), config)
        #expect(summary.recordsAccepted == 1)
        #expect(summary.accountsSeen == 1)
        var decoder = ExchangeDecoder(schema: DecodeSchema(mappings: LogPreset.langfuse.mappings))
        Array(line.utf8).withUnsafeBytes { raw in
            #expect(decoder.decode(raw) == nil)
            #expect(decoder.record.string(.accountID) == "u1")
            #expect(decoder.record.prompt == "Write a parser")
        }
    }

    @Test("how deep a line's encoded strings are read does not depend on the lines read before it")
    func arenaBoundIsTheLines() throws {
        // Three strings of JSON, one inside the other, each nearly as long as the line: more
        // than the three line lengths the decoder's arena holds for a line. A decoder that had
        // read a longer line before read the third level too (and counts then changed with
        // thread count and timing).
        let text = String(repeating: "x", count: 1000)
        let nested = FuzzJSON.encoded(.object([("b", .encoded(.object([("c", .encoded(.object([("d", .string(text))])))])))]))
        let line = #"{"ts":"2026-04-20T00:00:00Z","account_id":"a","a":"# + String(decoding: nested.bytes, as: UTF8.self) + "}"
        let long = #"{"ts":"2026-04-20T00:00:00Z","account_id":"b","a":"{\"b\":1}","pad":""# + String(repeating: "y", count: 100_000) + #""}"#
        let schema = DecodeSchema(mappings: [try FieldMapping(parsing: "prompt=a.b.c.d")])
        func prompt(_ decoder: inout ExchangeDecoder, _ text: String) -> String? {
            Array(text.utf8).withUnsafeBytes { raw in decoder.decode(raw) == nil ? decoder.record.prompt : "rejected" }
        }
        var fresh = ExchangeDecoder(schema: schema)
        let alone = prompt(&fresh, line)
        #expect(alone == nil, "the third string is beyond the line's bound")
        var used = ExchangeDecoder(schema: schema)
        _ = prompt(&used, long)
        #expect(prompt(&used, line) == alone)
    }
}
