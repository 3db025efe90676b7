// Named field maps for the log shapes gateways and providers write, so nobody writes
// `--field-map`s by hand; and a guess at the shape of a file whose required fields are
// missing, for `check` to suggest one.
import Foundation

/// `--preset NAME`: the field paths of one known log shape, tried before a field's usual
/// names (after any `--field-map`). README.md shows an example record of each.
public enum LogPreset: String, CaseIterable, Sendable, Codable {
    /// Keys of an object that holds the records in an array (LiteLLM spend logs, Azure
    /// diagnostics, CloudTrail-style exports): the `json-wrapper(KEY)` input shape.
    static let wrapperKeys = ["data", "records", "Records", "logs", "items", "value", "results"]

    case litellm
    case bedrock
    case cloudwatch
    case anthropicMessages = "anthropic-messages"
    case openaiChat = "openai-chat"
    case openaiResponses = "openai-responses"
    case otelGenAI = "otel-genai"
    case cloudflare
    case azureOpenAI = "azure-openai"
    case nginxJSON = "nginx-json"
    case langfuse

    /// What the shape is, as `check` names it.
    public var title: String {
        switch self {
        case .litellm: "LiteLLM StandardLoggingPayload or spend logs"
        case .bedrock: "Amazon Bedrock model-invocation log"
        case .cloudwatch: "CloudWatch Logs records of Bedrock model invocations"
        case .anthropicMessages: "Anthropic Messages API request bodies"
        case .openaiChat: "OpenAI Chat Completions request bodies"
        case .openaiResponses: "OpenAI Responses API request bodies"
        case .otelGenAI: "OpenTelemetry GenAI spans"
        case .cloudflare: "Cloudflare AI Gateway logs"
        case .azureOpenAI: "Azure OpenAI diagnostic logs (RequestResponse)"
        case .nginxJSON: "nginx access log with escape=json"
        case .langfuse: "Langfuse observations export"
        }
    }

