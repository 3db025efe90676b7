// An agentic exchange as the APIs see it (system blocks, tool definitions, a task and rounds of
// tool calls and results) and its two request shapes: Anthropic Messages and OpenAI Responses.
import DistillDetect


/// A tool definition: name, description and a JSON Schema for its input (compact JSON text).
struct ToolSpec: Sendable {
    var name: String
    var description: String
    var schema: String
}

/// One call the model made; `input` is a JSON object as compact text.
struct ToolCall: Sendable {
    var id: String
    var name: String
    var input: String
}

struct ToolResult: Sendable {
    var callID: String
    var text: String
    /// Content as `[{"type":"text","text":...}]` rather than a string (Anthropic shape only).
    var asBlocks = false
    var isError = false
}

enum LoopTurn: Sendable {
    /// Text a person wrote: the task, or a follow-up in the middle of a session.
    case human(String)
    case assistant(text: String?, calls: [ToolCall])
    case results([ToolResult])
}

/// The request body of one step of a tool loop: the task, then the rounds so far.
struct ToolLoop: Sendable {
    var system: [String]
    var tools: [ToolSpec]
    var turns: [LoopTurn]
    /// The human turns as `[{"type":"text","text":...}]` rather than a string (Anthropic shape).
    var humanAsBlocks = false
    /// `cache_control` on the system blocks, as agent products set it.
    var cacheSystem = true

    /// The newest text a person wrote (what a decoder should read as the prompt).
    var newestHumanText: String {
        for turn in turns.reversed() { if case .human(let text) = turn { return text } }
        return ""
    }

    var joinedSystem: String? { system.isEmpty ? nil : system.joined(separator: "\n\n") }

    /// Bytes of text the request carries, for a token estimate.
    var textBytes: Int {
        var n = system.reduce(0) { $0 + $1.utf8.count } + tools.reduce(0) { $0 + $1.description.utf8.count + $1.schema.utf8.count }
        for turn in turns {
            switch turn {
            case .human(let text): n += text.utf8.count
            case .assistant(let text, let calls): n += (text?.utf8.count ?? 0) + calls.reduce(0) { $0 + $1.input.utf8.count + 16 }
            case .results(let results): n += results.reduce(0) { $0 + $1.text.utf8.count }
            }
        }
        return n
    }
}

/// A JSON value for tool inputs, written as compact text.
enum ToolArgument {
    case string(String)
    case int(Int)
    case bool(Bool)
    case strings([String])
    /// Already JSON text.
    case json(String)

    static func object(_ pairs: [(String, ToolArgument)]) -> String {
        var w = JSONLineWriter(out: [])
        w.out.append(UInt8(ascii: "{"))
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 { w.out.append(UInt8(ascii: ",")) }
            w.value(key)
            w.out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let s): w.value(s)
            case .int(let v): w.out.append(contentsOf: String(v).utf8)
            case .bool(let b): w.out.append(contentsOf: (b ? "true" : "false").utf8)
            case .strings(let items):
                w.out.append(UInt8(ascii: "["))
                for (j, s) in items.enumerated() {
                    if j > 0 { w.out.append(UInt8(ascii: ",")) }
                    w.value(s)
                }
                w.out.append(UInt8(ascii: "]"))
            case .json(let text): w.out.append(contentsOf: text.utf8)
            }
        }
        w.out.append(UInt8(ascii: "}"))
        return String(decoding: w.out, as: UTF8.self)
    }
}

extension JSONLineWriter {
    /// Appends text that is already JSON.
    mutating func rawJSON(_ text: String) { out.append(contentsOf: text.utf8) }

