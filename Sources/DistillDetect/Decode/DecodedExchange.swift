// One decoded log line: where each field's value lies in the line's bytes. Strings are built
// only when a caller asks for one, so decoding itself allocates nothing per line.

/// A run of JSON string content inside the line (between the quotes, escapes not decoded).
public struct TextSpan: Sendable, Equatable {
    public var start: Int32
    public var end: Int32
    public var escaped: Bool
}

/// The value found for one field.
struct FieldSlot {
    /// 255: absent. Otherwise the index of the source (mapped path, canonical name, alias).
    var priority: UInt8 = 255
    var start: Int32 = 0
    var end: Int32 = 0
    var escaped = false
    /// time: epoch ms; integer: the value; text: index of first span in `textSpans`.
    var integer: Int64 = 0
    /// number: the value; text: number of spans.
    var double: Double = 0
    /// time: the value was present but unreadable.
    var unreadable = false
}

/// The fields of one accepted line. Valid until the decoder reads the next line: it points
/// into the line's buffer.
public struct DecodedExchange {
    public internal(set) var line = UnsafeRawBufferPointer(start: nil, count: 0)
    var slots = [FieldSlot](repeating: FieldSlot(), count: LogField.allCases.count)
    var textSpans: [TextSpan] = []
    /// Text of tool results (Anthropic `tool_result`, OpenAI `tool` turns and function-call
    /// outputs), kept apart from the human-written text.
    var resultSpans: [TextSpan] = []
    /// `resultSpans` of the newest turn that returned tool results.
    var toolResultRange: Range<Int> = 0..<0
    var hasToolResults = false
    /// The last message of the conversation so far only returned tool results.
    var lastTurnReturnedResults = false
    /// Tool calls and tool results in the conversation.
    public internal(set) var toolCalls = 0
    public internal(set) var toolResults = 0
    /// Order-free hash of the tool definitions offered (`tools`), 0 when none.
    public internal(set) var toolSetKey: UInt64 = 0
    /// Bit `field.rawValue` set: the field held a value that cannot be one (a JSON object
    /// encoded in a string where an id belongs); the field counts as absent.
    public internal(set) var invalidValues: UInt32 = 0
    /// Strings whose invalid UTF-8 bytes were read as U+FFFD.
    public internal(set) var repairedStrings = 0
    /// From `messages`: spans of the last user message and of the first system message.
    var messagesUserRange: Range<Int> = 0..<0
    var messagesSystemRange: Range<Int> = 0..<0
    var messagesHaveUser = false
    var messagesHaveSystem = false
    public internal(set) var messageCount = 0
    public internal(set) var userMessageCount = 0
    /// Bit `field.rawValue` set: the line gave the field a value out of range (a token count
    /// clamped, an implausible `account_created` ignored).
    public internal(set) var outOfRange: UInt32 = 0

    mutating func reset(_ line: UnsafeRawBufferPointer) {
        self.line = line
        slots.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i].priority = 255 }
        }
        textSpans.removeAll(keepingCapacity: true)
        if !resultSpans.isEmpty { resultSpans.removeAll(keepingCapacity: true) }
        // A range left by the line before would index past this line's spans.
        toolResultRange = 0..<0
        hasToolResults = false
        toolCalls = 0
        toolResults = 0
        toolSetKey = 0
        invalidValues = 0
        repairedStrings = 0
        messagesHaveUser = false
        messagesHaveSystem = false
        messageCount = 0
        userMessageCount = 0
        outOfRange = 0
    }

    /// Epoch milliseconds of `ts`.
    public var timestampMilliseconds: Int64 { slots[LogField.ts.rawValue].integer }

    public func has(_ field: LogField) -> Bool { slots[field.rawValue].priority != 255 }

    /// Index into `FieldSources.sources[field]` of the name the field was found under.
    public func sourceIndex(_ field: LogField) -> Int? {
        let p = slots[field.rawValue].priority
        return p == 255 ? nil : Int(p)
    }

    /// Integer fields (`status`, tokens) and times (`ts`, `account_created`, epoch ms).
    public func integer(_ field: LogField) -> Int64? {
        let slot = slots[field.rawValue]
        return slot.priority == 255 ? nil : slot.integer
    }

    public var latencyMs: Double? {
        let slot = slots[LogField.latencyMs.rawValue]
        return slot.priority == 255 ? nil : slot.double
    }

    /// The raw bytes of a string or identifier field when they need no unescaping (the common
    /// case), for hashing in place; nil when absent or escaped.
    public func rawBytes(_ field: LogField) -> UnsafeRawBufferPointer? {
        let slot = slots[field.rawValue]
        guard slot.priority != 255, !slot.escaped, field.kind == .identifier || field.kind == .string else {
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: line[Int(slot.start)..<Int(slot.end)])
    }

    /// A string or identifier field as text, escapes decoded.
    public func string(_ field: LogField) -> String? {
        let slot = slots[field.rawValue]
        guard slot.priority != 255, field.kind == .identifier || field.kind == .string else { return nil }
        return JSONText.decode(line, TextSpan(start: slot.start, end: slot.end, escaped: slot.escaped))
    }

    /// Where the prompt text came from: the `prompt` field, else the last user message.
    var promptSpans: Range<Int>? {
        let slot = slots[LogField.prompt.rawValue]
        if slot.priority != 255 {
            let first = Int(slot.integer)
            return first..<(first + Int(slot.double))
        }
        return messagesHaveUser ? messagesUserRange : nil
    }

    var systemSpans: Range<Int>? {
        let slot = slots[LogField.system.rawValue]
        if slot.priority != 255 {
            let first = Int(slot.integer)
            return first..<(first + Int(slot.double))
        }
        return messagesHaveSystem ? messagesSystemRange : nil
    }

    public var hasPrompt: Bool { promptSpans != nil }

    /// The newest tool-result turn's text spans, or nil when the conversation has none.
    var toolResultSpans: ArraySlice<TextSpan>? {
        hasToolResults && !toolResultRange.isEmpty ? resultSpans[toolResultRange] : nil
    }

    /// The newest tool-result turn's text, joined with newlines.
    public var toolResultText: String? {
        toolResultSpans.map { spans in spans.map { JSONText.decode(line, $0) }.joined(separator: "\n") }
    }

    /// The user's prompt: `prompt`, or the last `user` message of `messages`; text blocks are
    /// joined with newlines.
    public var prompt: String? { promptSpans.map(joinedText) }

    /// The system prompt: `system`, or the first `system` message.
    public var system: String? { systemSpans.map(joinedText) }

    func joinedText(_ range: Range<Int>) -> String {
        var parts: [String] = []
        for i in range { parts.append(JSONText.decode(line, textSpans[i])) }
        return parts.joined(separator: "\n")
    }
}
