// Turns one scheduled exchange into a JSON line, canonical or gateway style. Content is drawn
// from a stream seeded by (seed, day, account, event), so a follow-up can re-create the
// prompt that opened its session without keeping state.
import DistillDetect


struct LineRenderer {
    let population: SyntheticPopulation
    let config: GeneratorConfig
    let day: Int
    let style: LogStyle
    /// Release time of the newer model that campaigns pivot to (day 3, 14:00 UTC), if in range.
    let newModelRelease: Int64?
    /// The day as `YYYY-MM-DD`, as agent products put it in their system prompt.
    let dayText: String
    let agentSessions = AgentSessionCache()

    static let models = ["frontier-large-4", "frontier-medium-4", "frontier-small-4"]
    static let newModel = "frontier-large-5"

    init(population: SyntheticPopulation, config: GeneratorConfig, day: Int, style: LogStyle) {
        self.population = population
        self.config = config
        self.day = day
        self.style = style
        newModelRelease = config.days > 3 ? config.startMilliseconds + 3 * 86_400_000 + 14 * 3_600_000 : nil
        let (y, m, d) = Timestamp.civilFromDays(Int(config.startMilliseconds / 86_400_000) + day)
        dayText = String(format: "%04d-%02d-%02d", y, m, d)
    }

    func contentRandom(account: Int32, index: Int32) -> SeededRandom {
        SeededRandom(seed: config.seed, 3, UInt64(day), UInt64(account), UInt64(index))
    }

    // MARK: Content

    static func fill(_ template: String, _ rng: inout SeededRandom) -> String {
        fill(template) { slotValue($0, &rng) }
    }

