// A slow, obviously-correct reading of the input contract built on Foundation's
// JSONSerialization: the byte scanner must agree with it on every line.
import Foundation
@testable import DistillDetect

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
        if let x = a.integers[.accountCreated], let y = b.integers[.accountCreated], abs(x - y) <= 1 {
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

    static func epochMilliseconds(_ value: Double) -> Int64 {
        value.magnitude > Timestamp.millisecondsThreshold ? Int64(value) : Int64((value * 1000).rounded(.towardZero))
    }

    static func lookup(_ object: [String: Any], _ path: [String]) -> Any? {
        var current: Any = object
        for key in path {
            guard let dict = current as? [String: Any], let next = dict[key] else { return nil }
            current = next
        }
        return current
    }

    /// Text of a `text`-kind value: a string, or the text blocks of an array.
    static func text(_ v: Any) -> [String]? {
        if let s = v as? String { return [s] }
        guard let array = v as? [Any] else { return nil }
        var parts: [String] = []
        for element in array {
            if let s = element as? String {
                parts.append(s)
            } else if let block = element as? [String: Any], let t = block["text"] as? String {
                if let type = block["type"] {
                    guard (type as? String) == "text" else { continue }
                }
                parts.append(t)
            }
        }
        return parts
    }

    static func decode(
        _ line: [UInt8], sources: FieldSources, plausibleTimes: ClosedRange<Int64> = Timestamp.plausibleRange()
    ) -> ContractOutcome {
        var bytes = line
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard String(validating: bytes, as: UTF8.self) != nil else { return .rejected(.invalidUTF8) }
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
                            tsState = (true, d.magnitude < 9e18)
                            record.ts = tsState.readable ? epochMilliseconds(d) : 0
                        } else if d.magnitude < 9e15, plausibleTimes.contains(epochMilliseconds(d)) {
                            record.integers[field] = epochMilliseconds(d)
                        } else {
                            found = false
                        }
                    } else {
                        found = false
                    }
                case .identifier:
                    if let s = value as? String, !s.isEmpty {
                        record.strings[field] = s
                    } else if isInteger(value), let n = value as? NSNumber, n.int64Value >= 0 {
                        record.strings[field] = String(n.int64Value)
                    } else {
                        found = false
                    }
                case .string:
                    if let s = value as? String, !s.isEmpty { record.strings[field] = s } else { found = false }
                case .integer:
                    if let d = number(value), d == d.rounded(), abs(d) < 9e18 {
                        let v = isInteger(value) ? (value as! NSNumber).int64Value : Int64(d)
                        // Token counts above 2^40 are clamped to it.
                        record.integers[field] = field.isTokenCount ? min(v, ExchangeDecoder.maxTokenCount) : v
                    } else {
                        found = false
                    }
                case .number:
                    if let d = number(value) { record.latency = d } else { found = false }
                case .text:
                    if let parts = text(value) {
                        if field == .prompt { promptText = parts } else { systemText = parts }
                    } else {
                        found = false
                    }
                case .messages:
                    guard let array = value as? [Any] else {
                        found = false
                        break
                    }
                    var m = (count: 0, users: 0, lastUser: [String]?.none, system: [String]?.none)
                    for element in array {
                        guard let message = element as? [String: Any] else { continue }
                        m.count += 1
                        let content = message["content"].flatMap { c -> [String]? in
                            if let s = c as? String { return [s] }
                            if c is [Any] { return text(c) }
                            return nil
                        }
                        switch message["role"] as? String {
                        case "user":
                            m.users += 1
                            m.lastUser = content
                        case "system":
                            if m.system == nil, let content { m.system = content }
                        default: break
                        }
                    }
                    messages = m
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
