import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// These tests are about reading fields, not the time range: any time is accepted.
private let anyTime = Int64.min...Int64.max

/// Decodes one line; nil reason means accepted.
private func decode(_ line: String, mappings: [FieldMapping] = []) -> (RejectReason?, ContractOutcome) {
    var decoder = ExchangeDecoder(schema: DecodeSchema(mappings: mappings), plausibleTimes: anyTime)
    let bytes = Array(line.utf8)
    let outcome = scannerOutcome(bytes, decoder: &decoder)
    if case .rejected(let reason) = outcome { return (reason, outcome) }
    return (nil, outcome)
}

private func accepted(_ line: String, mappings: [FieldMapping] = [], sourceLocation: SourceLocation = #_sourceLocation) -> ContractRecord? {
    let (reason, outcome) = decode(line, mappings: mappings)
    #expect(reason == nil, "rejected \(line): \(String(describing: reason))", sourceLocation: sourceLocation)
    guard case .accepted(let record) = outcome else { return nil }
    // Every line checked here must also agree with the Foundation reference.
    let reference = ReferenceDecoder.decode(Array(line.utf8), sources: FieldSources(mappings: mappings), plausibleTimes: anyTime)
    #expect(reference.matches(outcome), "scanner \(outcome) vs reference \(reference)", sourceLocation: sourceLocation)
    return record
}

@Suite("Decoding fields and aliases")
struct DecoderFieldTests {
    /// A JSON value of the right type for a field.
    static func sampleValue(_ field: LogField) -> (json: String, check: (ContractRecord) -> Bool) {
        switch field {
        case .ts: return ("\"2026-04-22T13:45:01.123Z\"", { $0.ts == 1_776_865_501_123 })
        case .accountCreated: return ("\"2026-04-07T04:29:00Z\"", { $0.integers[.accountCreated] == 1_775_536_140_000 })
        case .status, .inputTokens, .outputTokens: return ("812", { $0.integers[field] == 812 })
        case .latencyMs: return ("20311.5", { $0.latency == 20311.5 })
        case .prompt: return ("\"Implement an LRU cache\"", { $0.prompt == "Implement an LRU cache" })
        case .system: return ("\"You are terse.\"", { $0.system == "You are terse." })
        case .messages:
            return ("[{\"role\":\"user\",\"content\":\"hi there\"}]", { $0.prompt == "hi there" && $0.messageCount == 1 })
        case .tools: return ("[{\"name\":\"run_tests\"}]", { $0.sources[.tools] != nil })
        default: return ("\"value-\(field.canonicalName)\"", { $0.strings[field] == "value-\(field.canonicalName)" })
        }
    }

    @Test("every field is read under its canonical name and each alias, with the name recorded")
    func everyAlias() throws {
        for field in LogField.allCases {
            for (priority, name) in ([field.canonicalName] + field.aliases).enumerated() {
                let (json, check) = Self.sampleValue(field)
                var parts = ["\"\(name)\":\(json)"]
                if field != .ts { parts.append("\"ts\":\"2026-04-22T13:45:01Z\"") }
                if field != .accountID { parts.append("\"account_id\":\"acct_9\"") }
                let line = "{" + parts.joined(separator: ",") + "}"
                let record = try #require(accepted(line), "\(name)")
                #expect(check(record), "field \(field.canonicalName) via \(name): \(record)")
                #expect(record.sources[field] == priority, "\(name)")
            }
        }
    }

    @Test("the first present name in priority order wins, whatever the key order")
    func aliasPriority() throws {
        let a = try #require(accepted("{\"user\":\"second\",\"ts\":1,\"account_id\":\"first\",\"user_id\":\"third\"}"))
        #expect(a.strings[.accountID] == "first")
        let b = try #require(accepted("{\"end_user\":\"last\",\"ts\":1,\"user\":\"middle\"}"))
        #expect(b.strings[.accountID] == "middle")
    }

    @Test("a wrong-typed alias is absent, so the next name supplies the field")
    func wrongTypeFallsThrough() throws {
        let r = try #require(accepted("{\"ts\":1,\"account_id\":null,\"user_id\":\"u\",\"status\":\"OK\",\"status_code\":503}"))
        #expect(r.strings[.accountID] == "u")
        #expect(r.integers[.status] == 503)
    }

