// The input contract (README, "Input") as data: the fields, their aliases and their JSON types.

/// A field of an access-log record, by its canonical name.
public enum LogField: Int, CaseIterable, Sendable, Codable {
    case ts, accountID, orgID, requestID, apiKeyID, ip, userAgent, model, endpoint, status
    case inputTokens, outputTokens, latencyMs, prompt, messages, system, paymentFingerprint
    case accountCreated, country, tools

    /// What JSON values a field accepts; any other type counts as absent.
    enum ValueKind {
        /// RFC 3339 string, or epoch seconds / milliseconds as a number or a string of digits.
        case time
        /// A string, or an integer written as its digits (many gateways log numeric user ids).
        case identifier
        case string
        /// An integral number.
        case integer
        case number
        /// A string, or an array of `{type: "text", text}` blocks.
        case text
        /// An array of `{role, content}` messages (or Responses `input` items), or a string.
        case messages
        /// An array of tool definitions.
        case tools
    }

    public var canonicalName: String {
        switch self {
        case .ts: "ts"
        case .accountID: "account_id"
        case .orgID: "org_id"
        case .requestID: "request_id"
        case .apiKeyID: "api_key_id"
        case .ip: "ip"
        case .userAgent: "user_agent"
        case .model: "model"
        case .endpoint: "endpoint"
        case .status: "status"
        case .inputTokens: "input_tokens"
        case .outputTokens: "output_tokens"
        case .latencyMs: "latency_ms"
        case .prompt: "prompt"
        case .messages: "messages"
        case .system: "system"
        case .paymentFingerprint: "payment_fingerprint"
        case .accountCreated: "account_created"
        case .country: "country"
        case .tools: "tools"
        }
    }

    /// Accepted alternative names, in priority order after the canonical name.
    public var aliases: [String] {
        switch self {
        case .ts: ["timestamp", "time", "@timestamp", "startTime", "created_at"]
        case .accountID: ["user_id", "user", "account", "customer_id", "end_user"]
        case .orgID: ["organization_id", "team_id"]
        case .requestID: ["id"]
        case .apiKeyID: ["api_key", "key_id", "api_key_hash"]
        case .ip: ["client_ip", "http_x_forwarded_for", "x_forwarded_for", "remote_addr", "requester_ip_address", "sourceIPAddress", "callerIpAddress"]
        case .userAgent: ["ua", "http_user_agent"]
        case .endpoint: ["path", "call_type"]
        case .status: ["status_code", "http_status"]
        case .inputTokens: ["prompt_tokens"]
        case .outputTokens: ["completion_tokens"]
        case .latencyMs: ["duration_ms"]
        case .paymentFingerprint: ["payment_method_id", "card_fingerprint"]
        case .accountCreated: ["user_created_at"]
        case .messages: ["input"]
        case .system: ["instructions"]
        case .tools: ["functions"]
        case .model, .prompt, .country: []
        }
    }

    /// `input_tokens` and `output_tokens`: clamped to `ExchangeDecoder.maxTokenCount`.
    var isTokenCount: Bool { self == .inputTokens || self == .outputTokens }

    var kind: ValueKind {
        switch self {
        case .ts, .accountCreated: .time
        case .accountID, .orgID, .requestID, .apiKeyID: .identifier
        case .ip, .userAgent, .model, .endpoint, .paymentFingerprint, .country: .string
        case .status, .inputTokens, .outputTokens: .integer
        case .latencyMs: .number
        case .prompt, .system: .text
        case .messages: .messages
        case .tools: .tools
        }
    }

    public var isRequired: Bool { self == .ts || self == .accountID }

    public init?(canonicalName: String) {
        guard let field = LogField.allCases.first(where: { $0.canonicalName == canonicalName }) else { return nil }
        self = field
    }
}

/// `--field-map FIELD=DOTTED.PATH`: read a field from a nested path. A mapped path is tried
/// before the canonical name and the aliases.
public struct FieldMapping: Sendable, Hashable, CustomStringConvertible {
    public let field: LogField
    public let path: [String]
    /// Numbers read under this path are multiplied by it (a preset reading seconds into
    /// `latency_ms` gives 1000).
    public let scale: Double

    public init(field: LogField, path: [String], scale: Double = 1) {
        self.field = field
        self.path = path
        self.scale = scale
    }