    /// Replaces each `{name}` of a template by `value(name)`; a name it gives nil for stays.
    static func fill(_ template: String, value: (String) -> String?) -> String {
        guard template.utf8.contains(UInt8(ascii: "{")) else { return template }
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            if let v = value(name) { out += v } else { out += rest[open...close] }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    static func slotValue(_ name: String, _ rng: inout SeededRandom) -> String {
        switch name {
        case "code":
            let identifier = rng.pick(PromptCorpus.identifiers)
            return rng.pick(PromptCorpus.codeSnippets)
                .replacingOccurrences(of: "{id}", with: identifier)
                .replacingOccurrences(of: "{Id}", with: identifier.prefix(1).uppercased() + identifier.dropFirst())
        case "framework2": return rng.pick(PromptCorpus.slots["framework"]!)
        case "doc2": return rng.pick(PromptCorpus.slots["doc"]!)
        case "tool2": return rng.pick(PromptCorpus.slots["tool"]!)
        case "tools":
            let tools = (0..<rng.int(3...6)).map { _ in rng.pick(PromptCorpus.slots["tool"]!) }
            return "[" + Set(tools).sorted().map { "{\"name\": \"\($0)\"}" }.joined(separator: ", ") + "]"
        case "ticketno": return String(rng.int(100_000...999_999))
        case "warehouse": return "WH-\(rng.int(10...99))"
        case "shipped": return String(rng.int(200...4_000))
        case "delayed", "returns": return String(rng.int(0...150))
        case "ticket": return rng.pick(PromptCorpus.tickets) + " " + rng.pick(PromptCorpus.tickets)
        case "review": return rng.pick(PromptCorpus.reviews)
        case "invoice":
            return "INVOICE INV-\(rng.int(10_000...99_999))\nBill to: Customer \(rng.int(100...999))\nTotal due: $\(rng.int(50...9_000)).\(rng.int(10...99))\nDue date: 2026-0\(rng.int(5...9))-\(rng.int(10...28))"
        default:
            if let values = PromptCorpus.slots[name] { return rng.pick(values) }
            return "{\(name)}"
        }
    }

    /// A prompt an ordinary user might send.
    static func benignPrompt(topicWeights: [Double], cotHabit: Double, viralRate: Double, _ rng: inout SeededRandom) -> String {
        if viralRate > 0 && rng.chance(viralRate) { return rng.pick(PromptCorpus.viralPrompts) }
        let pools = [PromptCorpus.coding, PromptCorpus.agentic, PromptCorpus.reasoning, PromptCorpus.writing, PromptCorpus.knowledge, PromptCorpus.chat]
        var text = fill(rng.pick(pools[rng.weighted(topicWeights)]), &rng)
        if rng.chance(cotHabit) { text += rng.pick(PromptCorpus.stepByStepSuffixes) }
        return text
    }

    /// (system, prompt) of a campaign exchange.
    static func campaignPrompt(_ variant: CampaignVariant, _ rng: inout SeededRandom) -> (String?, String) {
        switch variant {
        case .basic:
            return (nil, fill(rng.pick(PromptCorpus.campaignSE), &rng))
        case .careful:
            let groups = rng.pick(PromptCorpus.campaignParaphrased)
            let sentences = groups.map { fill(rng.pick($0), &rng) }.filter { !$0.isEmpty }
            return (nil, sentences.joined(separator: rng.chance(0.7) ? " " : "\n"))
        case .agentic:
            return (fill(rng.pick(PromptCorpus.agenticSystem), &rng), fill(rng.pick(PromptCorpus.agenticTask), &rng))
        }
    }

    struct Exchange {
        var system: String?
        /// Earlier turns (user, assistant), for follow-ups.
        var history: [String] = []
        var prompt: String
        var outputTokens: Int
        /// A coding agent's request as a tool loop (`prompt` is its newest human text).
        var loop: ToolLoop?
        /// An agentic campaign request, written as a replayed tool loop in the tool-loop styles.
        var agenticTask = false
    }

    func exchange(for event: SyntheticLogGenerator.Event, account: SyntheticAccount, _ rng: inout SeededRandom) -> Exchange {
        switch account.kind {
        case .benign, .popularQuestion, .classroom, .cgnat:
            if event.special {
                let days = population.classDays[account.group] ?? [day]
                let question = PromptCorpus.homework[(account.group * 7 + (days.firstIndex(of: day) ?? 0) * 3 + Int(event.index % 2)) % PromptCorpus.homework.count]
                return Exchange(prompt: question, outputTokens: Int(rng.logNormal(median: 500, sigma: 0.4)))
            }
            if event.turn > 0 {
                var headRng = contentRandom(account: event.account, index: event.sessionHead)
                let head = Self.benignPrompt(topicWeights: account.topicWeights, cotHabit: account.cotHabit, viralRate: account.viralRate, &headRng)
                var history = [head]
                for _ in 1..<Int(event.turn) { history += ["…", Self.fill(rng.pick(PromptCorpus.followUps), &rng)] }
                history.insert("Sure — here is what I suggest.", at: 1)
                return Exchange(history: history, prompt: Self.fill(rng.pick(PromptCorpus.followUps), &rng), outputTokens: Int(rng.logNormal(median: 180, sigma: 0.8)))
            }
            let prompt = Self.benignPrompt(topicWeights: account.topicWeights, cotHabit: account.cotHabit, viralRate: account.viralRate, &rng)
            return Exchange(prompt: prompt, outputTokens: Int(rng.logNormal(median: 350, sigma: 0.9)))
        case .integration:
            return Exchange(prompt: Self.fill(rng.pick(PromptCorpus.integrationTemplates), &rng), outputTokens: Int(rng.logNormal(median: 60, sigma: 0.3)))
        case .cronFleet:
            return Exchange(prompt: Self.fill(rng.pick(PromptCorpus.nightlyReportTemplates), &rng), outputTokens: Int(rng.logNormal(median: 140, sigma: 0.3)))
        case .benchmark:
            let problem = PromptCorpus.benchmarkFunctions[Int(event.index) % PromptCorpus.benchmarkFunctions.count]
            let prompt = "Complete the following Python function. Return only the code.\n```python\nfrom typing import List\n\ndef \(problem.name)(\(problem.args)):\n    \"\"\" \(problem.doc)\n    \"\"\"\n```"
            return Exchange(system: "You are a helpful coding assistant.", prompt: prompt, outputTokens: Int(rng.logNormal(median: 200, sigma: 0.5)))
        case .campaign:
            let variant = population.campaigns[account.campaign].variant
            if rng.chance(account.fillerRate) {
                let prompt = Self.benignPrompt(topicWeights: SyntheticPopulation.topicShares, cotHabit: 0.03, viralRate: 0.1, &rng)
                return Exchange(prompt: prompt, outputTokens: Int(rng.logNormal(median: 350, sigma: 0.9)))
            }
            let (system, prompt) = Self.campaignPrompt(variant, &rng)
            return Exchange(system: system, prompt: prompt, outputTokens: Int(rng.logNormal(median: 2200, sigma: 0.35)), agenticTask: variant == .agentic)
        case .codingAgent:
            // Its own streams (not `rng`), so the loop is the same whatever the style.
            let loop = AgentSessions.benign(
                profile: account.agent!, seed: config.seed, day: day, dayText: dayText, account: event.account,
                session: event.sessionHead, step: Int(event.turn), openAI: style == .openAIResponses, cache: agentSessions)
            return Exchange(system: loop.joinedSystem, prompt: loop.newestHumanText, outputTokens: Int(rng.logNormal(median: 260, sigma: 0.9)), loop: loop)
        }
    }

    func ip(for account: SyntheticAccount, special: Bool, _ rng: inout SeededRandom) -> String {
        switch account.addressing {
        case .fixed(let ips):
            if account.kind == .classroom { return special ? ips[0] : (rng.chance(0.3) ? ips[0] : ips[1]) }
            return rng.pick(ips)
        case .rotatingResidential:
            return SyntheticPopulation.residentialIP(&rng)
        case .subnets(let subnets):
            return "\(rng.pick(subnets)).\(rng.int(2...250))"
        }
    }

    func model(for account: SyntheticAccount, ts: Int64, _ rng: inout SeededRandom) -> String {
        if let release = newModelRelease, ts >= release {
            let hoursSince = Double(ts - release) / 3_600_000
            let adoption = account.kind == .campaign ? (hoursSince > 6 ? 0.85 : 0.2) : min(0.35, 0.02 * hoursSince / 24 + 0.05)
            if rng.chance(adoption) { return Self.newModel }
        }
        switch account.kind {
        case .campaign: return Self.models[0]
        case .integration, .cronFleet: return Self.models[2]
        default: return Self.models[rng.weighted([0.4, 0.4, 0.2])]
        }
    }

    // MARK: JSON

    func render(_ event: SyntheticLogGenerator.Event, into out: inout [UInt8]) {
        let account = population.accounts[Int(event.account)]
        var rng = contentRandom(account: event.account, index: event.index)
        let exchange = exchange(for: event, account: account, &rng)
        var meta = SeededRandom(seed: config.seed, 5, UInt64(day), UInt64(event.account), UInt64(event.index))
        let gateway = style == .gateway
        // The same in every style: a style changes the body's shape, never the metadata.
        let inputTokens = exchange.loop.map { $0.textBytes / 4 + 8 } ?? ((exchange.prompt.utf8.count + (exchange.system?.utf8.count ?? 0)
            + exchange.history.reduce(0) { $0 + $1.utf8.count }) / 4 + 8)
        let status = meta.chance(0.985) ? 200 : meta.pick([429, 500, 529, 400])
        let outputTokens = status == 200 ? max(1, exchange.outputTokens) : 0
        // Swap the buffer in and out rather than copying it.
        var w = JSONLineWriter(out: [])
        swap(&w.out, &out)
        w.begin()
        // The same fields in the same order (and the same random draws) in both styles; only
        // names and a few formats differ.
        if gateway { w.number("timestamp", event.ts) } else { w.string("ts", Timestamp.format(milliseconds: event.ts)) }
        w.string(gateway ? "id" : "request_id", gateway ? "chatcmpl-" + meta.hex(20) : "req_" + meta.hex(16))
        w.string(gateway ? "user_id" : "account_id", account.id)
        if let org = account.org { w.string(gateway ? "team_id" : "org_id", org) }
        let key = meta.pick(account.keys)
        w.string(gateway ? "api_key" : "api_key_id", gateway ? "sk-..." + key.suffix(6) : key)
        w.string(gateway ? "client_ip" : "ip", ip(for: account, special: event.special, &meta))
        w.string(gateway ? "http_user_agent" : "user_agent", meta.pick(account.userAgents))
        w.string("model", model(for: account, ts: event.ts, &meta))
        w.string(gateway ? "call_type" : "endpoint", gateway ? "acompletion" : (style == .openAIResponses ? "/v1/responses" : "/v1/messages"))
        w.number(gateway ? "status_code" : "status", Int64(status))
        w.number(gateway ? "prompt_tokens" : "input_tokens", Int64(inputTokens))
        w.number(gateway ? "completion_tokens" : "output_tokens", Int64(outputTokens))
        w.number(gateway ? "duration_ms" : "latency_ms", Int64(400 + outputTokens * 12 + meta.int(0...900)))
        if config.noContent {
            // Metadata only (logs kept without prompts): the same records less prompt, messages
            // and system; the random draws stay the same, so the rest of each line is unchanged.
        } else if style.writesToolLoops {
            let loop = toolLoop(for: exchange, event: event, account: account)
            if style == .openAIResponses { w.openAIResponses(loop) } else { w.anthropicMessages(loop) }
        } else if gateway {
            w.key("messages")
            w.raw("[")
            var first = true
            func message(_ role: String, _ text: String) {
                if !first { w.raw(",") }
                first = false
                w.raw("{\"role\":")
                w.value(role)
                w.raw(",\"content\":[{\"type\":\"text\",\"text\":")
                w.value(text, escapeNonASCII: true)
                w.raw("}]}")
            }
            if let system = exchange.system { message("system", system) }
            for (i, turn) in exchange.history.enumerated() { message(i % 2 == 0 ? "user" : "assistant", turn) }
            message("user", exchange.prompt)
            w.raw("]")
        } else {
            if account.usesMessages || !exchange.history.isEmpty || exchange.system != nil {
                if let system = exchange.system { w.string("system", system) }
                w.key("messages")
                w.raw("[")
                for (i, turn) in exchange.history.enumerated() {
                    w.raw(i == 0 ? "{\"role\":" : ",{\"role\":")
                    w.value(i % 2 == 0 ? "user" : "assistant")
                    w.raw(",\"content\":")
                    w.value(turn)
                    w.raw("}")
                }
                w.raw(exchange.history.isEmpty ? "{\"role\":\"user\",\"content\":" : ",{\"role\":\"user\",\"content\":")
                w.value(exchange.prompt)
                w.raw("}]")
            } else {
                w.string("prompt", exchange.prompt)
            }
        }
        if gateway {
            if let payment = account.payment { w.string("card_fingerprint", payment) }
            w.number("user_created_at", account.createdMs)
        } else {
            if let payment = account.payment { w.string("payment_fingerprint", payment) }
            w.string("account_created", Timestamp.format(milliseconds: account.createdMs))
            w.string("country", account.country)
        }
        w.end()
        swap(&w.out, &out)
    }

    /// The body of an exchange in a tool-loop style: a coding agent's loop, a campaign's replayed
    /// loop around the same task the plain styles send, or an ordinary conversation.
    func toolLoop(for exchange: Exchange, event: SyntheticLogGenerator.Event, account: SyntheticAccount) -> ToolLoop {
        if let loop = exchange.loop { return loop }
        if exchange.agenticTask {
            return AgentSessions.campaign(
                task: exchange.prompt, seed: config.seed, day: day, account: event.account, index: event.index,
                openAI: style == .openAIResponses)
        }
        var turns: [LoopTurn] = exchange.history.enumerated().map { i, text in i % 2 == 0 ? .human(text) : .assistant(text: text, calls: []) }
        turns.append(.human(exchange.prompt))
        var loop = ToolLoop(system: exchange.system.map { [$0] } ?? [], tools: [], turns: turns)
        loop.humanAsBlocks = account.usesMessages
        loop.cacheSystem = false
        return loop
    }

    /// A line that `check` must reject with `reason`.
    func renderBadLine(_ reason: RejectReason, sequence: Int, into out: inout [UInt8]) {
        let ts = Timestamp.format(milliseconds: config.startMilliseconds + Int64(day) * 86_400_000 + Int64(sequence) * 1000)
        let text: String
        switch reason {
        case .invalidJSON: text = "{\"ts\":\"\(ts)\",\"account_id\":\"acct_broken\",\"prompt\":\"cut off mid-wri"
        case .notObject: text = "[\"\(ts)\",\"acct_array\",\"an array, not an object\"]"
        case .missingTimestamp: text = "{\"account_id\":\"acct_no_time\",\"prompt\":\"hello\"}"
        case .badTimestamp: text = "{\"ts\":\"last tuesday\",\"account_id\":\"acct_bad_time\",\"prompt\":\"hello\"}"
        case .missingAccountID: text = "{\"ts\":\"\(ts)\",\"account_id\":null,\"prompt\":\"hello\"}"
        case .invalidUTF8:
            // Bytes that are not UTF-8 between the tokens: inside a string they would be read
            // as U+FFFD and the record kept.
            out += Array("{\"ts\":\"\(ts)\",\"account_id\":\"acct_latin1\",\"prompt\":\"cafe\"".utf8)
            out += [0xE9, 0x20, 0xFF]
            out += Array("}\n".utf8)
            return
        case .lineTooLong:
            // Over 1 MiB in strings of 60 KB each: no single value is oversized (those are
            // dropped and the record kept), so the line stays too long.
            let part = "\"" + String(repeating: "A", count: 60_000) + "\""
            text = "{\"ts\":\"\(ts)\",\"account_id\":\"acct_huge\",\"prompt\":[" + Array(repeating: part, count: 18).joined(separator: ",") + "]}"
        case .truncated: text = "{\"ts\":\"\(ts)\""
        }
        out += Array(text.utf8)
        out.append(0x0A)
    }
}

/// Appends one JSON object to a byte buffer, escaping strings per RFC 8259.
struct JSONLineWriter {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8]
    private var needsComma = false