    /// The field paths, as `--field-map` would take them, in priority order per field.
    /// Seconds read into `latency_ms` carry a scale of 1000.
    public var mappings: [FieldMapping] {
        func m(_ text: String, scale: Double = 1) -> FieldMapping {
            // The presets are constants of this file; a typo fails every preset test.
            let parsed = try! FieldMapping(parsing: text)
            return FieldMapping(field: parsed.field, path: parsed.path, scale: scale)
        }
        switch self {
        case .litellm:
            return [
                m("account_id=metadata.user_api_key_user_id"), m("account_id=end_user"), m("account_id=user"),
                m("account_id=metadata.user_api_key_end_user_id"),
                m("org_id=metadata.user_api_key_team_id"), m("org_id=team_id"),
                m("api_key_id=metadata.user_api_key_hash"), m("api_key_id=api_key"),
                m("ip=metadata.requester_ip_address"), m("ip=requester_ip_address"),
                m("user_agent=metadata.headers.user-agent"),
                m("request_id=id"), m("request_id=request_id"),
                m("input_tokens=prompt_tokens"), m("input_tokens=usage.prompt_tokens"),
                m("output_tokens=completion_tokens"), m("output_tokens=usage.completion_tokens"),
                m("latency_ms=response_time", scale: 1000),
                m("tools=model_parameters.tools"), m("tools=optional_params.tools"),
            ]
        case .bedrock, .cloudwatch:
            return [
                m("account_id=identity.arn"), m("org_id=accountId"), m("request_id=requestId"), m("model=modelId"),
                m("endpoint=operation"),
                m("messages=input.inputBodyJson.messages"), m("system=input.inputBodyJson.system"),
                m("prompt=input.inputBodyJson.prompt"), m("prompt=input.inputBodyJson.inputText"),
                m("tools=input.inputBodyJson.toolConfig.tools"), m("tools=input.inputBodyJson.tools"),
                m("input_tokens=input.inputTokenCount"), m("output_tokens=output.outputTokenCount"),
            ]
        case .anthropicMessages:
            return [
                m("account_id=metadata.user_id"), m("request_id=id"),
                m("input_tokens=usage.input_tokens"), m("output_tokens=usage.output_tokens"),
            ]
        case .openaiChat:
            return [
                m("account_id=user"), m("account_id=safety_identifier"), m("account_id=metadata.user_id"),
                m("ts=created"), m("input_tokens=usage.prompt_tokens"), m("output_tokens=usage.completion_tokens"),
            ]
        case .openaiResponses:
            return [
                m("account_id=user"), m("account_id=safety_identifier"), m("account_id=metadata.user_id"),
                m("ts=created_at"), m("messages=input"), m("system=instructions"),
                m("input_tokens=usage.input_tokens"), m("output_tokens=usage.output_tokens"),
            ]
        case .otelGenAI:
            return [
                m("ts=startTimeUnixNano"), m("ts=start_time"),
                m("account_id=attributes[\"enduser.id\"]"), m("account_id=attributes[\"user.id\"]"),
                m("account_id=attributes[\"gen_ai.request.user\"]"),
                m("request_id=spanId"), m("request_id=context.span_id"),
                m("model=attributes[\"gen_ai.request.model\"]"),
                m("input_tokens=attributes[\"gen_ai.usage.input_tokens\"]"),
                m("output_tokens=attributes[\"gen_ai.usage.output_tokens\"]"),
                m("ip=attributes[\"client.address\"]"),
                m("endpoint=attributes[\"gen_ai.operation.name\"]"),
                m("messages=attributes[\"gen_ai.input.messages\"]"),
                m("system=attributes[\"gen_ai.system_instructions\"]"),
                m("tools=attributes[\"gen_ai.tool.definitions\"]"),
            ]
        case .cloudflare:
            return [
                m("account_id=metadata.user"), m("account_id=metadata.user_id"), m("account_id=metadata.userId"),
                m("org_id=metadata.team"), m("latency_ms=duration"), m("input_tokens=tokens_in"),
                m("output_tokens=tokens_out"), m("messages=request.messages"), m("prompt=request.prompt"),
            ]
        case .azureOpenAI:
            return [
                m("account_id=properties.objectId"), m("account_id=identity.claim.oid"),
                m("request_id=correlationId"), m("model=properties.modelName"), m("endpoint=operationName"),
                m("status=resultSignature"), m("latency_ms=durationMs"), m("ip=callerIpAddress"),
            ]
        case .nginxJSON:
            return [
                m("ts=time_iso8601"), m("ts=time_local"), m("ts=msec"),
                m("account_id=request_body.user"), m("account_id=request_body.metadata.user_id"),
                m("account_id=remote_user"), m("account_id=http_x_user_id"),
                m("api_key_id=http_x_api_key_id"),
                m("ip=http_x_forwarded_for"), m("ip=remote_addr"),
                m("latency_ms=request_time", scale: 1000),
                m("model=request_body.model"), m("messages=request_body.messages"), m("messages=request_body.input"),
                m("prompt=request_body.prompt"), m("system=request_body.system"), m("system=request_body.instructions"),
                m("tools=request_body.tools"), m("endpoint=request_uri"), m("endpoint=request"),
            ]
        case .langfuse:
            return [
                m("ts=startTime"), m("account_id=userId"), m("account_id=trace.userId"), m("account_id=metadata.user_id"),
                m("request_id=id"), m("model=model"), m("messages=input.messages"), m("messages=input"),
                m("input_tokens=usage.input"), m("input_tokens=usageDetails.input"), m("input_tokens=usage.promptTokens"),
                m("output_tokens=usage.output"), m("output_tokens=usageDetails.output"),
                m("output_tokens=usage.completionTokens"), m("latency_ms=latency", scale: 1000),
            ]
        }
    }

