// How an input lays out its records, recognised from the first bytes of its decompressed
// stream (never from its name), once per input.

/// The layout of the records in one input. JSON Lines goes through the line chunker as it is;
/// every other shape goes through `RecordFramer`, which writes each record as one line.
public enum InputShape: Sendable, Equatable {
    /// One JSON object per line (JSON Lines, NDJSON).
    case jsonLines
    /// A top-level JSON array whose elements are the records (`[{...},{...}]`, one line or
    /// pretty-printed).
    case jsonArray
    /// An object holding the records in an array under `key` (`{"data":[...]}`,
    /// `{"records":[...]}`); its other keys are ignored.
    case jsonWrapper(key: String)
    /// JSON values one after another in any layout: pretty-printed, or joined with no newline
    /// (`{...}{...}`).
    case jsonValues
    /// CloudWatch Logs subscription envelopes (`{"messageType":"DATA_MESSAGE", ...,
    /// "logEvents":[{"message":"<record as a JSON string>"}]}`): each event's message is a
    /// record; `CONTROL_MESSAGE` envelopes are skipped.
    case cloudWatchEnvelopes
    /// CloudWatch Logs export lines, `<timestamp> <record>`: the timestamp prefix is dropped.
    case cloudWatchExport
    /// OpenTelemetry OTLP/JSON exports: the records are the spans of
    /// `resourceSpans[].scopeSpans[].spans[]` (or the log records of
    /// `resourceLogs[].scopeLogs[].logRecords[]`), one export per line or pretty-printed.
    case otlp(logs: Bool)

    /// The keys leading from the top-level object to the records, one per level of nesting.
    var unwrapPath: [String] {
        switch self {
        case .jsonWrapper(let key): [key]
        case .cloudWatchEnvelopes: ["logEvents"]
        case .otlp(let logs): logs ? ["resourceLogs", "scopeLogs", "logRecords"] : ["resourceSpans", "scopeSpans", "spans"]
        default: []
        }
    }

    /// The name shown by `check` and in summary.json's `inputs[].shape`.
    public var name: String {
        switch self {
        case .jsonLines: "jsonl"
        case .jsonArray: "json-array"
        case .jsonWrapper(let key): "json-wrapper(\(key))"
        case .jsonValues: "json-values"
        case .cloudWatchEnvelopes: "cloudwatch-envelopes"
        case .cloudWatchExport: "cloudwatch-export"
        case .otlp(let logs): logs ? "otlp-logs" : "otlp-spans"
        }
    }

    /// Keys whose array value a wrapper object holds its records in.
    /// `data` (LiteLLM spend logs v2, many REST APIs), `records` (Azure), `Records`
    /// (CloudTrail, S3 exports), `logs`, `items`, `value` (Azure REST), `results`. (Not
    /// `events`: OpenTelemetry spans carry their events under it.)
    static let wrapperKeys = LogPreset.wrapperKeys

    /// How many leading bytes detection looks at, at most.
    static let sniffLimit = 1 << 20

    /// The shape of an input whose decompressed stream starts with `bytes` (all of it when the
    /// input is shorter). Looks at the first value only: a first object that holds a
    /// `logEvents` array is a CloudWatch envelope; one that holds a `data` or `records` array
    /// of objects and no time field is a wrapper; one spread over several lines, or followed
    /// on its line by another value, starts a stream of JSON values. Anything else, including
    /// text that is not JSON, is read as JSON Lines (and rejected line by line if bad).
    /// `timeKeys`: the top-level keys a record's time may come under beyond the built-in
    /// names (the first key of each `--field-map` or preset path for `ts`), so a record with
    /// a `data` array and, say, `created` is not taken for a wrapper.
    static func detect(_ bytes: UnsafeRawBufferPointer, timeKeys: Set<[UInt8]> = []) -> InputShape {
        let n = min(bytes.count, sniffLimit)
        var i = 0
        if n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        while i < n && isJSONWhitespace(bytes[i]) { i += 1 }
        guard i < n else { return .jsonLines }
        switch bytes[i] {
        case UInt8(ascii: "["):
            return .jsonArray
        case UInt8(ascii: "{"):
            return detectObjectStream(bytes, from: i, count: n, extraTimeKeys: timeKeys)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return exportPrefixLength(bytes, from: i, count: n) != nil ? .cloudWatchExport : .jsonLines
        default:
            return .jsonLines
        }
    }

