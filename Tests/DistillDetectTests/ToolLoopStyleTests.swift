// generate --style anthropic-messages | openai-responses: the shapes of the bodies, the same
// traffic as the plain style, and tool output that repeats for the campaign but not for users.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

private typealias JSONObject = [String: Any]

/// Every record of a generated directory, parsed by Foundation, in file order.
private func records(_ dir: TemporaryDirectory, _ result: GeneratorResult) throws -> [JSONObject] {
    var out: [JSONObject] = []
    for file in result.files {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc \"$0\"", dir.file(file)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let value = try JSONSerialization.jsonObject(with: Data(line))
            guard let object = value as? JSONObject else { throw CocoaError(.coderReadCorrupt) }
            out.append(object)
        }
    }
    return out
}

private func kinds(_ dir: TemporaryDirectory) throws -> [String: String] {
    var out: [String: String] = [:]
    for row in try String(contentsOfFile: dir.file("labels.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
        let cols = row.split(separator: ",", omittingEmptySubsequences: false)
        out[String(cols[0])] = String(cols[2])
    }
    return out
}

/// Text of a string or of `[{"type":"text","text":...}]` blocks.
private func text(_ content: Any?) -> String? {
    if let s = content as? String { return s }
    guard let blocks = content as? [JSONObject] else { return nil }
    let texts = blocks.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }
    return texts.isEmpty ? nil : texts.joined(separator: "\n")
}

/// What the plain style sends as the prompt: `prompt`, else the last message.
private func plainPrompt(_ r: JSONObject) -> String? {
    if let p = r["prompt"] as? String { return p }
    return text((r["messages"] as? [JSONObject])?.last?["content"])
}

/// The newest text a person wrote, read the way the issue defines the prompt.
private func newestHumanText(_ r: JSONObject, _ style: LogStyle) -> String? {
    if style == .openAIResponses {
        for item in (r["input"] as? [JSONObject] ?? []).reversed() where item["role"] as? String == "user" {
            let parts = item["content"] as? [JSONObject] ?? []
            return parts.compactMap { $0["type"] as? String == "input_text" ? $0["text"] as? String : nil }.last
        }
        return nil
    }
    for message in (r["messages"] as? [JSONObject] ?? []).reversed() where message["role"] as? String == "user" {
        if let t = text(message["content"]) { return t }
    }
    return nil
}

/// The tool results written by each request's newest round, per account.
private func newestToolResults(_ r: JSONObject, _ style: LogStyle) -> [String] {
    if style == .openAIResponses {
        let items = r["input"] as? [JSONObject] ?? []
        return items.reversed().prefix { $0["type"] as? String == "function_call_output" }.compactMap { $0["output"] as? String }
    }
    guard let last = (r["messages"] as? [JSONObject])?.last, let blocks = last["content"] as? [JSONObject] else { return [] }
    return blocks.compactMap { $0["type"] as? String == "tool_result" ? text($0["content"]) : nil }
}

/// Digits masked, as a template key over tool output would see it.
private func masked(_ s: String) -> String {
    var out = ""
    var inDigits = false
    for ch in s {
        if ch.isASCII && ch.isNumber {
            if !inDigits { out.append("0") }
            inDigits = true
        } else {
            out.append(ch)
            inDigits = false
        }
    }
    return out
}

private func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s[s.count / 2]
}

@Suite("generate: tool-loop styles")
struct ToolLoopStyleTests {
    static func config(_ style: LogStyle, threads: Int = 2, exchanges: Int = 6000) -> GeneratorConfig {
        var config = GeneratorConfig(exchanges: exchanges, days: 2, seed: 11, style: style, campaigns: [.agentic])
        config.threads = threads
        return config
    }

    static let metadata = [
        "ts", "request_id", "account_id", "org_id", "api_key_id", "ip", "user_agent", "model", "endpoint", "status",
        "input_tokens", "output_tokens", "latency_ms", "payment_fingerprint", "account_created", "country",
    ]

