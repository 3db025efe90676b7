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
        case .badTimestamp: "ts is not an RFC 3339 time or epoch number between 2000-01-01 and tomorrow"
        case .missingAccountID: "no account_id field (or alias) with a non-empty string or integer"
        case .lineTooLong: "longer than the line limit"
        case .truncated: "cut off where the input ends early"
        }
    }
}

/// Hash of a key's bytes. Keys are short, but a byte loop (FNV-1a, as this was) chains a
/// multiply per byte and showed up in profiles; the block hash reads them a word at a time.
@inline(__always)
func keyHash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    StableHash.hash(UnsafeRawBufferPointer(start: p, count: count), seed: 0x6B65) | 1  // 0 marks an empty slot
}

/// One JSON object level of the field paths: key → the fields it feeds and the next level.
struct KeyEntry: Sendable {
    var key: [UInt8]
    /// (field, priority) pairs this key's value feeds.
    var targets: [(field: LogField, priority: UInt8)]
    /// Node index for the next path component, or -1.
    var child: Int
}

/// Where a key's value goes: a field and the priority of the name it was found under.
struct FieldTarget {
    var field: LogField
    var priority: UInt8
}

/// The compiled form of `FieldSources`. Immutable and shared by all decode workers; the hot
/// path reads flat buffers allocated once, so matching a key retains nothing.
public final class DecodeSchema: @unchecked Sendable {
    public let fieldSources: FieldSources
    /// Per entry: key bytes (offset, length into `keyBytes`), next-level node or -1, targets.
    private let keyBytes: UnsafeMutableBufferPointer<UInt8>
    private let keyOffset: UnsafeMutableBufferPointer<Int32>
    /// Number of (object, key) entries: an index for per-entry bookkeeping.
    var entryCount: Int { keyLength.count }
    private let keyLength: UnsafeMutableBufferPointer<Int32>
    private let childNode: UnsafeMutableBufferPointer<Int32>
    private let targetStart: UnsafeMutableBufferPointer<Int32>
    private let targetCount: UnsafeMutableBufferPointer<Int32>
    private let targetList: UnsafeMutableBufferPointer<FieldTarget>
    /// All nodes' open-addressing tables, back to back: (hash, entry index + 1).
    private let slots: UnsafeMutableBufferPointer<(hash: UInt64, entry: Int32)>
    private let tableOffset: UnsafeMutableBufferPointer<Int32>
    private let tableMask: UnsafeMutableBufferPointer<Int32>
    /// Per node: whether some path indexes an array there.
    private let hasIndexKeys: [Bool]

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
        func buffer<T>(_ values: [T]) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, values.count))
            _ = b.initialize(from: values)
            return b
        }
        var offsets: [Int32] = []
        var allBytes: [UInt8] = []
        var starts: [Int32] = []
        var targets: [FieldTarget] = []
        for e in entries {
            offsets.append(Int32(allBytes.count))
            allBytes += e.key
            starts.append(Int32(targets.count))
            targets += e.targets.map { FieldTarget(field: $0.field, priority: $0.priority) }
        }
        keyBytes = buffer(allBytes)
        keyOffset = buffer(offsets)
        keyLength = buffer(entries.map { Int32($0.key.count) })
        childNode = buffer(entries.map { Int32($0.child) })
        targetStart = buffer(starts)
        targetCount = buffer(entries.map { Int32($0.targets.count) })
        targetList = buffer(targets)
        var allSlots: [(hash: UInt64, entry: Int32)] = []
        var tableOffsets: [Int32] = []
        var masks: [Int32] = []
        for keys in nodeKeys {
            var size = 16
            while size < keys.count * 4 { size *= 2 }
            var table = [(hash: UInt64, entry: Int32)](repeating: (0, 0), count: size)
            for index in keys {
                let h = entries[index].key.withUnsafeBufferPointer { keyHash($0.baseAddress!, $0.count) }
                var slot = Int(truncatingIfNeeded: h) & (size - 1)
                while table[slot].hash != 0 { slot = (slot + 1) & (size - 1) }
                table[slot] = (h, Int32(index + 1))
            }
            tableOffsets.append(Int32(allSlots.count))
            masks.append(Int32(size - 1))
            allSlots += table
        }
        hasIndexKeys = nodeKeys.map { keys in keys.contains { entries[$0].key.first == 0 } }
        slots = buffer(allSlots)
        tableOffset = buffer(tableOffsets)
        tableMask = buffer(masks)
    }

    deinit {
        keyBytes.deallocate()
        keyOffset.deallocate()
        keyLength.deallocate()
        childNode.deallocate()
        targetStart.deallocate()
        targetCount.deallocate()
        targetList.deallocate()
        slots.deallocate()
        tableOffset.deallocate()
        tableMask.deallocate()
    }

    /// Short keys compared inline: a memcmp call per key cost more than the comparison.
    @inline(__always)
    static func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i + 8 <= n {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < n {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    /// The entry for a key at a node, or nil when the key feeds nothing.
    @inline(__always)
    func lookup(node: Int, key: UnsafePointer<UInt8>, count: Int) -> Int? {
        let h = keyHash(key, count)
        let base = Int(tableOffset[node])
        let mask = Int(tableMask[node])
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let candidate = slots[base + slot]
            if candidate.hash == 0 { return nil }
            if candidate.hash == h {
                let entry = Int(candidate.entry) - 1
                if Int(keyLength[entry]) == count
                    && Self.bytesEqual(keyBytes.baseAddress! + Int(keyOffset[entry]), key, count)
                {
                    return entry
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The entry for element `index` of an array at `node` (a path component `[index]`).
    @inline(__always)
    func lookupIndex(node: Int, index: Int) -> Int? {
        guard hasIndexKeys[node] else { return nil }
        var key = FieldMapping.indexKey(index)
        return key.withUTF8 { lookup(node: node, key: $0.baseAddress!, count: $0.count) }
    }

    /// Whether some path indexes an array at `node`.
    @inline(__always)
    func indexes(node: Int) -> Bool { hasIndexKeys[node] }

    /// The factor a mapped path's numbers are multiplied by (1 unless a preset gives a unit,
    /// such as seconds for `latency_ms`).
    @inline(__always)
    func scale(_ field: LogField, priority: Int) -> Double {
        let scales = fieldSources.scales[field.rawValue]
        return priority < scales.count ? scales[priority] : 1
    }

    /// The next-level node of an entry, or -1.
    @inline(__always)
    func child(_ entry: Int) -> Int { Int(childNode[entry]) }

    /// The fields an entry's value feeds.
    @inline(__always)
    func targets(_ entry: Int) -> UnsafeMutableBufferPointer<FieldTarget> {
        UnsafeMutableBufferPointer(rebasing: targetList[Int(targetStart[entry])..<Int(targetStart[entry] + targetCount[entry])])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