    init(out: [UInt8]) { self.out = out }

    mutating func begin() {
        out.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func end() {
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    mutating func key(_ name: String) {
        if needsComma { out.append(UInt8(ascii: ",")) }
        needsComma = true
        value(name)
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ text: String) {
        key(name)
        value(text)
    }

    mutating func number(_ name: String, _ v: Int64) {
        key(name)
        out.append(contentsOf: String(v).utf8)
    }

    /// A JSON string; `escapeNonASCII` writes \u escapes (surrogate pairs above U+FFFF), as
    /// some gateways do.
    mutating func value(_ text: String, escapeNonASCII: Bool = false) {
        out.append(UInt8(ascii: "\""))
        if !escapeNonASCII {
            // Fast path: copy UTF-8 runs whole and escape only quotes, backslashes and controls.
            var text = text
            text.withUTF8 { bytes in
                var start = 0
                for i in 0..<bytes.count {
                    let b = bytes[i]
                    guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                    switch b {
                    case 0x22: out.append(contentsOf: [0x5C, 0x22])
                    case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                    case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                    case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                    case 0x09: out.append(contentsOf: [0x5C, 0x74])
                    default: out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, JSONLineWriter.hexDigits[Int(b >> 4)], JSONLineWriter.hexDigits[Int(b & 0xF)]])
                    }
                    start = i + 1
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
            }
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = JSONLineWriter.hexDigits
        func unicodeEscape(_ unit: UInt32) {
            out.append(contentsOf: [0x5C, 0x75, hex[Int(unit >> 12 & 0xF)], hex[Int(unit >> 8 & 0xF)], hex[Int(unit >> 4 & 0xF)], hex[Int(unit & 0xF)]])
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20: unicodeEscape(v)
            case 0x20..<0x80: out.append(UInt8(v))
            default:
                if escapeNonASCII {
                    if v >= 0x10000 {
                        let u = v - 0x10000
                        unicodeEscape(0xD800 + (u >> 10))
                        unicodeEscape(0xDC00 + (u & 0x3FF))
                    } else {
                        unicodeEscape(v)
                    }
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