    /// One record of the shape, for README and `--help`.
    public var example: String {
        switch self {
        case .litellm:
            #"{"id":"chatcmpl-1","call_type":"acompletion","startTime":1717200000.0,"model":"gpt-4o-mini","end_user":"","metadata":{"user_api_key_user_id":"u-100","user_api_key_team_id":"team-a","user_api_key_hash":"hash0","requester_ip_address":"198.51.100.10"},"messages":[{"role":"user","content":"Write a parser"}],"prompt_tokens":30,"completion_tokens":10}"#
        case .bedrock:
            #"{"schemaType":"ModelInvocationLog","timestamp":"2025-04-09T23:00:17Z","accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/app/s0"},"requestId":"9f1a…","operation":"Converse","modelId":"anthropic.claude-3-haiku","input":{"inputBodyJson":{"messages":[{"role":"user","content":[{"text":"Write a parser"}]}],"system":[{"text":"Be terse."}]},"inputTokenCount":35},"output":{"outputTokenCount":120}}"#
        case .cloudwatch:
            #"{"messageType":"DATA_MESSAGE","logGroup":"bedrock-invocations","logEvents":[{"id":"1","timestamp":1744239617000,"message":"{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2025-04-09T23:00:17Z\",\"identity\":{\"arn\":\"arn:aws:sts::1:assumed-role/app/s0\"},…}"}]}"#
        case .anthropicMessages:
            #"{"timestamp":"2024-06-02T08:00:00Z","model":"claude-sonnet-4","system":[{"type":"text","text":"You are a coding agent.","cache_control":{"type":"ephemeral"}}],"metadata":{"user_id":"u-0"},"tools":[{"name":"run_tests","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Fix the parser"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_0","name":"run_tests","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_0","content":"3 passed"}]}],"usage":{"input_tokens":1200,"output_tokens":80}}"#
        case .openaiChat:
            #"{"created":1717200000,"model":"gpt-4o","user":"u-0","messages":[{"role":"developer","content":"Answer in JSON."},{"role":"user","content":[{"type":"text","text":"Write a parser"}]}],"usage":{"prompt_tokens":30,"completion_tokens":10}}"#
        case .openaiResponses:
            #"{"created_at":1717200000,"model":"gpt-4.1","user":"u-0","instructions":"You are a coding agent.","tools":[{"type":"function","name":"run_tests","parameters":{"type":"object"}}],"input":[{"role":"user","content":[{"type":"input_text","text":"Fix the parser"}]},{"type":"function_call","call_id":"c0","name":"run_tests","arguments":"{}"},{"type":"function_call_output","call_id":"c0","output":"3 passed"}],"usage":{"input_tokens":900,"output_tokens":60}}"#
        case .otelGenAI:
            #"{"traceId":"…","spanId":"…","name":"chat gpt-4o","startTimeUnixNano":1717200000123456789,"attributes":{"gen_ai.request.model":"gpt-4o","enduser.id":"u-0","client.address":"203.0.113.40","gen_ai.usage.input_tokens":12,"gen_ai.input.messages":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Write a parser\"}]}]"}}"#
        case .cloudflare:
            #"{"id":"01JC…","created_at":"2024-11-07T14:00:05.123Z","duration":812,"model":"gpt-4o-mini","path":"openai/chat/completions","status_code":200,"tokens_in":31,"tokens_out":12,"metadata":"{\"team\":\"AI\",\"user\":12345}"}"#
        case .azureOpenAI:
            #"{"time":"2024-05-24T12:20:02.4350000Z","callerIpAddress":"81.2.69.***","category":"RequestResponse","correlationId":"c0ffee00-…","durationMs":102,"operationName":"ChatCompletions_Create","resultSignature":"200","properties":"{\"objectId\":\"0000-obj-4\",\"modelName\":\"gpt-35-turbo\"}"}"#
        case .nginxJSON:
            #"{"time_iso8601":"2024-05-01T10:00:00+02:00","remote_addr":"10.0.0.1","remote_user":"-","status":"200","request_time":"0.532","http_user_agent":"python-httpx/0.27","http_x_forwarded_for":"203.0.113.60, 10.0.0.1","request_body":"{\"model\":\"gpt-4o\",\"user\":\"u-0\",\"messages\":[{\"role\":\"user\",\"content\":\"Write a parser\"}]}"}"#
        case .langfuse:
            #"{"id":"obs-1","traceId":"tr-1","type":"GENERATION","startTime":"2024-06-01T10:00:00.000Z","userId":"u-0","model":"gpt-4o","input":[{"role":"user","content":"Write a parser"}],"usage":{"input":30,"output":10},"latency":1.2}"#
        }
    }

