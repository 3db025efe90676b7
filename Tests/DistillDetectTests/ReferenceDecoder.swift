// A slow, obviously-correct reading of the input contract built on Foundation's
// JSONSerialization: the byte scanner must agree with it on every line.
import Foundation
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// What a line means under the contract, as comparable values.
struct ContractRecord: Equatable, CustomStringConvertible {
    var ts: Int64
    var strings: [LogField: String] = [:]
    var integers: [LogField: Int64] = [:]
    var latency: Double?
    var prompt: String?
    var system: String?
    var messageCount = 0
    var userMessageCount = 0
    var sources: [LogField: Int] = [:]

    var description: String {
        "ts=\(ts) strings=\(strings.map { "\($0.key.canonicalName)=\($0.value)" }.sorted()) ints=\(integers.map { "\($0.key.canonicalName)=\($0.value)" }.sorted()) latency=\(String(describing: latency)) prompt=\(String(describing: prompt)) system=\(String(describing: system)) messages=\(messageCount)/\(userMessageCount) sources=\(sources.map { "\($0.key.canonicalName):\($0.value)" }.sorted())"
    }

    /// Equal up to floating-point rounding of latency and epoch fractions.
    func matches(_ other: ContractRecord) -> Bool {
        var a = self
        var b = other
        // Epoch numbers go through Double in the reference: allow its rounding.
        guard a.ts.distance(to: b.ts).magnitude <= max(1, UInt64(Double(a.ts.magnitude) * 1e-15)) else { return false }
        if let x = a.integers[.accountCreated], let y = b.integers[.accountCreated],
            x.distance(to: y).magnitude <= max(1, UInt64(Double(x.magnitude) * 1e-15))
        {
            b.integers[.accountCreated] = x
        }
        if let x = a.latency, let y = b.latency, abs(x - y) <= 1e-9 * max(1, abs(x)) { b.latency = x }
        b.ts = a.ts
        a.ts = b.ts
        return a == b
    }
}

enum ContractOutcome: Equatable, CustomStringConvertible {
    case accepted(ContractRecord)
    case rejected(RejectReason)

    var description: String {
        switch self {
        case .accepted(let r): return "accepted(\(r))"
        case .rejected(let reason): return "rejected(\(reason.rawValue))"
        }
    }

    func matches(_ other: ContractOutcome) -> Bool {
        switch (self, other) {
        case (.accepted(let a), .accepted(let b)): return a.matches(b)
        case (.rejected(let a), .rejected(let b)): return a == b
        default: return false
        }
    }
}

/// The scanner's reading of a line, in the same terms.
func scannerOutcome(_ line: [UInt8], decoder: inout ExchangeDecoder) -> ContractOutcome {
    line.withUnsafeBytes { raw in
        if let reason = decoder.decode(raw) { return .rejected(reason) }
        let r = decoder.record
        var out = ContractRecord(ts: r.timestampMilliseconds)
        for field in LogField.allCases {
            if let source = r.sourceIndex(field) { out.sources[field] = source }
            switch field.kind {
            case .identifier, .string: if let s = r.string(field) { out.strings[field] = s }
            case .integer: if let v = r.integer(field) { out.integers[field] = v }
            case .time where field != .ts: if let v = r.integer(field) { out.integers[field] = v }
            default: break
            }
        }
        out.latency = r.latencyMs
        out.prompt = r.prompt
        out.system = r.system
        out.messageCount = r.messageCount
        out.userMessageCount = r.userMessageCount
        return .accepted(out)
    }
}

enum ReferenceDecoder {
    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    static func isInteger(_ v: Any) -> Bool {
        guard let n = v as? NSNumber, !(n is NSDecimalNumber) else { return false }
        let t = String(cString: n.objCType)
        return t == "q" || t == "i" || t == "l" || t == "s"
    }

    static func number(_ v: Any) -> Double? {
        guard let n = v as? NSNumber, !isBool(v) else { return nil }
        return n.doubleValue
    }