    @Test("--field-map reads dotted paths and takes priority over the usual names")
    func fieldMap() throws {
        let maps = [
            try FieldMapping(parsing: "account_id=metadata.user_api_key_user_id"),
            try FieldMapping(parsing: "prompt=request.body.input"),
            try FieldMapping(parsing: "ip=metadata.headers.x-forwarded-for"),
        ]
        let line = """
            {"ts":"2026-04-22T13:45:01Z","account_id":"gateway-key-owner","metadata":{"user_api_key_user_id":"acct_real","headers":{"x-forwarded-for":"198.51.100.4","host":"api"}},"request":{"body":{"input":"mapped prompt","other":[1,2]}},"prompt":"top-level prompt"}
            """
        let r = try #require(accepted(line, mappings: maps))
        #expect(r.strings[.accountID] == "acct_real")
        #expect(r.sources[.accountID] == 0)
        #expect(r.prompt == "mapped prompt")
        #expect(r.strings[.ip] == "198.51.100.4")
        // When the mapped path is missing, the usual names still work.
        let fallback = try #require(accepted("{\"ts\":1,\"account_id\":\"plain\",\"metadata\":{}}", mappings: maps))
        #expect(fallback.strings[.accountID] == "plain")
        #expect(fallback.sources[.accountID] == 1)
    }

    @Test("field-map parsing reports unknown fields and malformed paths")
    func fieldMapErrors() {
        #expect(throws: FieldMappingError.unknownField("acount_id")) { try FieldMapping(parsing: "acount_id=a.b") }
        #expect(throws: FieldMappingError.malformed("account_id")) { try FieldMapping(parsing: "account_id") }
        #expect(throws: FieldMappingError.malformed("account_id=a..b")) { try FieldMapping(parsing: "account_id=a..b") }
    }

    @Test("numeric account ids are read as their digits")
    func numericIdentifiers() throws {
        let r = try #require(accepted("{\"ts\":1,\"user_id\":123456789,\"org_id\":42}"))
        #expect(r.strings[.accountID] == "123456789")
        #expect(r.strings[.orgID] == "42")
    }

    @Test("optional fields of the wrong type are absent and never reject the line")
    func wrongTypedOptionals() throws {
        let line = logLine("""
            "status":"OK","api_key_id":null,"input_tokens":1.5,"output_tokens":true,"ip":5,"user_agent":["x"],"latency_ms":"fast","model":{},"account_created":"someday","messages":{},"system":7,"country":""
            """)
        let r = try #require(accepted(line))
        #expect(r.integers.isEmpty)
        #expect(r.strings.keys.sorted { $0.rawValue < $1.rawValue } == [.accountID])
        #expect(r.latency == nil && r.prompt == nil && r.system == nil)
    }

    @Test("whole-number tokens written as 812.0 or 8.12e2 are integers")
    func integralNumbers() throws {
        let r = try #require(accepted(logLine("\"input_tokens\":812.0,\"output_tokens\":8.12e2,\"status\":-1")))
        #expect(r.integers[.inputTokens] == 812)
        #expect(r.integers[.outputTokens] == 812)
        #expect(r.integers[.status] == -1)
    }
}

@Suite("Messages, prompts and system text")
struct DecoderMessageTests {
    @Test("the prompt is the last user message; block content is joined; system comes from the system role")
    func messages() throws {
        let line = logLine("""
            "messages":[{"role":"system","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"part one"},{"type":"image","source":{"data":"..."}},{"type":"text","text":"part two"}]}]
            """)
        let r = try #require(accepted(line))
        #expect(r.prompt == "part one\npart two")
        #expect(r.system == "Be brief.")
        #expect(r.messageCount == 4)
        #expect(r.userMessageCount == 2)
    }

    @Test("a top-level prompt wins over messages, a top-level system over a system message")
    func explicitFieldsWin() throws {
        let line = logLine("""
            "messages":[{"role":"system","content":"from messages"},{"role":"user","content":"from messages"}],"prompt":"explicit","system":[{"type":"text","text":"explicit system"}]
            """)
        let r = try #require(accepted(line))
        #expect(r.prompt == "explicit")
        #expect(r.system == "explicit system")
    }

    @Test("logs without prompt text are accepted with no prompt")
    func noPrompt() throws {
        let r = try #require(accepted(logLine("\"model\":\"m\"")))
        #expect(r.prompt == nil)
    }
}