    /// The preset whose shape a record has, judged from its keys; nil when none fits.
    public static func guess(_ record: [String: Any]) -> LogPreset? {
        let keys = Set(record.keys)
        func object(_ key: String) -> [String: Any]? {
            if let o = record[key] as? [String: Any] { return o }
            if let s = record[key] as? String, let d = s.data(using: .utf8) { return (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] }
            return nil
        }
        if keys.contains("logEvents") { return .cloudwatch }
        if record["schemaType"] as? String == "ModelInvocationLog" || (keys.contains("modelId") && keys.contains("identity")) {
            return .bedrock
        }
        if let attributes = object("attributes"), attributes.keys.contains(where: { $0.hasPrefix("gen_ai.") }) { return .otelGenAI }
        // OTLP/JSON attributes: [{"key": "gen_ai.request.model", "value": {...}}].
        if let attributes = record["attributes"] as? [[String: Any]],
            attributes.contains(where: { ($0["key"] as? String)?.hasPrefix("gen_ai.") == true })
        {
            return .otelGenAI
        }
        if keys.contains("category") && keys.contains("operationName") && (keys.contains("callerIpAddress") || keys.contains("properties")) {
            return .azureOpenAI
        }
        if keys.contains("time_local") || keys.contains("time_iso8601")
            || (keys.contains("request_body") && (keys.contains("remote_addr") || keys.contains("request_time")))
        {
            return .nginxJSON
        }
        if keys.contains("call_type") || keys.contains("litellm_call_id")
            || object("metadata")?.keys.contains(where: { $0.hasPrefix("user_api_key") }) == true
        {
            return .litellm
        }
        if keys.contains("tokens_in") || (keys.contains("provider") && keys.contains("model_type")) { return .cloudflare }
        if keys.contains("traceId") && (record["type"] as? String == "GENERATION" || keys.contains("usageDetails")) { return .langfuse }
        if keys.contains("instructions") || (keys.contains("input") && record["input"] is [Any] && keys.contains("model")) {
            return .openaiResponses
        }
        if keys.contains("messages") && (keys.contains("anthropic_version") || object("metadata")?["user_id"] != nil) {
            return .anthropicMessages
        }
        if keys.contains("messages") && keys.contains("model") { return .openaiChat }
        return nil
    }

    /// The first record in the first bytes of a log (JSON Lines, a JSON array, a
    /// `{"data"|"records": [...]}` wrapper, a CloudWatch envelope or export line), if any.
    public static func firstRecord(_ bytes: [UInt8]) -> [String: Any]? {
        // Each candidate start of a JSON value: the first line, then each `{` after an
        // opening bracket or a timestamp prefix; the first that parses is the record.
        var starts: [Int] = []
        var i = 0
        while i < bytes.count && starts.count < 8 {
            if bytes[i] == UInt8(ascii: "{") { starts.append(i) }
            i += 1
        }
        for start in starts {
            var depth = 0
            var inString = false
            var escaped = false
            var end: Int?
            for k in start..<bytes.count {
                let c = bytes[k]
                if inString {
                    if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                    continue
                }
                if c == 0x22 { inString = true } else if c == 0x7B || c == 0x5B { depth += 1 } else if c == 0x7D || c == 0x5D {
                    depth -= 1
                    if depth == 0 {
                        end = k
                        break
                    }
                }
            }
            guard let end,
                let object = (try? JSONSerialization.jsonObject(with: Data(bytes[start...end]))) as? [String: Any]
            else { continue }
            for path in [["resourceSpans", "scopeSpans", "spans"], ["resourceLogs", "scopeLogs", "logRecords"]] {
                var level: Any = object
                for key in path { level = ((level as? [String: Any])?[key] as? [Any])?.first as Any }
                if let first = level as? [String: Any] { return first }
            }
            for key in LogPreset.wrapperKeys {
                if let list = object[key] as? [Any], object.count <= 3, let first = list.first as? [String: Any] { return first }
            }
            if let events = object["logEvents"] as? [[String: Any]], let message = events.first?["message"] as? String,
                let inner = (try? JSONSerialization.jsonObject(with: Data(message.utf8))) as? [String: Any]
            {
                return LogPreset.guess(inner) == nil ? object : inner
            }
            return object
        }
        return nil
    }
}