    /// Parses `FIELD=PATH`, for example `account_id=metadata.user_api_key_user_id`. A path is
    /// keys joined by dots; `[N]` picks element N (from 0) of an array, and `["a.b"]` names a
    /// key that contains dots: `model=attributes["gen_ai.request.model"]`,
    /// `prompt=messages[0].content`. A path that meets a JSON value encoded as a string
    /// reads on inside it.
    public init(parsing text: String) throws(FieldMappingError) {
        guard let eq = text.firstIndex(of: "=") else { throw .malformed(text) }
        let name = String(text[..<eq])
        let pathText = String(text[text.index(after: eq)...])
        guard let field = LogField(canonicalName: name) else { throw .unknownField(name) }
        guard let parts = Self.parsePath(pathText), !parts.isEmpty else { throw .malformed(text) }
        self.init(field: field, path: parts)
    }

    /// The path component that stands for array element `index`.
    static func indexKey(_ index: Int) -> String { "\u{0}\(index)" }

    static func parsePath(_ text: String) -> [String]? {
        var parts: [String] = []
        let chars = Array(text)
        var i = 0
        var current = ""
        var needSeparator = false
        func flush() -> Bool {
            guard !current.isEmpty else { return false }
            parts.append(current)
            current = ""
            return true
        }
        while i < chars.count {
            let c = chars[i]
            if c == "." {
                if !needSeparator { guard flush() else { return nil } }
                needSeparator = false
                i += 1
                // A dot must be followed by a key.
                guard i < chars.count, chars[i] != ".", chars[i] != "[" else { return nil }
            } else if c == "[" {
                if !needSeparator && !current.isEmpty { _ = flush() }
                guard let close = chars[i...].firstIndex(of: "]") else { return nil }
                let inner = String(chars[(i + 1)..<close])
                if inner.count >= 2, let q = inner.first, q == "\"" || q == "'", inner.last == q {
                    // A quoted key may hold dots and brackets, not its own quote.
                    let key = String(inner.dropFirst().dropLast())
                    guard !key.isEmpty else { return nil }
                    parts.append(key)
                } else if let index = Int(inner), index >= 0 {
                    parts.append(Self.indexKey(index))
                } else {
                    return nil
                }
                needSeparator = true
                i = close + 1
            } else {
                guard !needSeparator else { return nil }
                current.append(c)
                i += 1
            }
        }
        if !needSeparator { guard flush() else { return nil } }
        return parts
    }

    public var description: String {
        var text = "\(field.canonicalName)="
        for (i, part) in path.enumerated() {
            if part.first == "\u{0}" {
                text += "[\(part.dropFirst())]"
            } else if part.contains(".") || part.contains("[") {
                text += "[\"\(part)\"]"
            } else {
                text += (i == 0 ? "" : ".") + part
            }
        }
        return text
    }
}

public enum FieldMappingError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case unknownField(String)

    public var description: String {
        switch self {
        case .malformed(let text): return "--field-map '\(text)': expected FIELD=DOTTED.PATH, e.g. account_id=metadata.user_id"
        case .unknownField(let name):
            let names = LogField.allCases.map(\.canonicalName).joined(separator: ", ")
            return "--field-map: unknown field '\(name)'; fields are: \(names)"
        }
    }
}

/// Where each field may come from, in priority order: mapped paths, the canonical name, the aliases.
public struct FieldSources: Sendable {
    /// sources[field.rawValue] = the paths for that field; the index of a path is its priority.
    public let sources: [[[String]]]
    /// scales[field.rawValue][priority]: the factor numbers under that path are multiplied by.
    public let scales: [[Double]]

    public init(mappings: [FieldMapping] = []) {
        sources = LogField.allCases.map { field in
            let mapped = mappings.filter { $0.field == field }.map(\.path)
            return mapped + ([field.canonicalName] + field.aliases).map { [$0] }
        }
        scales = LogField.allCases.map { field in
            mappings.filter { $0.field == field }.map(\.scale)
        }
    }

    /// The name a field was found under, as written in reports (`metadata.user_id`, `user`).
    public func sourceName(_ field: LogField, priority: Int) -> String {
        let path = sources[field.rawValue][priority]
        guard path.count > 1 || path.first?.contains(".") == true || path.first?.first == "\u{0}" else {
            return path.joined(separator: ".")
        }
        let text = FieldMapping(field: field, path: path).description
        return String(text.dropFirst(field.canonicalName.count + 1))
    }

    public var maxSourcesPerField: Int { sources.map(\.count).max() ?? 1 }
}