@Suite("JSON strings: escapes, surrogates and UTF-8")
struct DecoderTextTests {
    @Test("all JSON escapes and surrogate pairs decode")
    func escapes() throws {
        let line = logLine(#""prompt":"q\"b\\s\/n\nt\tr\rb\bf\f é \u00e9 \u4e2d \ud83d\ude00 end""#)
        let r = try #require(accepted(line))
        #expect(r.prompt == "q\"b\\s/n\nt\tr\rb\u{8}f\u{c} é é 中 😀 end")
    }

    @Test("escaped keys are matched after unescaping")
    func escapedKeys() throws {
        let r = try #require(accepted(#"{"\u0074s":1,"account\u005fid":"acct_esc"}"#))
        #expect(r.strings[.accountID] == "acct_esc")
    }

    @Test("a lone surrogate escape becomes U+FFFD instead of losing the line")
    func loneSurrogate() throws {
        // JSONSerialization rejects this line; the contract keeps it (Python's json writes such
        // strings), so it is the one place the scanner knowingly differs.
        let (reason, outcome) = decode(logLine(#""prompt":"a\ud800b\udc00c""#))
        #expect(reason == nil)
        guard case .accepted(let r) = outcome else { return }
        #expect(r.prompt == "a\u{FFFD}b\u{FFFD}c")
    }

    @Test("raw multi-byte UTF-8 is kept as is")
    func rawUTF8() throws {
        let r = try #require(accepted(logLine("\"prompt\":\"東京 café 😂\"")))
        #expect(r.prompt == "東京 café 😂")
    }

    @Test("invalid UTF-8 anywhere rejects the line as invalid_utf8", arguments: [
        [0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80],
    ] as [[UInt8]])
    func invalidUTF8(_ bad: [UInt8]) {
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: anyTime)
        let inString = Array("{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"x".utf8) + bad + Array("y\"}".utf8)
        let outside = Array("{\"ts\":1,\"account_id\":\"a\",".utf8) + bad + Array("}".utf8)
        #expect(scannerOutcome(outside, decoder: &decoder) == .rejected(.invalidUTF8))
        #expect(ReferenceDecoder.decode(outside, sources: FieldSources(), plausibleTimes: anyTime) == .rejected(.invalidUTF8))
        // Inside a string the record is kept, the bad bytes read as U+FFFD and counted.
        guard case .accepted(let r) = scannerOutcome(inString, decoder: &decoder) else {
            Issue.record("a string with invalid UTF-8 rejected its record")
            return
        }
        #expect(r.prompt == String(decoding: Array("x".utf8) + bad + Array("y".utf8), as: UTF8.self))
        #expect(r.prompt?.contains("\u{FFFD}") == true)
        #expect(decoder.record.repairedStrings == 1)
    }

    @Test("a UTF-8 byte order mark before the object is ignored")
    func byteOrderMark() throws {
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: anyTime)
        let line = [0xEF, 0xBB, 0xBF] + Array(logLine().utf8)
        guard case .accepted(let r) = scannerOutcome(line, decoder: &decoder) else {
            Issue.record("BOM line rejected")
            return
        }
        #expect(r.strings[.accountID] == "acct_1")
    }
}

@Suite("Rejection reasons")
struct DecoderRejectionTests {
    @Test("each bad line is rejected with its reason", arguments: [
        ("{\"ts\":1,\"account_id\":\"a\"", RejectReason.invalidJSON),
        ("{\"ts\":1,\"account_id\":\"a\"} trailing", .invalidJSON),
        ("{\"ts\":1,\"account_id\":'a'}", .invalidJSON),
        ("{\"ts\":01,\"account_id\":\"a\"}", .invalidJSON),
        ("{\"ts\":1,\"account_id\":\"a\",\"x\":1e400}", .invalidJSON),
        ("{\"ts\":1,\"account_id\":\"tab\there\"}", .invalidJSON),
        ("{\"ts\":1,\"account_id\":\"\\x\"}", .invalidJSON),
        ("[{\"ts\":1,\"account_id\":\"a\"}]", .notObject),
        ("\"just a string\"", .notObject),
        ("42", .notObject),
        ("null", .notObject),
        ("{\"account_id\":\"a\"}", .missingTimestamp),
        ("{\"ts\":null,\"account_id\":\"a\"}", .missingTimestamp),
        ("{\"ts\":\"last tuesday\",\"account_id\":\"a\"}", .badTimestamp),
        ("{\"ts\":\"2026-02-30T00:00:00Z\",\"account_id\":\"a\"}", .badTimestamp),
        ("{\"ts\":\"2026-04-22T25:00:00Z\",\"account_id\":\"a\"}", .badTimestamp),
        ("{\"ts\":\"\",\"account_id\":\"a\"}", .badTimestamp),
        ("{\"ts\":1}", .missingAccountID),
        ("{\"ts\":1,\"account_id\":\"\"}", .missingAccountID),
        ("{\"ts\":1,\"account_id\":{\"id\":\"a\"}}", .missingAccountID),
        ("{\"ts\":1,\"account_id\":-5}", .missingAccountID),
    ])
    func reasons(_ line: String, _ reason: RejectReason) {
        #expect(decode(line).0 == reason, "\(line)")
        #expect(ReferenceDecoder.decode(Array(line.utf8), sources: FieldSources(), plausibleTimes: anyTime) == .rejected(reason), "reference: \(line)")
    }