    /// `system`, `tools` and `messages` of an Anthropic Messages request.
    mutating func anthropicMessages(_ loop: ToolLoop) {
        if !loop.system.isEmpty {
            key("system")
            raw("[")
            for (i, block) in loop.system.enumerated() {
                raw(i == 0 ? "{\"type\":\"text\",\"text\":" : ",{\"type\":\"text\",\"text\":")
                value(block)
                raw(loop.cacheSystem ? ",\"cache_control\":{\"type\":\"ephemeral\"}}" : "}")
            }
            raw("]")
        }
        if !loop.tools.isEmpty {
            key("tools")
            raw("[")
            for (i, tool) in loop.tools.enumerated() {
                raw(i == 0 ? "{\"name\":" : ",{\"name\":")
                value(tool.name)
                raw(",\"description\":")
                value(tool.description)
                raw(",\"input_schema\":")
                rawJSON(tool.schema)
                raw("}")
            }
            raw("]")
        }
        key("messages")
        raw("[")
        for (i, turn) in loop.turns.enumerated() {
            if i > 0 { raw(",") }
            switch turn {
            case .human(let text):
                raw("{\"role\":\"user\",\"content\":")
                if loop.humanAsBlocks {
                    raw("[{\"type\":\"text\",\"text\":")
                    value(text)
                    raw("}]")
                } else {
                    value(text)
                }
                raw("}")
            case .assistant(let text, let calls):
                raw("{\"role\":\"assistant\",\"content\":[")
                var first = true
                if let text {
                    raw("{\"type\":\"text\",\"text\":")
                    value(text)
                    raw("}")
                    first = false
                }
                for call in calls {
                    raw(first ? "{\"type\":\"tool_use\",\"id\":" : ",{\"type\":\"tool_use\",\"id\":")
                    first = false
                    value(call.id)
                    raw(",\"name\":")
                    value(call.name)
                    raw(",\"input\":")
                    rawJSON(call.input)
                    raw("}")
                }
                raw("]}")
            case .results(let results):
                raw("{\"role\":\"user\",\"content\":[")
                for (j, result) in results.enumerated() {
                    raw(j == 0 ? "{\"type\":\"tool_result\",\"tool_use_id\":" : ",{\"type\":\"tool_result\",\"tool_use_id\":")
                    value(result.callID)
                    raw(",\"content\":")
                    if result.asBlocks {
                        raw("[{\"type\":\"text\",\"text\":")
                        value(result.text)
                        raw("}]")
                    } else {
                        value(result.text)
                    }
                    if result.isError { raw(",\"is_error\":true") }
                    raw("}")
                }
                raw("]}")
            }
        }
        raw("]")
    }

    /// `instructions`, `tools` and `input` of an OpenAI Responses request.
    mutating func openAIResponses(_ loop: ToolLoop) {
        if let system = loop.joinedSystem { string("instructions", system) }
        if !loop.tools.isEmpty {
            key("tools")
            raw("[")
            for (i, tool) in loop.tools.enumerated() {
                raw(i == 0 ? "{\"type\":\"function\",\"name\":" : ",{\"type\":\"function\",\"name\":")
                value(tool.name)
                raw(",\"description\":")
                value(tool.description)
                raw(",\"parameters\":")
                rawJSON(tool.schema)
                raw("}")
            }
            raw("]")
        }
        key("input")
        raw("[")
        var first = true
        func item(_ opening: StaticString) {
            if !first { raw(",") }
            first = false
            raw(opening)
        }
        for turn in loop.turns {
            switch turn {
            case .human(let text):
                item("{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":")
                value(text)
                raw("}]}")
            case .assistant(let text, let calls):
                if let text {
                    item("{\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":")
                    value(text)
                    raw("}]}")
                }
                for call in calls {
                    item("{\"type\":\"function_call\",\"call_id\":")
                    value(call.id)
                    raw(",\"name\":")
                    value(call.name)
                    raw(",\"arguments\":")
                    value(call.input)
                    raw("}")
                }
            case .results(let results):
                for result in results {
                    item("{\"type\":\"function_call_output\",\"call_id\":")
                    value(result.callID)
                    raw(",\"output\":")
                    value(result.text)
                    raw("}")
                }
            }
        }
        raw("]")
    }
}