    /// Length of a CloudWatch export line's `<timestamp> ` prefix starting at `start`: an ISO
    /// time or epoch number (8 or more of `0-9 T Z : . + -`), one space, then `{` or `[`.
    static func exportPrefixLength(_ bytes: UnsafeRawBufferPointer, from start: Int, count: Int) -> Int? {
        var j = start
        while j < count && isTimestampByte(bytes[j]) { j += 1 }
        guard j - start >= 8, j + 1 < count, bytes[j] == 0x20,
            bytes[j + 1] == UInt8(ascii: "{") || bytes[j + 1] == UInt8(ascii: "[")
        else { return nil }
        return j + 1 - start
    }

    @inline(__always)
    static func isTimestampByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "T") || c == UInt8(ascii: "Z") || c == UInt8(ascii: ":")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
    }

    /// Reads the first object (starting at `start`) far enough to tell the object shapes apart.
    private static func detectObjectStream(
        _ bytes: UnsafeRawBufferPointer, from start: Int, count n: Int, extraTimeKeys: Set<[UInt8]>
    ) -> InputShape {
        let timeKeys = Set(([LogField.ts.canonicalName] + LogField.ts.aliases).map { Array($0.utf8) }).union(extraTimeKeys)
        var depth = 0
        var inString = false
        var escaped = false
        var expectKey = false
        var stringStart = 0
        var key: [UInt8] = []  // last key at depth 1
        var awaitingValueOf: [UInt8]?  // a depth-1 key whose value has not started yet
        var awaitingFirstElementOf: [UInt8]?
        var arrays: [[UInt8]: UInt8] = [:]  // depth-1 key with an array value → its first element's first byte
        var hasTimeKey = false
        var multiline = false
        var end: Int?
        var i = start
        scan: while i < n {
            let c = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                } else if c == 0x5C {
                    escaped = true
                } else if c == 0x22 {
                    inString = false
                    if depth == 1 && expectKey {
                        key = Array(bytes[(stringStart + 1)..<i])
                        if timeKeys.contains(key) { hasTimeKey = true }
                    }
                }
                i += 1
                continue
            }
            if isJSONWhitespace(c) {
                if c == 0x0A { multiline = true }
                i += 1
                continue
            }
            if let k = awaitingFirstElementOf {
                arrays[k] = c
                awaitingFirstElementOf = nil
            }
            if let k = awaitingValueOf {
                awaitingValueOf = nil
                if c == UInt8(ascii: "[") { awaitingFirstElementOf = k }
            }
            switch c {
            case 0x22:
                inString = true
                stringStart = i
            case UInt8(ascii: "{"):
                depth += 1
                expectKey = true
            case UInt8(ascii: "["):
                depth += 1
                expectKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                expectKey = false
                if depth == 0 {
                    end = i + 1
                    break scan
                }
            case UInt8(ascii: ","):
                if depth == 1 { expectKey = true }
            case UInt8(ascii: ":"):
                if depth == 1 { awaitingValueOf = key }
                expectKey = false
            default:
                break
            }
            i += 1
        }
        if arrays[Array("logEvents".utf8)] != nil { return .cloudWatchEnvelopes }
        if arrays[Array("resourceSpans".utf8)] != nil { return .otlp(logs: false) }
        if arrays[Array("resourceLogs".utf8)] != nil { return .otlp(logs: true) }
        if !hasTimeKey {
            for name in wrapperKeys {
                if let first = arrays[Array(name.utf8)], first == UInt8(ascii: "{") || first == UInt8(ascii: "]") {
                    return .jsonWrapper(key: name)
                }
            }
        }
        if multiline { return .jsonValues }
        guard var j = end else { return .jsonLines }
        while j < n && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
        if j < n && (bytes[j] == UInt8(ascii: "{") || bytes[j] == UInt8(ascii: "[")) { return .jsonValues }
        return .jsonLines
    }
}

@inline(__always)
func isJSONWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