    @Test("nesting deeper than JSONSerialization allows is rejected; up to it is accepted")
    func depth() {
        let ok = logLine("\"deep\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511))
        let tooDeep = logLine("\"deep\":" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        #expect(decode(ok).0 == nil)
        #expect(decode(tooDeep).0 == .invalidJSON)
        #expect(ReferenceDecoder.decode(Array(tooDeep.utf8), sources: FieldSources(), plausibleTimes: anyTime) == .rejected(.invalidJSON))
        let huge = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(decode(huge).0 == .invalidJSON)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("RFC 3339 forms agree with ISO8601DateFormatter", arguments: [
        "2026-04-22T13:45:01Z", "2026-04-22T13:45:01.123Z", "2026-04-22T13:45:01.5+02:00", "2026-04-22T13:45:01-07:30",
        "1999-12-31T23:59:59.999Z", "2024-02-29T12:00:00Z", "2026-01-01T00:00:00+14:00", "1970-01-01T00:00:00Z",
    ])
    func rfc3339(_ text: String) throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        let date = try #require(formatter.date(from: text))
        let expected = Int64((date.timeIntervalSince1970 * 1000).rounded())
        #expect(Timestamp.parseMilliseconds(text) == expected, "\(text)")
    }

    @Test("other accepted forms", arguments: [
        ("2026-04-22 13:45:01", Int64(1_776_865_501_000)), ("2026-04-22T13:45", 1_776_865_500_000),
        ("2026-04-22", 1_776_816_000_000), ("2026-04-22t13:45:01z", 1_776_865_501_000),
        ("2026-04-22T13:45:01.123456789Z", 1_776_865_501_123), ("2026-04-22T13:45:01+0200", 1_776_858_301_000),
        ("2026-04-22T13:45:60Z", 1_776_865_559_000), ("1776865501", 1_776_865_501_000), ("1776865501123", 1_776_865_501_123),
    ])
    func otherForms(_ text: String, _ expected: Int64) {
        #expect(Timestamp.parseMilliseconds(text) == expected, "\(text)")
    }

    @Test("unreadable times", arguments: ["2026-13-01T00:00:00Z", "2026-04-22T13:45:01.Z", "2026/04/22", "yesterday", "2026-04-22T13:45:01 UTC", "2026-04-22T1:45:01Z", "", "2026-04-22T13:45:01+25:00"])
    func unreadable(_ text: String) {
        #expect(Timestamp.parseMilliseconds(text) == nil, "\(text)")
    }

    @Test("epoch numbers: seconds, fractional seconds, and milliseconds above 10^11")
    func epochNumbers() throws {
        for (json, expected) in [("1776865501", Int64(1_776_865_501_000)), ("1776865501.25", 1_776_865_501_250),
                                 ("1776865501123", 1_776_865_501_123), ("1.776865501123e12", 1_776_865_501_123)] {
            let r = try #require(accepted(logLine(ts: json)))
            #expect(r.ts == expected, "\(json)")
        }
    }

    @Test("format and parse round-trip, and civil dates invert")
    func roundTrip() {
        for ms in [Int64(0), 1_776_865_501_123, 951_782_400_000, -86_400_000, 4_102_444_799_999] {
            #expect(Timestamp.parseMilliseconds(Timestamp.format(milliseconds: ms)) == ms)
        }
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            let (y, m, d) = Timestamp.civilFromDays(days)
            #expect(Timestamp.daysFromCivil(year: y, month: m, day: d) == days)
        }
    }
}
