// The input contract of log-format.md as data: the fields, their aliases and their JSON types.

/// A field of an access-log record, by its canonical name.
public enum LogField: Int, CaseIterable, Sendable, Codable {
    case ts, accountID, orgID, requestID, apiKeyID, ip, userAgent, model, endpoint, status
    case inputTokens, outputTokens, latencyMs, prompt, messages, system, paymentFingerprint
    case accountCreated, country

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
        /// An array of `{role, content}` messages.
        case messages
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
        case .ip: ["client_ip", "remote_addr", "requester_ip_address", "sourceIPAddress"]
        case .userAgent: ["ua", "http_user_agent"]
        case .endpoint: ["path", "call_type"]
        case .status: ["status_code", "http_status"]
        case .inputTokens: ["prompt_tokens"]
        case .outputTokens: ["completion_tokens"]
        case .latencyMs: ["duration_ms"]
        case .paymentFingerprint: ["payment_method_id", "card_fingerprint"]
        case .accountCreated: ["user_created_at"]
        case .model, .prompt, .messages, .system, .country: []
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

    public init(field: LogField, path: [String]) {
        self.field = field
        self.path = path
    }

    /// Parses `FIELD=PATH`, for example `account_id=metadata.user_api_key_user_id`.
    public init(parsing text: String) throws(FieldMappingError) {
        guard let eq = text.firstIndex(of: "=") else { throw .malformed(text) }
        let name = String(text[..<eq])
        let pathText = String(text[text.index(after: eq)...])
        guard let field = LogField(canonicalName: name) else { throw .unknownField(name) }
        let parts = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else { throw .malformed(text) }
        self.init(field: field, path: parts)
    }

    public var description: String { "\(field.canonicalName)=\(path.joined(separator: "."))" }
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

    public init(mappings: [FieldMapping] = []) {
        sources = LogField.allCases.map { field in
            let mapped = mappings.filter { $0.field == field }.map(\.path)
            return mapped + ([field.canonicalName] + field.aliases).map { [$0] }
        }
    }

    /// The name a field was found under, as written in reports (`metadata.user_id`, `user`).
    public func sourceName(_ field: LogField, priority: Int) -> String {
        sources[field.rawValue][priority].joined(separator: ".")
    }

    public var maxSourcesPerField: Int { sources.map(\.count).max() ?? 1 }
}