    @Test("every Anthropic Messages line parses and has the documented shape")
    func anthropicShape() throws {
        let dir = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(.anthropicMessages), outputDirectory: dir.path)
        let rows = try records(dir, result)
        let kindOf = try kinds(dir)
        #expect(rows.count == result.exchanges)
        var resultOnlyLast: [String: (Int, Int)] = [:]
        var followUps = 0
        for r in rows {
            for key in ["ts", "request_id", "account_id", "api_key_id", "ip", "model", "status", "input_tokens", "account_created", "country"] {
                #expect(r[key] != nil, "\(key)")
            }
            #expect(r["endpoint"] as? String == "/v1/messages")
            #expect(r["prompt"] == nil && r["input"] == nil)
            if let system = r["system"] {
                let blocks = try #require(system as? [JSONObject])
                #expect(!blocks.isEmpty && blocks.allSatisfy { $0["type"] as? String == "text" && $0["text"] is String })
            }
            var toolNames = Set<String>()
            if let tools = r["tools"] {
                for tool in try #require(tools as? [JSONObject]) {
                    #expect(tool["name"] is String && tool["description"] is String)
                    #expect((tool["input_schema"] as? JSONObject)?["type"] as? String == "object")
                    toolNames.insert(tool["name"] as? String ?? "")
                }
            }
            let messages = try #require(r["messages"] as? [JSONObject])
            #expect(messages.first?["role"] as? String == "user")
            #expect(text(messages.first?["content"]) != nil, "the first user turn is the human task")
            var pending: [String] = []
            for (i, message) in messages.enumerated() {
                #expect(message["role"] as? String == (i % 2 == 0 ? "user" : "assistant"), "roles alternate")
                guard let blocks = message["content"] as? [JSONObject] else {
                    #expect(message["content"] is String)
                    continue
                }
                if message["role"] as? String == "assistant" {
                    #expect(pending.isEmpty)
                    for block in blocks where block["type"] as? String == "tool_use" {
                        let id = try #require(block["id"] as? String)
                        #expect(id.hasPrefix("toolu_"))
                        #expect(toolNames.contains(block["name"] as? String ?? "-"), "calls a defined tool")
                        #expect(block["input"] is JSONObject)
                        pending.append(id)
                    }
                    #expect(blocks.allSatisfy { ["text", "tool_use"].contains($0["type"] as? String ?? "") })
                } else {
                    let results = blocks.filter { $0["type"] as? String == "tool_result" }
                    if !pending.isEmpty {
                        #expect(results.count == blocks.count, "a user turn after tool calls holds only tool results")
                        #expect(results.map { $0["tool_use_id"] as? String ?? "" } == pending)
                        #expect(results.allSatisfy { text($0["content"]) != nil })
                    } else {
                        #expect(results.isEmpty)
                        if i > 0 { followUps += 1 }
                    }
                    pending = []
                }
            }
            #expect(pending.isEmpty, "every call has its result")
            let kind = kindOf[r["account_id"] as? String ?? ""] ?? "?"
            if kind == "coding_agent" || kind == "campaign" {
                let onlyResults = (messages.last?["content"] as? [JSONObject])?.allSatisfy { $0["type"] as? String == "tool_result" } ?? false
                var counts = resultOnlyLast[kind, default: (0, 0)]
                counts.0 += onlyResults ? 1 : 0
                counts.1 += 1
                resultOnlyLast[kind] = counts
            }
        }
        // Tool loops: most requests end on a user turn of tool results only.
        for kind in ["coding_agent", "campaign"] {
            let (only, all) = resultOnlyLast[kind, default: (0, 0)]
            #expect(all > 100 && Double(only) / Double(all) > 0.5, "\(kind): \(only) of \(all)")
        }
        #expect(followUps > 0, "a person's follow-up turns up in the middle of some sessions")
    }

    @Test("every OpenAI Responses line parses and has the documented shape")
    func openAIShape() throws {
        let dir = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(.openAIResponses), outputDirectory: dir.path)
        let rows = try records(dir, result)
        #expect(rows.count == result.exchanges)
        var calls = 0
        for r in rows {
            #expect(r["endpoint"] as? String == "/v1/responses")
            #expect(r["messages"] == nil && r["system"] == nil && r["prompt"] == nil)
            if let instructions = r["instructions"] { #expect(instructions is String) }
            var toolNames = Set<String>()
            for tool in r["tools"] as? [JSONObject] ?? [] {
                #expect(tool["type"] as? String == "function" && tool["description"] is String)
                #expect((tool["parameters"] as? JSONObject)?["type"] as? String == "object")
                toolNames.insert(tool["name"] as? String ?? "")
            }
            let input = try #require(r["input"] as? [JSONObject])
            let first = try #require(input.first)
            #expect(first["role"] as? String == "user")
            #expect((first["content"] as? [JSONObject])?.first?["type"] as? String == "input_text")
            var open = Set<String>()
            for item in input {
                switch item["type"] as? String {
                case "function_call":
                    let id = try #require(item["call_id"] as? String)
                    #expect(id.hasPrefix("call_"))
                    #expect(toolNames.contains(item["name"] as? String ?? "-"))
                    let arguments = try #require(item["arguments"] as? String)
                    #expect(try JSONSerialization.jsonObject(with: Data(arguments.utf8)) is JSONObject, "arguments is a JSON object as a string")
                    open.insert(id)
                    calls += 1
                case "function_call_output":
                    let id = try #require(item["call_id"] as? String)
                    #expect(open.remove(id) != nil, "an output follows its call")
                    #expect(item["output"] is String)
                default:
                    let role = item["role"] as? String
                    #expect(role == "user" || role == "assistant")
                    let parts = try #require(item["content"] as? [JSONObject])
                    #expect(parts.allSatisfy { $0["type"] as? String == (role == "user" ? "input_text" : "output_text") && $0["text"] is String })
                }
            }
            #expect(open.isEmpty)
        }
        #expect(calls > 1000)
    }

    @Test("the three styles write the same accounts, labels, times and metadata, and the same human text")
    func sameTrafficAcrossStyles() throws {
        let styles: [LogStyle] = [.canonical, .anthropicMessages, .openAIResponses]
        let dirs = try styles.map { _ in try TemporaryDirectory() }
        let results = try zip(styles, dirs).map { try SyntheticLogGenerator.run(config: Self.config($0), outputDirectory: $1.path) }
        let labels = try dirs.map { try Data(contentsOf: URL(fileURLWithPath: $0.file("labels.csv"))) }
        #expect(labels[1] == labels[0] && labels[2] == labels[0])
        #expect(results.map(\.exchanges) == Array(repeating: results[0].exchanges, count: 3))
        let plain = try records(dirs[0], results[0])
        let kindOf = try kinds(dirs[0])
        #expect(Set(kindOf.values).isSuperset(of: ["campaign", "coding_agent", "benign"]))
        for s in 1...2 {
            let other = try records(dirs[s], results[s])
            #expect(other.count == plain.count)
            var differing = 0
            var humanDiffers = 0
            for (a, b) in zip(plain, other) {
                for key in Self.metadata where key != "endpoint" && "\(a[key] ?? "-")" != "\(b[key] ?? "-")" { differing += 1 }
                if plainPrompt(a) != newestHumanText(b, styles[s]) { humanDiffers += 1 }
            }
            #expect(differing == 0, "\(styles[s])")
            #expect(humanDiffers == 0, "\(styles[s]): the newest human text is the plain prompt")
        }
    }

    @Test("the campaign's tool output repeats shared templates across accounts; coding-agent users' does not",
          arguments: [LogStyle.anthropicMessages, .openAIResponses])
    func toolOutputTemplates(_ style: LogStyle) throws {
        let dir = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(style, exchanges: 20_000), outputDirectory: dir.path)
        let kindOf = try kinds(dir)
        var outputs: [String: [String]] = [:]
        var toolSets: [String: [String: Set<String>]] = [:]
        for r in try records(dir, result) {
            let account = r["account_id"] as? String ?? ""
            let kind = kindOf[account] ?? ""
            guard kind == "campaign" || kind == "coding_agent" else { continue }
            outputs[account, default: []] += newestToolResults(r, style)
            if let tools = r["tools"] as? [JSONObject] {
                let key = try tools.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self) }
                    .sorted().joined(separator: "|")
                toolSets[kind, default: [:]][key, default: []].insert(account)
            }
        }
        var owners: [String: Set<String>] = [:]
        for (account, texts) in outputs { for t in texts { owners[masked(t), default: []].insert(account) } }
        func sharedShare(_ kind: String) -> [Double] {
            outputs.filter { kindOf[$0.key] == kind && $0.value.count >= 10 }.map { _, texts in
                Double(texts.filter { owners[masked($0)]!.count > 1 }.count) / Double(texts.count)
            }
        }
        let campaign = sharedShare("campaign")
        let users = sharedShare("coding_agent")
        #expect(campaign.count >= 10 && users.count >= 3)
        #expect(median(campaign) > 0.9, "campaign: share of an account's tool results whose template other accounts also return")
        #expect(median(users) < 0.3, "coding-agent users: their repositories' output is their own")
        // Raw texts: users' vary within an account too.
        let distinct = outputs.filter { kindOf[$0.key] == "coding_agent" && $0.value.count >= 10 }.map { Double(Set($0.value).count) / Double($0.value.count) }
        #expect(median(distinct) > 0.7)
        // Tool sets: the campaign's few; users' many, and a popular product's shared by several users.
        #expect((toolSets["campaign"]?.count ?? 0) <= 3)
        #expect((toolSets["coding_agent"]?.count ?? 0) >= 3)
        #expect((toolSets["coding_agent"]?.values.map(\.count).max() ?? 0) >= 2)
    }

    @Test("each request of a coding-agent session carries the one before it plus one round")
    func sessionsGrowStepByStep() throws {
        let dir = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(.anthropicMessages), outputDirectory: dir.path)
        let kindOf = try kinds(dir)
        var last: [String: [Any]] = [:]
        var grew = 0
        var restarted = 0
        for r in try records(dir, result) where kindOf[r["account_id"] as? String ?? ""] == "coding_agent" {
            // A person may run two sessions at once: a session is its account and its task.
            let messages = try #require(r["messages"] as? [JSONObject])
            let session = (r["account_id"] as? String ?? "") + String(decoding: try JSONSerialization.data(withJSONObject: messages[0], options: .sortedKeys), as: UTF8.self)
            defer { last[session] = messages }
            guard let previous = last[session] as? [JSONObject] else {
                #expect(messages.count == 1, "a session opens with its task alone")
                restarted += 1
                continue
            }
            let extends = messages.count == previous.count + 2
                && zip(previous, messages).allSatisfy { NSDictionary(dictionary: $0).isEqual(to: $1) }
            #expect(extends, "step \(previous.count / 2) to the next")
            grew += 1
        }
        #expect(grew > 5 * restarted, "\(grew) steps, \(restarted) new sessions")
    }

    @Test("the same seed gives byte-identical files whatever the thread count", arguments: [LogStyle.anthropicMessages, .openAIResponses])
    func deterministic(_ style: LogStyle) throws {
        let a = try TemporaryDirectory()
        let b = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(style, threads: 1), outputDirectory: a.path)
        _ = try SyntheticLogGenerator.run(config: Self.config(style, threads: 2), outputDirectory: b.path)
        for file in result.files + ["labels.csv"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.file(file)))
            let y = try Data(contentsOf: URL(fileURLWithPath: b.file(file)))
            #expect(x == y, "\(file)")
        }
        var other = Self.config(style)
        other.seed = 12
        let c = try TemporaryDirectory()
        let r = try SyntheticLogGenerator.run(config: other, outputDirectory: c.path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.file(result.files[0]))) != Data(contentsOf: URL(fileURLWithPath: c.file(r.files[0]))))
    }
}
