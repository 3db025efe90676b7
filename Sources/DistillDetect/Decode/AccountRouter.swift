// Finds a line's account id without decoding the line, so decode workers can split the work by
// account: each worker decodes only the lines of its accounts and keeps one state per account
// instead of every worker keeping a partial state of nearly every account.
//
// It is a hint, never a decision: a line whose id it cannot find quickly (an escaped id, a
// nested field map, an odd layout) goes to a worker chosen by line number, and the states of
// an account split over workers merge exactly afterwards. So routing changes where work is
// done, never what comes out.
import CSupport

struct AccountRouter: Sendable {
    /// `"name"` for each name the account id may come under, in priority order (the last
    /// component of a mapped path), back to back in one buffer: the scan per line then
    /// retains nothing.
    private let bytes: [UInt8]
    private let ends: [Int]

    init(schema: DecodeSchema) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for path in schema.fieldSources.sources[LogField.accountID.rawValue] {
            guard let name = path.last else { continue }
            bytes += Array("\"\(name)\"".utf8)
            ends.append(bytes.count)
        }
        self.bytes = bytes
        self.ends = ends
    }

    /// Seed of the routing hash. Fixed, so routing is the same in every run; ids chosen to
    /// collide only load one worker more, since accounts are told apart by their bytes.
    static let seed: UInt64 = 0x6163

    /// The routing hash of the line's account id when it is found quickly.
    func accountKey(_ line: UnsafeRawBufferPointer) -> UInt64? {
        guard let base = line.baseAddress else { return nil }
        let end = line.count
        return bytes.withUnsafeBytes { patterns in
            ends.withUnsafeBufferPointer { ends in
                var start = 0
                for patternEnd in ends {
                    let pattern = patterns.baseAddress! + start
                    let length = patternEnd - start
                    start = patternEnd
                    var from = 0
                    while from < end, let hit = dd_memmem(base + from, end - from, pattern, length) {
                        let at = base.distance(to: UnsafeRawPointer(hit))
                        from = at + 1
                        if let key = value(line, after: at + length) { return key }
                    }
                }
                return nil
            }
        }
    }

    /// Hash of the string or number that follows `: ` at `i`, or nil when the key is not
    /// followed by a plain (unescaped) string or a number.
    @inline(__always)
    private func value(_ line: UnsafeRawBufferPointer, after start: Int) -> UInt64? {
        var i = start
        let n = line.count
        while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
        guard i < n, line[i] == 0x3A else { return nil }
        i += 1
        while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
        guard i < n else { return nil }
        if line[i] == 0x22 {
            let first = i + 1
            var j = first
            while j < n && line[j] != 0x22 {
                if line[j] == 0x5C { return nil }
                j += 1
            }
            guard j < n, j > first else { return nil }
            return StableHash.hash(UnsafeRawBufferPointer(rebasing: line[first..<j]), seed: Self.seed)
        }
        let first = i
        while i < n, (line[i] >= 0x30 && line[i] <= 0x39) || line[i] == 0x2D { i += 1 }
        guard i > first else { return nil }
        return StableHash.hash(UnsafeRawBufferPointer(rebasing: line[first..<i]), seed: Self.seed)
    }
}
