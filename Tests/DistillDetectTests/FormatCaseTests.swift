// The handed cases of real gateway and provider log shapes (cases/formats/README.md), each
// as the values its README expects, over copies of the files.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

private let formats = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/formats")

private func path(_ name: String) -> String { formats.appendingPathComponent(name).path }

/// What one line gave: the reject reason, or the fields read.
struct DecodedLine {
    var reason: RejectReason?
    var ts: Int64 = 0
    var account: String?
    var prompt: String?
    var system: String?
    var ip: String?
    var model: String?
    var status: Int64?
    var latency: Double?
    var toolCalls = 0
    var toolResults = 0
    var toolSetKey: UInt64 = 0
    var toolResultText: String?
    var repairedStrings = 0
    var invalidValues: UInt32 = 0
}

/// Decodes every line of a fixture as `analyze` would (time range: any).
func decodeLines(_ file: String, mappings: [FieldMapping] = []) throws -> [DecodedLine] {
    let bytes = try InputSource.file(file).readAllBytes()
    var decoder = ExchangeDecoder(schema: DecodeSchema(mappings: mappings), plausibleTimes: Timestamp.plausibleRange())
    var out: [DecodedLine] = []
    for line in bytes.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
        let bytes = Array(line)
        // The record points into the line: read it while the bytes live.
        let d = bytes.withUnsafeBytes { raw -> DecodedLine in
        let reason = decoder.decode(raw)
        var d = DecodedLine(reason: reason)
        if reason == nil {
            let r = decoder.record
            d.ts = r.timestampMilliseconds
            d.account = r.string(.accountID)
            d.prompt = r.prompt
            d.system = r.system
            d.ip = r.string(.ip)
            d.model = r.string(.model)
            d.status = r.integer(.status)
            d.latency = r.latencyMs
            d.toolCalls = r.toolCalls
            d.toolResults = r.toolResults
            d.toolSetKey = r.toolSetKey
            d.toolResultText = r.toolResultText
            d.repairedStrings = r.repairedStrings
            d.invalidValues = r.invalidValues
        } else {
            d.repairedStrings = decoder.record.repairedStrings
        }
        return d
        }
        out.append(d)
    }
    return out
}

private func check(_ file: String, preset: LogPreset? = nil, mappings: [FieldMapping] = []) throws -> RunSummary {
    var options = ScanOptions()
    options.threads = 2
    options.preset = preset
    options.fieldMappings = mappings + (preset?.mappings ?? [])
    return try LogCheck.run(paths: [file], options: options, maxRejectRate: 0.01)
}

