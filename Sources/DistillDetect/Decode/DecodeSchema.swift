// Field names and dotted paths compiled once into hash tables, so a line's keys are matched
// without building a String per key.

/// Why a line was rejected. The raw values appear in summary.json and `check` output.
public enum RejectReason: String, CaseIterable, Sendable, Codable, Comparable {
    case invalidJSON = "invalid_json"
    case notObject = "not_object"
    case invalidUTF8 = "invalid_utf8"
    case missingTimestamp = "missing_ts"
    case badTimestamp = "bad_ts"
    case missingAccountID = "missing_account_id"
    case lineTooLong = "line_too_long"
    case truncated = "truncated"

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }

    public var explanation: String {
        switch self {
        case .invalidJSON: "not valid JSON"
        case .notObject: "valid JSON but not an object"
        case .invalidUTF8: "bytes that are not valid UTF-8"
        case .missingTimestamp: "no ts field (or alias) with a string or number"
        case .badTimestamp: "ts is neither RFC 3339 nor an epoch number"
        case .missingAccountID: "no account_id field (or alias) with a non-empty string or integer"
        case .lineTooLong: "longer than the line limit"
        case .truncated: "cut off where the input ends early"
        }
    }
}

/// 64-bit FNV-1a; keys are short, so a byte loop beats anything cleverer here.
@inline(__always)
func fnv1a(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<count {
        h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3
    }
    return h | 1  // 0 marks an empty slot
}

/// One JSON object level of the field paths: key → the fields it feeds and the next level.
struct KeyEntry: Sendable {
    var key: [UInt8]
    /// (field, priority) pairs this key's value feeds.
    var targets: [(field: LogField, priority: UInt8)]
    /// Node index for the next path component, or -1.
    var child: Int
}

/// The compiled form of `FieldSources`. Immutable and shared by all decode workers.
public final class DecodeSchema: Sendable {
    public let fieldSources: FieldSources
    let entries: [KeyEntry]
    /// Per node: open-addressing table of (hash, entry index + 1).
    let tables: [[(hash: UInt64, entry: Int)]]

    public init(mappings: [FieldMapping] = []) {
        fieldSources = FieldSources(mappings: mappings)
        var entries: [KeyEntry] = []
        var nodeKeys: [[Int]] = [[]]  // node → entry indices
        for field in LogField.allCases {
            for (priority, path) in fieldSources.sources[field.rawValue].enumerated() {
                var node = 0
                for (depth, component) in path.enumerated() {
                    let bytes = Array(component.utf8)
                    var index = nodeKeys[node].first { entries[$0].key == bytes }
                    if index == nil {
                        entries.append(KeyEntry(key: bytes, targets: [], child: -1))
                        index = entries.count - 1
                        nodeKeys[node].append(index!)
                    }
                    if depth == path.count - 1 {
                        if !entries[index!].targets.contains(where: { $0.field == field }) {
                            entries[index!].targets.append((field, UInt8(priority)))
                        }
                    } else {
                        if entries[index!].child < 0 {
                            nodeKeys.append([])
                            entries[index!].child = nodeKeys.count - 1
                        }
                        node = entries[index!].child
                    }
                }
            }
        }
        self.entries = entries
        tables = nodeKeys.map { keys in
            var size = 16
            while size < keys.count * 4 { size *= 2 }
            var table = [(hash: UInt64, entry: Int)](repeating: (0, 0), count: size)
            for index in keys {
                let h = entries[index].key.withUnsafeBufferPointer { fnv1a($0.baseAddress!, $0.count) }
                var slot = Int(truncatingIfNeeded: h) & (size - 1)
                while table[slot].hash != 0 { slot = (slot + 1) & (size - 1) }
                table[slot] = (h, index + 1)
            }
            return table
        }
    }

    /// The entry for a key at a node, or nil when the key feeds nothing.
    @inline(__always)
    func lookup(node: Int, key: UnsafePointer<UInt8>, count: Int) -> Int? {
        let h = fnv1a(key, count)
        return tables[node].withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var slot = Int(truncatingIfNeeded: h) & mask
            while true {
                let candidate = table[slot]
                if candidate.hash == 0 { return nil }
                if candidate.hash == h {
                    let entryIndex = candidate.entry - 1
                    let matches = entries[entryIndex].key.withUnsafeBufferPointer { k in
                        k.count == count && (count == 0 || memcmp(k.baseAddress!, key, count) == 0)
                    }
                    if matches { return entryIndex }
                }
                slot = (slot + 1) & mask
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