    /// Epoch milliseconds of a number in the unit its magnitude gives; nil beyond Int64.
    static func epochMilliseconds(_ value: Double) -> Int64? {
        let ms: Double
        switch Timestamp.epochShift(magnitude: value.magnitude) {
        case 3: ms = value * 1000
        case 0: ms = value
        case -3: ms = value / 1000
        default: ms = value / 1_000_000
        }
        guard ms.magnitude < 9.2e18 else { return nil }
        return Int64(ms.rounded(.towardZero))
    }

    /// A string holding one JSON object, parsed (a record encoded inside a record).
    static func encodedObject(_ value: Any) -> [String: Any]? {
        guard let s = value as? String, s.drop(while: { " \t\n\r".contains($0) }).first == "{" else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any]
    }

    static func lookup(_ object: [String: Any], _ path: [String]) -> Any? {
        var current: Any = object
        var encodedLevels = 0
        for key in path {
            if key.first == "\u{0}" {
                guard let array = current as? [Any], let index = Int(key.dropFirst()), index < array.count else { return nil }
                current = array[index]
                continue
            }
            if !(current is [String: Any]), encodedLevels < 2, let inner = encodedObject(current) {
                current = inner
                encodedLevels += 1
            }
            if let array = current as? [Any] {
                // OTLP/JSON attributes: the first element {"key": key, "value": v}.
                guard let attribute = array.first(where: { ($0 as? [String: Any])?["key"] as? String == key }) as? [String: Any],
                    let value = attribute["value"]
                else { return nil }
                if let any = value as? [String: Any] {
                    guard let scalar = ["stringValue", "intValue", "doubleValue", "boolValue"].lazy.compactMap({ any[$0] }).first
                    else { return nil }
                    current = scalar
                } else {
                    current = value
                }
                continue
            }
            guard let dict = current as? [String: Any], let next = dict[key] else { return nil }
            current = next
        }
        return current
    }

    static let whitespace: Set<Character> = [" ", "\t", "\n", "\r", "\r\n"]

    static func visible(_ parts: [String]) -> Bool {
        parts.contains { $0.contains { !whitespace.contains($0) } }
    }

    /// Blank, a placeholder word, or (for ids) JSON encoded in a string: no value.
    static func isPlaceholder(_ s: String, identifier: Bool) -> Bool {
        let trimmed = String(s.drop(while: { whitespace.contains($0) }).reversed().drop(while: { whitespace.contains($0) }).reversed())
        if trimmed.isEmpty { return true }
        if ["-", "null", "undefined", "true", "false", "none", "nil", "nan", "n/a", "unknown", "anonymous", "anon", "<nil>",
            "(null)", "<null>", "(none)", "<none>"].contains(trimmed.lowercased()) { return true }
        return identifier && trimmed.first == "{" && trimmed.last == "}" && trimmed.contains(":")
    }

    /// A number written as a string, as the scanner reads it: optional JSON whitespace, a
    /// JSON number, optional whitespace; no escapes.
    static func numericString(_ s: String) -> NSNumber? {
        let trimmed = String(s.drop(while: { whitespace.contains($0) }).reversed().drop(while: { whitespace.contains($0) }).reversed())
        guard let first = trimmed.first, first == "-" || first.isASCII && first.isNumber else { return nil }
        guard let n = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: [.fragmentsAllowed])) as? NSNumber,
            !isBool(n)
        else { return nil }
        return n
    }

    enum Block { case text, call, result, other }

    static func blockKind(_ type: String?) -> Block {
        switch type {
        case "text", "input_text", "output_text": return .text
        case "tool_use", "tool_call", "function_call", "server_tool_use": return .call
        case "tool_result", "tool_call_response", "function_call_output", "function_result": return .result
        default: return .other
        }
    }

    /// Text of a `text`-kind value or a message's content: a string, or the text blocks of
    /// an array (`text`, `input_text`, `output_text`, untyped `{text}`, OpenTelemetry
    /// `{type: "text", content}`); tool blocks and others carry no prompt text.
    static func text(_ v: Any) -> [String]? {
        if let s = v as? String { return [s] }
        guard let array = v as? [Any] else { return nil }
        var parts: [String] = []
        for element in array {
            if let s = element as? String {
                parts.append(s)
            } else if let block = element as? [String: Any] {
                let kind: Block = block.keys.contains("type") ? blockKind(block["type"] as? String) : .text
                guard kind == .text else { continue }
                if let t = block["text"] as? String {
                    parts.append(t)
                } else if block["text"] == nil, let t = block["content"] as? String {
                    parts.append(t)
                }
            }
        }
        return parts
    }

    /// The conversation of a `messages` array: turns, user turns, newest human-written text,
    /// first system (or developer) turn.
    static func conversation(_ array: [Any]) -> (count: Int, users: Int, lastUser: [String]?, system: [String]?) {
        var m = (count: 0, users: 0, lastUser: [String]?.none, system: [String]?.none)
        // The last message only returned tool results: the outputs of one round are one turn.
        var lastReturnedResults = false
        func resultTurn() {
            if !lastReturnedResults { m.users += 1 }
            lastReturnedResults = true
        }
        for element in array {
            guard let message = element as? [String: Any] else { continue }
            m.count += 1
            let contentValue = message["content"] ?? message["parts"]
            let content = contentValue.flatMap { c -> [String]? in
                if let s = c as? String { return [s] }
                if c is [Any] { return text(c) }
                return nil
            } ?? []
            // Tool results among the blocks (typed, or Bedrock's `toolResult`).
            let returnsResults = (contentValue as? [Any] ?? []).contains { element in
                guard let block = element as? [String: Any] else { return false }
                if block["toolResult"] is [String: Any] { return true }
                return block.keys.contains("type") && blockKind(block["type"] as? String) == .result
            }
            let role = message["role"] as? String
            if let type = message["type"] as? String, role == nil || type == "function_call_output" || type == "function_call" {
                let kind = blockKind(type)
                if kind == .call {
                    lastReturnedResults = false
                    continue
                }
                if kind == .result {
                    resultTurn()
                    continue
                }
                if role == nil { continue }
            }
            guard let role else { continue }
            switch role {
            case "user", "human":
                m.users += 1
                lastReturnedResults = returnsResults
                if !returnsResults && visible(content) { m.lastUser = content }
            case "tool", "function", "ipython":
                resultTurn()
            case "system", "developer":
                if m.system == nil && !content.isEmpty { m.system = content }
                lastReturnedResults = false
            default:
                lastReturnedResults = false
            }
        }
        return m
    }

    /// The line with what the scanner tolerates beyond JSONSerialization made valid:
    /// invalid UTF-8 read as U+FFFD, and `NaN`, `Infinity`, `-Infinity` (outside strings)
    /// read as null.
    static func sanitized(_ line: [UInt8]) -> [UInt8] {
        let bytes = Array(String(decoding: line, as: UTF8.self).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false
        var i = 0
        scan: while i < bytes.count {
            let c = bytes[i]
            if inString {
                if c == 0x5C, i + 1 < bytes.count {
                    out += [c, bytes[i + 1]]
                    i += 2
                    continue
                }
                if c == 0x22 { inString = false }
            } else {
                for word in ["-Infinity", "Infinity", "NaN"] where bytes[i...].starts(with: word.utf8) {
                    out += Array("null".utf8)
                    i += word.utf8.count
                    continue scan
                }
                if c == 0x22 { inString = true }
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// The reference reading, with what the scanner tolerates beyond JSONSerialization
    /// (invalid UTF-8 inside strings, `NaN` and `Infinity`) made valid when the scanner
    /// accepted a line the strict reading rejects.
    static func decodeTolerant(
        _ line: [UInt8], accepted scanner: ContractOutcome, sources: FieldSources,
        plausibleTimes: ClosedRange<Int64> = Timestamp.plausibleRange()
    ) -> ContractOutcome {
        let strict = decode(line, sources: sources, plausibleTimes: plausibleTimes)
        guard case .rejected(let reason) = strict, reason == .invalidUTF8 || reason == .invalidJSON, !scanner.matches(strict) else {
            return strict
        }
        return decode(sanitized(line), sources: sources, plausibleTimes: plausibleTimes)
    }

    static func decode(
        _ line: [UInt8], sources: FieldSources, plausibleTimes: ClosedRange<Int64> = Timestamp.plausibleRange()
    ) -> ContractOutcome {
        var bytes = line
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard String(validating: bytes, as: UTF8.self) != nil else { return .rejected(.invalidUTF8) }
        // The scanner stops at 512 levels of nesting, as JSONSerialization does.
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return .rejected(.invalidJSON)
        }
        guard let object = parsed as? [String: Any] else { return .rejected(.notObject) }
        var record = ContractRecord(ts: 0)
        var tsState: (present: Bool, readable: Bool) = (false, false)
        var messages: (count: Int, users: Int, lastUser: [String]?, system: [String]?)?
        var promptText: [String]?
        var systemText: [String]?
        for field in LogField.allCases {
            for (priority, path) in sources.sources[field.rawValue].enumerated() {
                guard let value = lookup(object, path) else { continue }
                var found = true
                switch field.kind {
                case .time:
                    if let s = value as? String {
                        let ms = Timestamp.parseMilliseconds(s)
                        if field == .ts {
                            tsState = (true, ms != nil)
                            record.ts = ms ?? 0
                        } else if let ms, plausibleTimes.contains(ms) {
                            record.integers[field] = ms
                        } else {
                            found = false
                        }
                    } else if let d = number(value) {
                        if field == .ts {
                            // Beyond Int64 milliseconds: unreadable (bad_ts) either way.
                            let ms = epochMilliseconds(d)
                            tsState = (true, ms != nil)
                            record.ts = ms ?? 0
                        } else if let ms = epochMilliseconds(d), plausibleTimes.contains(ms) {
                            record.integers[field] = ms
                        } else {
                            found = false
                        }
                    } else {
                        found = false
                    }
                case .identifier:
                    if let s = value as? String, !s.isEmpty {
                        guard !isPlaceholder(s, identifier: true) else {
                            found = false
                            break
                        }
                        record.strings[field] = s
                    } else if isInteger(value), let n = value as? NSNumber, n.int64Value >= 0 {
                        record.strings[field] = String(n.int64Value)
                    } else {
                        found = false
                    }
                case .string:
                    if let s = value as? String, !s.isEmpty, !isPlaceholder(s, identifier: false) {
                        record.strings[field] = s
                    } else {
                        found = false
                    }
                case .integer:
                    let value: Any = (value as? String).flatMap(numericString) ?? value
                    if let d = number(value), d == d.rounded(), abs(d) < 9e18 {
                        let v = isInteger(value) ? (value as! NSNumber).int64Value : Int64(d)
                        // Token counts above 2^40 are clamped to it; negative ones are none.
                        if field.isTokenCount && v < 0 {
                            found = false
                        } else {
                            record.integers[field] = field.isTokenCount ? min(v, ExchangeDecoder.maxTokenCount) : v
                        }
                    } else {
                        found = false
                    }
                case .number:
                    let value: Any = (value as? String).flatMap(numericString) ?? value
                    let scales = sources.scales[field.rawValue]
                    if let d = number(value) { record.latency = d * (priority < scales.count ? scales[priority] : 1) } else { found = false }
                case .text:
                    if let parts = text(value), visible(parts) {
                        if field == .prompt { promptText = parts } else { systemText = parts }
                    } else {
                        found = false
                    }
                case .messages:
                    if let s = value as? String {
                        if s.drop(while: { whitespace.contains($0) }).first == "[",
                            let array = (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [Any]
                        {
                            messages = conversation(array)
                        } else {
                            messages = (0, 0, visible([s]) ? [s] : nil, nil)
                        }
                        break
                    }
                    guard let array = value as? [Any] else {
                        found = false
                        break
                    }
                    messages = conversation(array)
                case .tools:
                    found = value is [Any]
                }
                if found {
                    record.sources[field] = priority
                    break
                }
            }
        }
        if !tsState.present { return .rejected(.missingTimestamp) }
        if !tsState.readable || !plausibleTimes.contains(record.ts) { return .rejected(.badTimestamp) }
        if record.strings[.accountID] == nil { return .rejected(.missingAccountID) }
        if let messages {
            record.messageCount = messages.count
            record.userMessageCount = messages.users
        }
        record.prompt = (promptText ?? messages?.lastUser)?.joined(separator: "\n")
        record.system = (systemText ?? messages?.system)?.joined(separator: "\n")
        return .accepted(record)
    }
}