/// The JSON objects of a JSON Lines fixture, read by Foundation (to derive expectations).
private func jsonObjects(_ file: String) throws -> [[String: Any]] {
    try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").compactMap {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

@Suite("Real gateway and provider log shapes (cases/formats)")
struct FormatCaseTests {
    @Test("01 LiteLLM StandardLoggingPayload: every record accepted under the metadata user with --preset litellm")
    func liteLLMPayload() throws {
        let file = path("01_litellm_standard_logging_payload.jsonl")
        let plain = try check(file)
        #expect(plain.recordsAccepted < 12)
        #expect(plain.presetSuggestion?.contains("--preset litellm") == true)
        let summary = try check(file, preset: .litellm)
        #expect(summary.recordsAccepted == 12 && summary.recordsRejected == 0)
        #expect(summary.fields["account_id"]?.sources["metadata.user_api_key_user_id"] == 12)
        let expected = try jsonObjects(file).map { (($0["metadata"] as! [String: Any])["user_api_key_user_id"] as! String) }
        let lines = try decodeLines(file, mappings: LogPreset.litellm.mappings)
        #expect(lines.map(\.account) == expected)
        // startTime is epoch seconds as a float.
        #expect(lines.first?.ts == 1_717_200_000_000)
    }

    @Test("02 polluted user ids: blank, whitespace and boolean-looking ids are missing; JSON objects are counted, not ids")
    func pollutedUserIDs() throws {
        let file = path("02_litellm_user_polluted.jsonl")
        let lines = try decodeLines(file)
        let accounts = Set(lines.compactMap(\.account))
        #expect(accounts == ["u-real-1"])
        #expect(lines.filter { $0.reason == .missingAccountID }.count == 8)
        let summary = try check(file)
        #expect(summary.rejectedByReason["missing_account_id"] == 8)
        #expect(summary.accountsSeen == 1)
        // Three ids held an object encoded as a string (two JSON, one Python repr).
        let objects = try jsonObjects(file).filter { ($0["user"] as? String)?.hasPrefix("{") == true }.count
        #expect(objects == 3)
        #expect(summary.invalidValues["account_id"] == objects)
        #expect(LogCheck.render(summary).contains("values left out: account_id in 3 record(s)"))
    }

    @Test("05 Bedrock invocation log: 10 records with --preset bedrock, prompts and system prompts found")
    func bedrock() throws {
        let file = path("05_bedrock_invocation.jsonl")
        let summary = try check(file, preset: .bedrock)
        #expect(summary.recordsAccepted == 10)
        let lines = try decodeLines(file, mappings: LogPreset.bedrock.mappings)
        let objects = try jsonObjects(file)
        for (line, object) in zip(lines, objects) {
            let body = (object["input"] as! [String: Any])["inputBodyJson"] as! [String: Any]
            let last = (body["messages"] as! [[String: Any]]).last!["content"] as! [[String: Any]]
            #expect(line.prompt == last.compactMap { $0["text"] as? String }.joined(separator: "\n"))
            #expect(line.system == "You are a terse assistant.")
            #expect(line.account?.hasPrefix("arn:aws:sts::") == true)
        }
    }

    @Test("07a OpenAI content parts: developer is the system prompt, input_text is prompt text, empty prompts are none")
    func openAIContentParts() throws {
        let file = path("07a_openai_content_parts.jsonl")
        let lines = try decodeLines(file)
        let objects = try jsonObjects(file)
        #expect(lines.count == objects.count)
        for (line, object) in zip(lines, objects) {
            let messages = object["messages"] as! [[String: Any]]
            let developer = messages.first { $0["role"] as? String == "developer" }?["content"] as? String
            #expect(line.system == developer)
            let user = messages.last { $0["role"] as? String == "user" }!
            var texts: [String] = []
            if let s = user["content"] as? String { texts = [s] }
            for part in user["content"] as? [[String: Any]] ?? [] where ["text", "input_text"].contains(part["type"] as? String ?? "") {
                texts.append(part["text"] as? String ?? "")
            }
            let visible = texts.contains { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            #expect(line.prompt == (visible ? texts.joined(separator: "\n") : nil), "\(object)")
        }
        let summary = try check(file)
        let withText = lines.filter { $0.prompt != nil }.count
        #expect(summary.recordsWithPrompt == withText)
    }

    @Test("08 Anthropic tool loops: the prompt is the newest human text, never empty; tool results and system are features")
    func anthropicToolLoops() throws {
        let file = path("08_anthropic_messages_body.jsonl")
        let plain = try check(file)
        #expect(plain.presetSuggestion?.contains("--preset anthropic-messages") == true)
        let lines = try decodeLines(file, mappings: LogPreset.anthropicMessages.mappings)
        let objects = try jsonObjects(file)
        #expect(lines.allSatisfy { $0.reason == nil })
        for (line, object) in zip(lines, objects) {
            let messages = object["messages"] as! [[String: Any]]
            // The last user turn holds only tool results: the human text is the first turn.
            #expect(line.prompt == messages.first!["content"] as? String)
            #expect(line.prompt?.isEmpty == false)
            #expect(line.system == "You are a coding agent working in repository R.")
            #expect(line.toolCalls == 1 && line.toolResults == 1)
            let result = (messages.last!["content"] as! [[String: Any]]).first!
            let text = (result["content"] as! [[String: Any]]).compactMap { $0["text"] as? String }.joined(separator: "\n")
            #expect(line.toolResultText == text)
        }
        // Different tasks, one empty-prompt template no more.
        #expect(Set(lines.compactMap(\.prompt)).count == objects.count)
    }

    @Test("09d OpenTelemetry GenAI spans: nanosecond times land in 2024; keys with dots can be mapped")
    func otelSpans() throws {
        let file = path("09d_otel_genai_spans_numeric_nanos.jsonl")
        let summary = try check(file, preset: .otelGenAI)
        #expect(summary.recordsAccepted == 8)
        #expect(summary.firstSeen?.hasPrefix("2024-06-01") == true && summary.lastSeen?.hasPrefix("2024-06-01") == true)
        let lines = try decodeLines(file, mappings: LogPreset.otelGenAI.mappings)
        #expect(lines.first?.ts == 1_717_200_000_123)
        #expect(lines.allSatisfy { $0.model == "gpt-4o" && $0.account?.hasPrefix("otel-user-") == true && $0.prompt != nil })
        // A hand-written map naming a dotted key.
        let map = try FieldMapping(parsing: #"account_id=attributes["enduser.id"]"#)
        #expect(map.path == ["attributes", "enduser.id"])
        #expect(map.description == #"account_id=attributes["enduser.id"]"#)
        let mapped = try check(file, mappings: [map, try FieldMapping(parsing: "ts=startTimeUnixNano")])
        #expect(mapped.recordsAccepted == 8)
    }

    @Test("12 Cloudflare AI Gateway: --field-map reaches into metadata encoded as a string")
    func cloudflareEncodedMetadata() throws {
        let file = path("12_cloudflare_ai_gateway_logs.jsonl")
        let summary = try check(file, mappings: [try FieldMapping(parsing: "account_id=metadata.user")])
        #expect(summary.recordsAccepted == 6)
        let lines = try decodeLines(file, mappings: [try FieldMapping(parsing: "account_id=metadata.user")])
        #expect(Set(lines.compactMap(\.account)) == ["12345", "12346"])
        #expect(try check(file, preset: .cloudflare).recordsAccepted == 6)
    }

    @Test("13a nginx escape=json: '-' is missing, the first public X-Forwarded-For address, numbers from strings, request_body read")
    func nginxEscapeJSON() throws {
        let file = path("13a_nginx_escape_json.log")
        let lines = try decodeLines(file, mappings: LogPreset.nginxJSON.mappings)
        #expect(lines.allSatisfy { $0.reason == nil })
        #expect(!lines.contains { $0.account == "-" })
        #expect(lines.allSatisfy { $0.account?.hasPrefix("ngx-user-") == true && $0.prompt != nil && $0.model == "gpt-4o" })
        #expect(lines.allSatisfy { $0.status == 200 && $0.latency == 532 })
        // The account's address is the client's, labelled as such, not the whole list.
        var options = ScanOptions()
        options.threads = 2
        options.fieldMappings = LogPreset.nginxJSON.mappings
        let run = FeatureRun.run(inputs: [.file(file)], options: options, taxonomy: .builtIn)
        #expect(run.accounts.allSatisfy { $0.ips.labels.allSatisfy { $0.hasPrefix("203.0.113.") && !$0.contains(",") } })
        #expect(IPAddress.parse("2001:db8:0:0:1:0:0:1")?.text == "2001:db8::1:0:0:1")
        let addresses = lines.compactMap { $0.ip.flatMap(IPAddress.parse) }
        #expect(addresses.count == lines.count)
        #expect(addresses.allSatisfy { $0.isPublic && $0.networkLabel == "203.0.113.0/24" })
        // Without the preset, remote_user "-" is no account either.
        #expect(try decodeLines(file, mappings: [try FieldMapping(parsing: "account_id=remote_user"), try FieldMapping(parsing: "ts=time_iso8601")]).allSatisfy { $0.reason == .missingAccountID })
    }

    @Test("14a Azure diagnostics: the account read from properties as object or string; a masked IP counts as its network")
    func azureDiagnostics() throws {
        let file = path("14a_azure_openai_requestresponse.jsonl")
        let lines = try decodeLines(file, mappings: LogPreset.azureOpenAI.mappings)
        #expect(lines.compactMap(\.account) == ["0000-obj-4", "0000-obj-5"])
        #expect(lines.filter { $0.reason == .missingAccountID }.count == 4)
        var options = ScanOptions()
        options.threads = 2
        options.fieldMappings = LogPreset.azureOpenAI.mappings
        let run = FeatureRun.run(inputs: [.file(file)], options: options, taxonomy: .builtIn)
        #expect(run.accounts.count == 2)
        for account in run.accounts {
            #expect(account.ips.distinctCount == 0)
            #expect(account.networks.distinctCount == 1)
            #expect(account.networks.labels.contains("81.2.69.0/24"))
        }
        let masked = try #require(IPAddress.parse("81.2.69.***"))
        #expect(masked.isMasked && masked.networkLabel == "81.2.69.0/24")
    }

    @Test("15 epoch micro- and nanoseconds, as numbers and strings, and nginx $time_local", arguments: [
        ("15_ts_epoch_us_num.jsonl", Int64(1_717_236_000_123)),
        ("15_ts_epoch_ns_num.jsonl", Int64(1_717_236_000_123)),
        ("15_ts_epoch_ns_str.jsonl", Int64(1_717_236_000_123)),
        ("15_ts_nginx_local.jsonl", Int64(1_717_236_000_000)),
    ])
    func epochUnits(_ name: String, _ first: Int64) throws {
        let lines = try decodeLines(path(name))
        #expect(lines.allSatisfy { $0.reason == nil })
        #expect(lines.first?.ts == first, "\(Timestamp.format(milliseconds: lines.first?.ts ?? 0))")
        #expect(lines.allSatisfy { Timestamp.format(milliseconds: $0.ts).hasPrefix("2024-06-01T10:0") })
    }

    @Test("15x one epoch-nanosecond line among ISO lines: every record in June 2024")
    func mixedEpoch() throws {
        let summary = try check(path("15x_mixed_with_one_epoch_ns_line.jsonl"))
        #expect(summary.recordsAccepted == 31)
        #expect(summary.firstSeen?.hasPrefix("2024-06-01") == true && summary.lastSeen?.hasPrefix("2024-06-01") == true)
        var options = ScanOptions()
        options.threads = 2
        let run = FeatureRun.run(inputs: [.file(path("15x_mixed_with_one_epoch_ns_line.jsonl"))], options: options, taxonomy: .builtIn)
        #expect(run.accounts.allSatisfy { Timestamp.format(milliseconds: $0.lastSeen).hasPrefix("2024-06") })
        // Times before 2000 or after tomorrow are bad_ts, in any unit.
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        for ts in ["946684799999", "946684799999000", "946684799999000000", "\"4102444800000000000\"", "\"01/Jan/1999:00:00:00 +0000\"",
                   "\"9999999999999999999\"", "\"9223372036854775808\"", "99999999999999999999"] {
            let line = Array("{\"ts\":\(ts),\"account_id\":\"a\"}".utf8)
            #expect(line.withUnsafeBytes { decoder.decode($0) } == .badTimestamp, "\(ts)")
        }
    }

    @Test("17d NaN and Infinity in fields the tool does not use are tolerated")
    func nanInfinity() throws {
        let summary = try check(path("17d_nan_infinity.jsonl"))
        #expect(summary.recordsAccepted == 5 && summary.recordsRejected == 0)
        let lines = try decodeLines(path("17d_nan_infinity.jsonl"))
        #expect(lines.allSatisfy { $0.latency == 12 })
    }

    @Test("17e a Latin-1 byte inside a prompt: the record kept, the byte read as U+FFFD and counted")
    func latin1Byte() throws {
        let file = path("17e_latin1_byte.jsonl")
        let summary = try check(file)
        #expect(summary.recordsRejected == 0)
        let bad = try InputSource.file(file).readAllBytes().split(separator: 0x0A).filter { String(validating: Array($0), as: UTF8.self) == nil }.count
        #expect(bad >= 1)
        #expect(summary.repairedStrings == bad)
        #expect(LogCheck.render(summary).contains("invalid UTF-8: \(bad) string(s)"))
        #expect(try decodeLines(file).contains { $0.prompt?.contains("\u{FFFD}") == true })
    }

    @Test("19 a constant redaction placeholder: content signals off in check and analyze; detection runs on metadata")
    func redactedPrompts() throws {
        let file = path("19_litellm_redacted_messages.jsonl")
        let summary = try check(file, preset: .litellm)
        #expect(!summary.contentFeatures)
        #expect(summary.contentSignalsNote?.contains("one prompt value") == true)
        #expect(LogCheck.render(summary).contains("content signals off"))
        let out = try TemporaryDirectory()
        var config = AnalyzeConfig()
        config.scan.threads = 2
        config.scan.fieldMappings = LogPreset.litellm.mappings
        let analyzed = try AnalyzeRun.run(paths: [file], outputDirectory: out.path, config: config)
        #expect(!analyzed.contentFeatures)
        #expect(analyzed.detection != nil)
        let json = try String(contentsOfFile: out.file("summary.json"), encoding: .utf8)
        #expect(json.contains("\"content_features\" : false") && json.contains("content_signals_note"))
        // A log with real prompts keeps content signals on.
        #expect(try check(path("01_litellm_standard_logging_payload.jsonl"), preset: .litellm).contentFeatures)
    }

    @Test("a placeholder filling most records is found across files and threads; a tiny input is no placeholder")
    func placeholderAcrossFiles() throws {
        let dir = try TemporaryDirectory()
        // Distinct short prompts first (more than any per-worker table of first values would
        // hold), then the placeholder in another file: 3,000 of 3,600 records.
        let a = (0..<600).map { #"{"ts":"2024-06-01T10:00:00Z","account_id":"a\#($0 % 40)","prompt":"short question \#($0)"}"# }
        let b = (0..<3000).map { #"{"ts":"2024-06-01T11:00:00Z","account_id":"b\#($0 % 90)","messages":[{"role":"user","content":"redacted-by-litellm"}]}"# }
        try dir.write("logs/a.jsonl", text: a.joined(separator: "\n") + "\n")
        try dir.write("logs/b.jsonl", text: b.joined(separator: "\n") + "\n")
        var notes: [String?] = []
        for threads in [1, 2] {
            var options = ScanOptions()
            options.threads = threads
            let summary = try LogCheck.run(paths: [dir.file("logs")], options: options, maxRejectRate: 0.01)
            #expect(!summary.contentFeatures, "threads \(threads)")
            #expect(summary.contentSignalsNote?.contains("one prompt value fills 83%") == true, "\(String(describing: summary.contentSignalsNote))")
            notes.append(summary.contentSignalsNote)
        }
        #expect(notes[0] == notes[1])
        // One record is no evidence of a placeholder.
        try dir.write("one.jsonl", text: #"{"ts":"2024-06-01T10:00:00Z","account_id":"x","prompt":"hello"}"# + "\n")
        let one = try check(dir.file("one.jsonl"))
        #expect(one.contentFeatures && one.contentSignalsNote == nil)
        // Prompts on a minority of records: content signals weak, not off.
        let mixed = (0..<100).map { i in i < 30 ? #"{"ts":"2024-06-01T10:00:00Z","account_id":"m\#(i)","prompt":"question \#(i) about caching"}"# : #"{"ts":"2024-06-01T10:00:00Z","account_id":"m\#(i)"}"# }
        try dir.write("mixed.jsonl", text: mixed.joined(separator: "\n") + "\n")
        let weak = try check(dir.file("mixed.jsonl"))
        #expect(weak.contentFeatures)
        #expect(weak.contentSignalsNote?.hasPrefix("content signals weak") == true)
    }

    @Test("placeholder ids and harness text: missing ids, and the task stays the prompt beside tool results")
    func placeholderIDsAndHarnessText() throws {
        for id in ["N/A", "unknown", "Anonymous", "<nil>", "(null)", " none "] {
            let line = #"{"ts":"2024-06-01T10:01:00Z","user":"\#(id)","prompt":"x"}"#
            var decoder = ExchangeDecoder(schema: DecodeSchema())
            #expect(Array(line.utf8).withUnsafeBytes { decoder.decode($0) } == .missingAccountID, "\(id)")
        }
        let line = #"{"ts":"2024-06-01T10:01:00Z","metadata":{"user_id":"u"},"messages":[{"role":"user","content":"Fix test 2"},{"role":"assistant","content":[{"type":"tool_use","id":"t0","name":"bash","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t0","content":"3 failed"},{"type":"text","text":"<system-reminder>Remember to keep the todo list updated.</system-reminder>"}]}]}"#
        var decoder = ExchangeDecoder(schema: DecodeSchema(mappings: LogPreset.anthropicMessages.mappings))
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { decoder.decode($0) } == nil)
        #expect(decoder.record.prompt == "Fix test 2")
        #expect(decoder.record.userMessageCount == 2)
        // An OpenAI chat loop counts its tool round as a turn, as the Anthropic one does.
        let chat = #"{"ts":"2024-06-01T10:01:00Z","user":"u","messages":[{"role":"user","content":"Fix test 2"},{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"bash","arguments":"{}"}},{"id":"2","type":"function","function":{"name":"cat","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"3 failed"},{"role":"tool","tool_call_id":"2","content":"ok"}]}"#
        var other = ExchangeDecoder(schema: DecodeSchema())
        let chatBytes = Array(chat.utf8)
        #expect(chatBytes.withUnsafeBytes { other.decode($0) } == nil)
        #expect(other.record.userMessageCount == 2)
        #expect(other.record.prompt == "Fix test 2")
    }

    @Test("a framed file with a broken record reads the records after it; one cut short is reported")
    func brokenFramedRecords() throws {
        let dir = try TemporaryDirectory()
        var records = (0..<2000).map { #"{"ts":"2024-06-01T10:00:00Z","account_id":"p\#($0)","prompt":"q\#($0)"}"# }
        records[200].removeLast()  // a lost closing brace
        try dir.write("broken.json", text: "[" + records.joined(separator: ", ") + "]")
        let broken = try check(dir.file("broken.json"))
        #expect(broken.recordsAccepted == 1999 && broken.recordsRejected == 1)
        #expect(broken.inputProblems.isEmpty)
        // Several broken records of other kinds on one line (a stray comma, garbage, a lost
        // `]`), and a pretty-printed array with a lost closing quote: only they are lost.
        var mixed = (0..<12).map { #"{"ts":"2024-06-01T10:00:00Z","account_id":"m\#($0)","tags":["a"],"prompt":"q\#($0)"}"# }
        mixed[2] = mixed[2].replacingOccurrences(of: "{", with: "{,")
        mixed[5] = mixed[5].replacingOccurrences(of: #""tags""#, with: #"@@ "tags""#)
        mixed[8] = mixed[8].replacingOccurrences(of: #"["a"]"#, with: #"["a""#)
        try dir.write("mixed.json", text: "[" + mixed.joined(separator: ",") + "]")
        let several = try check(dir.file("mixed.json"))
        #expect(several.recordsAccepted == 9 && several.recordsRejected == 3)
        var pretty = (0..<10).map { "  {\n    \"ts\": \"2024-06-01T10:00:00Z\",\n    \"account_id\": \"q\($0)\",\n    \"prompt\": \"p\($0)\"\n  }" }
        pretty[4] = pretty[4].replacingOccurrences(of: "\"p4\"", with: "\"p4")
        try dir.write("pretty.json", text: "[\n" + pretty.joined(separator: ",\n") + "\n]\n")
        let lostQuote = try check(dir.file("pretty.json"))
        #expect(lostQuote.recordsAccepted == 9 && lostQuote.recordsRejected == 1)
        // A record with a `data` array is no wrapper when a field map says where its time is.
        try dir.write("embeddings.jsonl", text: #"{"created":1741168800,"user":"d0","data":[{"embedding":[0.1]}],"messages":[{"role":"user","content":"x"}]}"# + "\n")
        let embeddings = try check(dir.file("embeddings.jsonl"), preset: .openaiChat)
        #expect(embeddings.recordsAccepted == 1 && embeddings.inputs.first?.shape == "jsonl")
        // Records after the last one the writer closed: the input is incomplete (exit 2).
        let whole = (0..<100).map { #"{"ts":"2024-06-01T10:00:00Z","account_id":"p\#($0)","prompt":"q\#($0)"}"# }
        try dir.write("cut.json", text: "[" + whole.joined(separator: ", ") + ",")
        let cut = try check(dir.file("cut.json"))
        #expect(cut.recordsAccepted == 100)
        #expect(cut.inputProblems.count == 1 && cut.exitCode == 2)
        // CloudWatch envelopes, one missing its last brace: the others are all read.
        var envelopes = (0..<10).map { i in
            #"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"\#(i)","timestamp":1717236000000,"message":"{\"ts\":\"2024-06-01T10:00:00Z\",\"account_id\":\"e\#(i)\",\"prompt\":\"q\"}"}]}"#
        }
        envelopes[3].removeLast()
        try dir.write("env.jsonl", text: envelopes.joined(separator: "\n") + "\n")
        try dir.write("env-joined.json", text: envelopes.joined())
        for name in ["env.jsonl", "env-joined.json"] {
            let env = try check(dir.file(name))
            #expect(env.recordsAccepted == 10, "\(name)")
        }
    }

    @Test("OpenTelemetry OTLP/JSON: spans nested in resourceSpans/scopeSpans, attributes as key/value arrays")
    func otlpExports() throws {
        let dir = try TemporaryDirectory()
        func span(_ i: Int) -> [String: Any] {
            let messages = #"[{"role":"user","parts":[{"type":"text","content":"question \#(i) about caches"}]}]"#
            return [
                "traceId": String(format: "%032x", i), "spanId": String(format: "%016x", i), "name": "chat gpt-4o",
                "startTimeUnixNano": String(1_717_200_000_123_456_789 + i * 1_000_000_000),
                "attributes": [
                    ["key": "gen_ai.request.model", "value": ["stringValue": "gpt-4o"]],
                    ["key": "gen_ai.usage.input_tokens", "value": ["intValue": String(10 + i)]],
                    ["key": "enduser.id", "value": ["stringValue": "otel-user-\(i % 3)"]],
                    ["key": "gen_ai.input.messages", "value": ["stringValue": messages]],
                ],
            ]
        }
        let export: [String: Any] = ["resourceSpans": [[
            "resource": ["attributes": [["key": "service.name", "value": ["stringValue": "gateway"]]]],
            "scopeSpans": [["scope": ["name": "a"], "spans": (0..<3).map(span)], ["scope": ["name": "b"], "spans": (3..<6).map(span)]],
        ]]]
        try dir.write("pretty.json", bytes: Array(try JSONSerialization.data(withJSONObject: export, options: [.prettyPrinted])))
        try dir.write("lines.jsonl", text: (0..<6).map { String(decoding: try! JSONSerialization.data(withJSONObject: span($0)), as: UTF8.self) }.joined(separator: "\n") + "\n")
        for name in ["pretty.json", "lines.jsonl"] {
            let plain = try check(dir.file(name))
            #expect(plain.presetSuggestion?.contains("--preset otel-genai") == true, "\(name)")
            let summary = try check(dir.file(name), preset: .otelGenAI)
            #expect(summary.recordsAccepted == 6 && summary.recordsRejected == 0, "\(name)")
            #expect(summary.recordsWithPrompt == 6 && summary.accountsSeen == 3, "\(name)")
            #expect(summary.fields["input_tokens"]?.records == 6)
            #expect(summary.firstSeen == "2024-06-01T00:00:00.123Z")
        }
        #expect(try check(dir.file("pretty.json")).inputs.first?.shape == "otlp-spans")
    }

    @Test("token counts out of range are counted: clamped above 2^40, left out when negative or beyond 64 bits")
    func tokenCountsOutOfRange() throws {
        let dir = try TemporaryDirectory()
        // 25e-05431 is 0 as a double (the fuzzer's find): a count of 0, as JSONSerialization reads it.
        let lines = ["1e20", "100000000000000000000", "-5", "2000000000000", "12", "25e-05431"].map {
            #"{"ts":"2024-06-01T10:00:00Z","account_id":"a","prompt":"x","input_tokens":\#($0)}"#
        }
        try dir.write("t.jsonl", text: lines.joined(separator: "\n") + "\n")
        let summary = try check(dir.file("t.jsonl"))
        #expect(summary.recordsAccepted == 6)
        #expect(summary.outOfRangeValues["input_tokens"] == 4)
        #expect(summary.fields["input_tokens"]?.records == 3)
    }

    @Test("22b messages as a plain string is the prompt")
    func messagesAsString() throws {
        let lines = try decodeLines(path("22b_litellm_messages_as_string.jsonl"))
        let objects = try jsonObjects(path("22b_litellm_messages_as_string.jsonl"))
        #expect(lines.map(\.prompt) == objects.map { $0["messages"] as? String })
    }

    @Test("framed shapes with presets: CloudWatch envelopes and an S3 directory of Bedrock logs, an Azure records wrapper")
    func framedWithPresets() throws {
        for name in ["06b_cloudwatch_firehose_newline.jsonl", "06c_cloudwatch_gzip_members.gz"] {
            let plain = try check(path(name))
            #expect(plain.presetSuggestion?.contains("--preset bedrock") == true, "\(name)")
            let summary = try check(path(name), preset: .cloudwatch)
            #expect(summary.recordsAccepted == 10 && summary.recordsRejected == 0, "\(name)")
            #expect(summary.recordsWithPrompt == 10)
        }
        let s3 = try check(path("21_s3_dir"), preset: .bedrock)
        #expect(s3.recordsAccepted == 20 && s3.recordsRejected == 0)
        let azure = try check(path("14b_azure_pre2018_records_wrapper.json"), preset: .azureOpenAI)
        #expect(azure.recordsAccepted + azure.recordsRejected == 6)
        #expect(azure.accountsSeen == 2)
    }

    @Test("README documents every preset with its example record")
    func presetsDocumented() throws {
        let readme = try String(contentsOf: formats.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        for preset in LogPreset.allCases {
            #expect(readme.contains("`--preset \(preset.rawValue)`: \(preset.title)."), "\(preset)")
            #expect(readme.contains(preset.example), "\(preset)")
        }
    }

    @Test("every preset names its shape, parses, and is guessed from its own example record")
    func presets() throws {
        for preset in LogPreset.allCases {
            #expect(!preset.mappings.isEmpty)
            let example = preset.example.replacingOccurrences(of: "…", with: "")
            let record = try #require(LogPreset.firstRecord(Array(example.utf8)), "\(preset)")
            let guessed = LogPreset.guess(record)
            // Bedrock records inside CloudWatch envelopes take the same preset.
            #expect(guessed == preset || (preset == .cloudwatch && guessed == .bedrock), "\(preset) guessed as \(String(describing: guessed))")
        }
    }
}

@Suite("Conversations: tool loops in each API's shape")
struct ConversationTests {
    private func decode(_ json: String, mappings: [FieldMapping] = []) -> DecodedExchange? {
        var decoder = ExchangeDecoder(schema: DecodeSchema(mappings: mappings), plausibleTimes: Int64.min...Int64.max)
        let bytes = Array(json.utf8)
        let reason = bytes.withUnsafeBytes { decoder.decode($0) }
        return reason == nil ? decoder.record : nil
    }

    @Test("OpenAI Responses input items: input_text is the prompt, function calls and outputs counted, instructions the system")
    func responses() throws {
        let line = """
            {"ts":1,"account_id":"a","instructions":"You are an agent.","tools":[{"type":"function","name":"grep","parameters":{"type":"object"}},{"type":"function","name":"read_file","parameters":{}}],"input":[{"role":"user","content":[{"type":"input_text","text":"Fix the flaky test"}]},{"type":"function_call","call_id":"c1","name":"grep","arguments":"{\\"q\\":\\"flaky\\"}"},{"type":"function_call_output","call_id":"c1","output":"tests/a.py:3: flaky"}]}
            """
        // The record is only valid while the decoder lives: read it in one go.
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: Int64.min...Int64.max)
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { decoder.decode($0) } == nil)
        let r = decoder.record
        #expect(r.prompt == "Fix the flaky test")
        #expect(r.system == "You are an agent.")
        #expect(r.toolCalls == 1 && r.toolResults == 1)
        #expect(r.toolResultText == "tests/a.py:3: flaky")
        #expect(r.toolSetKey != 0)
        // The tool-set key does not depend on the tools' order or spacing.
        let reordered = line.replacingOccurrences(
            of: #"[{"type":"function","name":"grep","parameters":{"type":"object"}},{"type":"function","name":"read_file","parameters":{}}]"#,
            with: #"[ {"type": "function", "name": "read_file", "parameters": {}}, {"type":"function","name":"grep","parameters":{"type":"object"}} ]"#)
        #expect(reordered != line)
        var other = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: Int64.min...Int64.max)
        let otherBytes = Array(reordered.utf8)
        #expect(otherBytes.withUnsafeBytes { other.decode($0) } == nil)
        #expect(other.record.toolSetKey == r.toolSetKey)
    }

    @Test("OpenAI chat tool role and tool_calls; a later human turn replaces the prompt")
    func chatToolRole() throws {
        let line = """
            {"ts":1,"account_id":"a","messages":[{"role":"system","content":"sys"},{"role":"user","content":"first task"},{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"ls","arguments":"{}"}},{"id":"2","type":"function","function":{"name":"cat","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"a.txt b.txt"},{"role":"tool","tool_call_id":"2","content":"hello"},{"role":"user","content":"now summarise"},{"role":"tool","tool_call_id":"3","content":"done"}]}
            """
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: Int64.min...Int64.max)
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { decoder.decode($0) } == nil)
        let r = decoder.record
        #expect(r.prompt == "now summarise")
        #expect(r.system == "sys")
        #expect(r.toolCalls == 2 && r.toolResults == 3)
        #expect(r.toolResultText == "done")
    }

    @Test("Bedrock Converse toolUse and toolResult blocks")
    func bedrockConverse() throws {
        let line = """
            {"ts":1,"account_id":"a","messages":[{"role":"user","content":[{"text":"book a room"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"calendar","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"room 4 free"}]}}]}]}
            """
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: Int64.min...Int64.max)
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { decoder.decode($0) } == nil)
        let r = decoder.record
        #expect(r.prompt == "book a room")
        #expect(r.toolCalls == 1 && r.toolResults == 1)
        #expect(r.toolResultText == "room 4 free")
        _ = decode("{}")
    }
}

@Suite("Agentic campaigns logged as real tool loops")
struct AgenticStyleDetectionTests {
    /// Issue 13's run, scaled for a debug build: the agentic campaign in plain, Anthropic
    /// Messages and OpenAI Responses shapes (same traffic, same seed) is found with the same
    /// recall, and no coding-agent user (real tool loops, popular agents' tool sets) is flagged.
    @Test("the agentic campaign is found with the same recall in every style; coding agents are not flagged")
    func sameRecallAcrossStyles() throws {
        var results: [LogStyle: EvaluationResult] = [:]
        for style in [LogStyle.canonical, .anthropicMessages, .openAIResponses] {
            let dir = try TemporaryDirectory()
            var config = GeneratorConfig()
            config.exchanges = 20_000
            config.days = 2
            config.seed = 11
            config.style = style
            config.campaigns = [.agentic]
            _ = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.file("logs"))
            var analyze = AnalyzeConfig()
            analyze.scan.threads = 2
            let summary = try AnalyzeRun.run(paths: [dir.file("logs")], outputDirectory: dir.file("out"), config: analyze)
            #expect(summary.recordsRejected == 0)
            #expect(summary.contentFeatures, "\(style)")
            let result = try Evaluation.run(labelsPath: dir.file("logs/labels.csv"), accountsPath: dir.file("out/accounts.csv"))
            print("agentic, \(style.rawValue): \(Evaluation.render(result))")
            results[style] = result
            let labels = try CSVReader.records(path: dir.file("logs/labels.csv"))
            let coding = Set(labels.filter { $0["kind"] == "coding_agent" }.compactMap { $0["account_id"] })
            #expect(!coding.isEmpty)
            let flagged = try CSVReader.records(path: dir.file("out/accounts.csv")).filter { !($0["cluster_id"] ?? "").isEmpty }
            #expect(flagged.filter { coding.contains($0["account_id"] ?? "") }.isEmpty, "\(style)")
            #expect(result.falsePositives == 0, "\(style)")
        }
        let plain = try #require(results[.canonical])
        #expect(plain.recall >= 0.8)
        for style in [LogStyle.anthropicMessages, .openAIResponses] {
            #expect(abs((results[style]?.recall ?? 0) - plain.recall) <= 0.02, "\(style)")
        }
    }
}

@Suite("State format: tool-loop fields")
struct ToolStateFormatTests {
    @Test("tool counts and tool sets survive a round trip; an account blob written before them still reads")
    func roundTripAndVersion1Blob() throws {
        var decoder = ExchangeDecoder(schema: DecodeSchema(), plausibleTimes: Int64.min...Int64.max)
        let accumulator = AccountAccumulator(taxonomy: .builtIn)
        let lines = [
            #"{"ts":1776000000000,"account_id":"a","tools":[{"name":"grep"}],"messages":[{"role":"user","content":"find the bug"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"grep","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"main.c:3: bug"}]}]}"#,
            #"{"ts":1776000060000,"account_id":"a","tools":[{"name":"grep"}],"prompt":"plain"}"#,
        ]
        for line in lines {
            let bytes = Array(line.utf8)
            let reason = bytes.withUnsafeBytes { raw -> RejectReason? in
                let reason = decoder.decode(raw)
                if reason == nil { decoder.withRecord { accumulator.consume($0) } }
                return reason
            }
            #expect(reason == nil)
        }
        let state = try #require(AccountAccumulator.merge([accumulator], threads: 1).first)
        #expect(state.toolCalls == 1 && state.toolResults == 1 && state.toolExchanges == 1)
        #expect(state.toolSets.hashes.count == 1)
        let blob = AccountStateFile.encodeAccount(state)
        #expect(try AccountStateFile.decodeAccount(blob, context: "test") == state)
        // A blob of format 1 ends after the exemplars: cut off the tool fields (format 2), the
        // action sketch (format 3), model use (format 5), the near-duplicate keys (format 6) and
        // the address prefixes (format 7).
        var tail = ByteWriter()
        for v in [state.toolCalls, state.toolResults, state.toolExchanges] { tail.u64(UInt64(v)) }
        state.toolSets.encode(to: &tail)
        tail.u32(UInt32(AccountState.actionBins))
        for bin in state.actionSketch.bins { tail.u16(bin) }
        state.modelUse.encode(to: &tail)
        state.nearDuplicates.encode(to: &tail)
        state.prefixes.encode(to: &tail)
        let old = Array(blob.dropLast(tail.bytes.count))
        let read = try AccountStateFile.decodeAccount(old, context: "old")
        #expect(read.toolCalls == 0 && read.toolSets.hashes.isEmpty)
        #expect(read.exchanges == state.exchanges && read.templates == state.templates)
    }
}
