// The decode hot path: a validating, field-extracting JSON byte scanner. Hand-written because
// no Swift JSON package validates a whole line and extracts a few fields without building a
// DOM or Strings (Foundation's JSONDecoder runs at ~83 MB/s here, this at ~1 GB/s). It accepts
// exactly what JSONSerialization accepts, which the tests check on every input.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON number as written: sign, up to 19 significant digits, and a power of ten.
struct NumberLiteral {
    var negative = false
    var mantissa: UInt64 = 0
    var exponent = 0
    /// No fraction and no exponent part.
    var isPlainInteger = true
    /// More significant digits than fit; only approximate values are available.
    var inexact = false

    static let powersOfTen: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    /// The value times 10^shift, truncated toward zero; nil when it does not fit in Int64.
    func scaled(by shift: Int = 0) -> Int64? {
        guard !inexact else { return nil }
        var value = mantissa
        let e = exponent + shift
        if e >= 0 {
            for _ in 0..<e {
                let (m, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                value = m
            }
        } else {
            for _ in 0..<(-e) {
                value /= 10
                if value == 0 { break }
            }
        }
        guard value <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(value) : Int64(value)
    }

    /// The value when it is a whole number.
    var integerValue: Int64? {
        guard let whole = scaled() else { return nil }
        if exponent < 0 {
            // Whole only if the dropped digits were all zero.
            var divisor: UInt64 = 1
            for _ in 0..<min(-exponent, 19) { divisor &*= 10 }
            // A value too small for a double (25e-5431) reads as 0, as JSONSerialization reads it.
            if -exponent > 19 || mantissa % divisor != 0 { return mantissa == 0 || doubleValue == 0 ? 0 : nil }
        }
        return whole
    }

    var doubleValue: Double {
        var v = Double(mantissa)
        var e = exponent
        while e > 0 {
            let step = min(e, 22)
            v *= Self.powersOfTen[step]
            e -= step
        }
        while e < 0 {
            let step = min(-e, 22)
            v /= Self.powersOfTen[step]
            e += step
        }
        return negative ? -v : v
    }

    /// Epoch milliseconds of an epoch number in seconds, milliseconds, microseconds or
    /// nanoseconds, told apart by magnitude (`Timestamp.epochShift`).
    var epochMilliseconds: Int64? {
        let shift = Timestamp.epochShift(magnitude: doubleValue.magnitude)
        if let exact = scaled(by: shift) { return exact }
        // More digits than kept (a long fraction): the nearest double is close enough.
        var v = doubleValue
        for _ in 0..<abs(shift) { v = shift > 0 ? v * 10 : v / 10 }
        guard v.magnitude < 9.2e18 else { return nil }
        return Int64(v)
    }
}

/// Where scanning stopped early.
enum ScanStop: Error {
    case syntax(Int)
    case utf8(Int)
}

/// Decodes lines into `record`. One decoder per worker thread; reuses its buffers, so after
/// warm-up a line costs no heap allocation.
public struct ExchangeDecoder {
    public let schema: DecodeSchema
    public private(set) var record = DecodedExchange()
    /// Byte offset in the line where the last rejected line failed (syntax and UTF-8 errors).
    public private(set) var failureOffset = 0
    /// JSONSerialization refuses deeper nesting; so does the scanner, to agree with it.
    public static let maxDepth = 512
    /// Largest token count believed (2^40, a thousand times any real context): larger
    /// counts are clamped to it and counted (`DecodedExchange.outOfRange`), so sums of a
    /// few million exchanges cannot overflow.
    public static let maxTokenCount: Int64 = 1 << 40
    /// Times outside this range (epoch ms) are `bad_ts` for `ts` and absent for
    /// `account_created`; by default 2000-01-01 to the end of tomorrow by this machine's
    /// clock (`Timestamp.plausibleRange`). Days and hours computed from accepted times
    /// then fit every counter.
    public var plausibleTimes: ClosedRange<Int64>

    /// The line copied, then the unescaped bodies of JSON strings a field path descends into
    /// (a record encoded as a string inside a record: Azure `properties`, Cloudflare
    /// `metadata`, nginx `request_body`). Spans found there are offsets into it, so
    /// `record.line` becomes the arena for such a line. Used only by lines that need it.
    private let arena = ByteArena()
    private var arenaUsed = 0
    private var lineStart: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var lineCount = 0
    private var base: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var pos: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var end: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var scratch: [UInt8] = []
    /// A key given twice in one object: JSONSerialization keeps the last value, and so does
    /// the scanner. Per schema entry, the line (`generation`) it was last seen on and the
    /// offset of its last value; a line with a repeated key is read again taking only those.
    private var entrySeen: [UInt32]
    private var entryLastValue: [Int32]
    private var generation: UInt32 = 0
    private var repeatedKey = false
    private var lastValuesOnly = false

    public init(schema: DecodeSchema, plausibleTimes: ClosedRange<Int64> = Timestamp.plausibleRange()) {
        self.schema = schema
        self.plausibleTimes = plausibleTimes
        entrySeen = [UInt32](repeating: 0, count: schema.entryCount)
        entryLastValue = [Int32](repeating: 0, count: schema.entryCount)
        record.textSpans.reserveCapacity(64)
        scratch.reserveCapacity(256)
    }

    /// Calls `body` with the record where it lies: reading `record` from outside the decoder
    /// copies it (a retain per array in it, per line).
    @inline(__always)
    public mutating func withRecord<R>(_ body: (borrowing DecodedExchange) -> R) -> R { body(record) }

    /// Decodes one line (without its line end). nil: accepted, the fields are in `record`.
    public mutating func decode(_ line: UnsafeRawBufferPointer) -> RejectReason? {
        record.reset(line)
        guard let start = line.baseAddress?.assumingMemoryBound(to: UInt8.self), line.count > 0 else {
            failureOffset = 0
            return .invalidJSON
        }
        base = start
        pos = start
        end = start + line.count
        lineStart = start
        lineCount = line.count
        arenaUsed = 0
        // A UTF-8 byte order mark (first line of some files) is ignored, as JSONSerialization does.
        if line.count >= 3 && start[0] == 0xEF && start[1] == 0xBB && start[2] == 0xBF { pos += 3 }
        let bodyStart = pos
        generation &+= 1
        if generation == 0 {
            for i in entrySeen.indices { entrySeen[i] = 0 }
            generation = 1
        }
        repeatedKey = false
        do throws(ScanStop) {
            skipWhitespace()
            guard pos < end else { throw ScanStop.syntax(offset) }
            if pos.pointee != UInt8(ascii: "{") {
                try skipValue(depth: 0)
                skipWhitespace()
                guard pos == end else { throw ScanStop.syntax(offset) }
                return .notObject
            }
            try parseObject(node: 0, depth: 1)
            skipWhitespace()
            guard pos == end else { throw ScanStop.syntax(offset) }
            if repeatedKey {
                // The line is valid: read it again, taking each key's last value only.
                record.reset(line)
                base = start
                end = start + line.count
                arenaUsed = 0
                pos = bodyStart
                skipWhitespace()
                lastValuesOnly = true
                defer { lastValuesOnly = false }
                try parseObject(node: 0, depth: 1)
            }
        } catch {
            switch error {
            case .utf8(let at):
                failureOffset = at
                return .invalidUTF8
            case .syntax(let at):
                if let bad = Self.firstInvalidUTF8(line) {
                    failureOffset = bad
                    return .invalidUTF8
                }
                failureOffset = at
                return .invalidJSON
            }
        }
        if arenaUsed > 0 { record.line = UnsafeRawBufferPointer(start: arena.start, count: arenaUsed) }
        let ts = record.slots[LogField.ts.rawValue]
        if ts.priority == 255 { return .missingTimestamp }
        if ts.unreadable || !plausibleTimes.contains(ts.integer) { return .badTimestamp }
        if record.slots[LogField.accountID.rawValue].priority == 255 { return .missingAccountID }
        return nil
    }

    @inline(__always) private var offset: Int { base.distance(to: pos) }

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < end {
            let c = pos.pointee
            guard c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D else { return }
            pos += 1
        }
    }

    @inline(__always)
    private mutating func expect(_ c: UInt8) throws(ScanStop) {
        guard pos < end, pos.pointee == c else { throw .syntax(offset) }
        pos += 1
    }

    // MARK: Strings

    /// Scans a string starting at its opening quote; returns its body span. Validates escapes,
    /// control characters and UTF-8 on the way, eight bytes at a time where it can.
    @inline(__always)
    private mutating func scanString() throws(ScanStop) -> TextSpan {
        pos += 1
        let start = pos
        var escaped = false
        var repaired = false
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while true {
            while end - pos >= 8 {
                let v = UnsafeRawPointer(pos).loadUnaligned(as: UInt64.self)
                let quote = v ^ (ones &* 0x22)
                let backslash = v ^ (ones &* 0x5C)
                // Flags '"', '\', bytes < 0x20 and bytes >= 0x80; the lowest flag is exact.
                let flags = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    | ((v &- ones &* 0x20) & ~v) | v) & highs
                if flags == 0 {
                    pos += 8
                    continue
                }
                pos += flags.trailingZeroBitCount >> 3
                break
            }
            guard pos < end else { throw .syntax(offset) }
            let c = pos.pointee
            if c == 0x22 {
                let span = TextSpan(
                    start: Int32(base.distance(to: start)), end: Int32(base.distance(to: pos)), escaped: escaped)
                pos += 1
                return span
            }
            if c == 0x5C {
                escaped = true
                guard end - pos >= 2 else { throw .syntax(offset) }
                switch pos[1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    pos += 2
                case 0x75:
                    guard end - pos >= 6, JSONText.hexValue(pos[2]) != nil, JSONText.hexValue(pos[3]) != nil,
                        JSONText.hexValue(pos[4]) != nil, JSONText.hexValue(pos[5]) != nil
                    else { throw .syntax(offset) }
                    pos += 6
                default:
                    throw .syntax(offset)
                }
                continue
            }
            if c < 0x20 { throw .syntax(offset) }
            if c >= 0x80 {
                let length = Self.utf8SequenceLength(pos, end)
                if length == 0 {
                    // Invalid UTF-8 inside a string (a Latin-1 byte): the record is kept and
                    // the byte read as U+FFFD. Marked escaped, the span is decoded (never
                    // hashed raw), and decoding replaces the byte.
                    if !repaired { record.repairedStrings += 1 }
                    repaired = true
                    escaped = true
                    pos += 1
                    continue
                }
                pos += length
                continue
            }
            pos += 1
        }
    }

    /// Length of the valid UTF-8 sequence at `p`, or 0 when invalid (overlong forms,
    /// surrogates and values above U+10FFFF are invalid).
    @inline(__always)
    static func utf8SequenceLength(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int {
        let available = end - p
        let c0 = p[0]
        @inline(__always) func cont(_ i: Int) -> Bool { p[i] & 0xC0 == 0x80 }
        switch c0 {
        case 0x00..<0x80:
            return 1
        case 0xC2..<0xE0:
            return available >= 2 && cont(1) ? 2 : 0
        case 0xE0..<0xF0:
            guard available >= 3, cont(1), cont(2) else { return 0 }
            if c0 == 0xE0 && p[1] < 0xA0 { return 0 }
            if c0 == 0xED && p[1] >= 0xA0 { return 0 }
            return 3
        case 0xF0..<0xF5:
            guard available >= 4, cont(1), cont(2), cont(3) else { return 0 }
            if c0 == 0xF0 && p[1] < 0x90 { return 0 }
            if c0 == 0xF4 && p[1] >= 0x90 { return 0 }
            return 4
        default:
            return 0
        }
    }

    /// Offset of the first invalid UTF-8 byte, or nil when the line is valid UTF-8.
    static func firstInvalidUTF8(_ line: UnsafeRawBufferPointer) -> Int? {
        guard let start = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let end = start + line.count
        var p = start
        while p < end {
            if end - p >= 8 && UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                p += 8
                continue
            }
            let length = utf8SequenceLength(p, end)
            if length == 0 { return start.distance(to: p) }
            p += length
        }
        return nil
    }

    // MARK: Numbers and literals

    private mutating func scanNumber() throws(ScanStop) -> NumberLiteral {
        var number = NumberLiteral()
        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
        var significant = 0
        @inline(__always) func addDigit(_ c: UInt8, _ n: inout NumberLiteral, _ sig: inout Int, fraction: Bool) {
            if n.mantissa == 0 && c == 0x30 {
                if fraction { n.exponent -= 1 }
                return
            }
            if sig < 19 {
                n.mantissa = n.mantissa &* 10 &+ UInt64(c &- 0x30)
                sig += 1
                if fraction { n.exponent -= 1 }
            } else {
                if c != 0x30 { n.inexact = true }
                if !fraction { n.exponent += 1 }
            }
        }
        if pos < end && pos.pointee == 0x2D {
            number.negative = true
            pos += 1
        }
        guard pos < end, isDigit(pos.pointee) else { throw .syntax(offset) }
        if pos.pointee == 0x30 {
            pos += 1
        } else {
            while pos < end && isDigit(pos.pointee) {
                addDigit(pos.pointee, &number, &significant, fraction: false)
                pos += 1
            }
        }
        if pos < end && pos.pointee == 0x2E {
            number.isPlainInteger = false
            pos += 1
            guard pos < end, isDigit(pos.pointee) else { throw .syntax(offset) }
            while pos < end && isDigit(pos.pointee) {
                addDigit(pos.pointee, &number, &significant, fraction: true)
                pos += 1
            }
        }
        if pos < end && (pos.pointee | 0x20) == 0x65 {
            number.isPlainInteger = false
            pos += 1
            var negativeExponent = false
            if pos < end && (pos.pointee == 0x2B || pos.pointee == 0x2D) {
                negativeExponent = pos.pointee == 0x2D
                pos += 1
            }
            guard pos < end, isDigit(pos.pointee) else { throw .syntax(offset) }
            var e = 0
            while pos < end && isDigit(pos.pointee) {
                if e < 100_000 { e = e * 10 + Int(pos.pointee &- 0x30) }
                pos += 1
            }
            number.exponent += negativeExponent ? -e : e
        }
        if number.mantissa == 0 {
            number.exponent = 0
        } else if number.exponent > 0 && !number.doubleValue.isFinite {
            // Beyond Double's range: JSONSerialization rejects such numbers, so does the scanner.
            throw .syntax(offset)
        }
        return number
    }

    @inline(__always)
    private mutating func skipLiteral(_ word: StaticString) throws(ScanStop) {
        let n = word.utf8CodeUnitCount
        guard end - pos >= n, memcmp(pos, word.utf8Start, n) == 0 else { throw .syntax(offset) }
        pos += n
    }

    // MARK: Values

    private mutating func skipValue(depth: Int) throws(ScanStop) {
        guard pos < end else { throw .syntax(offset) }
        switch pos.pointee {
        case 0x22: _ = try scanString()
        case 0x7B: try skipContainer(close: 0x7D, depth: depth + 1)
        case 0x5B: try skipContainer(close: 0x5D, depth: depth + 1)
        case 0x74: try skipLiteral("true")
        case 0x66: try skipLiteral("false")
        case 0x6E: try skipLiteral("null")
        case 0x2D where end - pos > 1 && pos[1] == 0x49: try skipLiteral("-Infinity")
        case 0x2D, 0x30...0x39: _ = try scanNumber()
        // Python's json module writes these; they are read as absent (JSONSerialization
        // rejects them, the one place the scanner accepts more).
        case 0x4E: try skipLiteral("NaN")
        case 0x49: try skipLiteral("Infinity")
        default: throw .syntax(offset)
        }
    }

    /// Skips an object (`close` = `}`) or array (`]`) that feeds no field, validating it.
    private mutating func skipContainer(close: UInt8, depth: Int) throws(ScanStop) {
        guard depth <= Self.maxDepth else { throw .syntax(offset) }
        pos += 1
        skipWhitespace()
        if pos < end && pos.pointee == close {
            pos += 1
            return
        }
        while true {
            if close == 0x7D {
                guard pos < end, pos.pointee == 0x22 else { throw .syntax(offset) }
                _ = try scanString()
                skipWhitespace()
                try expect(0x3A)
                skipWhitespace()
            }
            try skipValue(depth: depth)
            skipWhitespace()
            guard pos < end else { throw .syntax(offset) }
            if pos.pointee == 0x2C {
                pos += 1
                skipWhitespace()
                // JSONSerialization accepts one trailing comma; so does the scanner.
                if pos < end && pos.pointee == close {
                    pos += 1
                    return
                }
                continue
            }
            if pos.pointee == close {
                pos += 1
                return
            }
            throw .syntax(offset)
        }
    }

    /// Iterates the members of an object at `pos`, calling `member` with each key span while
    /// `pos` is at the value; `member` must consume the value.
    @inline(__always)
    private mutating func forEachMember(
        depth: Int, _ member: (inout ExchangeDecoder, TextSpan) throws(ScanStop) -> Void
    ) throws(ScanStop) {
        guard depth <= Self.maxDepth else { throw .syntax(offset) }
        pos += 1
        skipWhitespace()
        if pos < end && pos.pointee == 0x7D {
            pos += 1
            return
        }
        while true {
            guard pos < end, pos.pointee == 0x22 else { throw .syntax(offset) }
            let key = try scanString()
            skipWhitespace()
            try expect(0x3A)
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard pos < end else { throw .syntax(offset) }
            if pos.pointee == 0x2C {
                pos += 1
                skipWhitespace()
                if pos < end && pos.pointee == 0x7D {
                    pos += 1
                    return
                }
                continue
            }
            if pos.pointee == 0x7D {
                pos += 1
                return
            }
            throw .syntax(offset)
        }
    }

    /// Iterates the elements of an array at `pos`; `element` must consume each value.
    @inline(__always)
    private mutating func forEachElement(
        depth: Int, _ element: (inout ExchangeDecoder) throws(ScanStop) -> Void
    ) throws(ScanStop) {
        guard depth <= Self.maxDepth else { throw .syntax(offset) }
        pos += 1
        skipWhitespace()
        if pos < end && pos.pointee == 0x5D {
            pos += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard pos < end else { throw .syntax(offset) }
            if pos.pointee == 0x2C {
                pos += 1
                skipWhitespace()
                if pos < end && pos.pointee == 0x5D {
                    pos += 1
                    return
                }
                continue
            }
            if pos.pointee == 0x5D {
                pos += 1
                return
            }
            throw .syntax(offset)
        }
    }

    /// The key's bytes, unescaped into scratch when needed, passed to `body`.
    @inline(__always)
    private mutating func lookupKey(_ key: TextSpan, node: Int) -> Int? {
        let length = Int(key.end - key.start)
        if !key.escaped {
            return schema.lookup(node: node, key: base + Int(key.start), count: length)
        }
        scratch.removeAll(keepingCapacity: true)
        JSONText.unescape(UnsafeRawBufferPointer(start: base + Int(key.start), count: length), into: &scratch)
        let schema = self.schema
        return scratch.withUnsafeBufferPointer { schema.lookup(node: node, key: $0.baseAddress!, count: $0.count) }
    }

    /// True when a span's text equals `word` (keys and roles are short ASCII words).
    @inline(__always)
    private func spanEquals(_ span: TextSpan, _ word: StaticString) -> Bool {
        let length = Int(span.end - span.start)
        return !span.escaped && length == word.utf8CodeUnitCount
            && DecodeSchema.bytesEqual(base + Int(span.start), word.utf8Start, length)
    }

    private mutating func parseObject(node: Int, depth: Int) throws(ScanStop) {
        try forEachMember(depth: depth) { (decoder: inout ExchangeDecoder, key: TextSpan) throws(ScanStop) in
            guard let entryIndex = decoder.lookupKey(key, node: node) else {
                try decoder.skipValue(depth: depth)
                return
            }
            let valueAt = Int32(decoder.offset)
            if decoder.lastValuesOnly {
                guard decoder.entryLastValue[entryIndex] == valueAt else {
                    try decoder.skipValue(depth: depth)
                    return
                }
            } else {
                if decoder.entrySeen[entryIndex] == decoder.generation { decoder.repeatedKey = true }
                decoder.entrySeen[entryIndex] = decoder.generation
                decoder.entryLastValue[entryIndex] = valueAt
            }
            try decoder.parseFieldValue(entryIndex, depth: depth)
        }
    }

    private mutating func parseFieldValue(_ entryIndex: Int, depth: Int) throws(ScanStop) {
        guard pos < end else { throw .syntax(offset) }
        let c = pos.pointee
        let child = schema.child(entryIndex)
        if c == 0x7B && child >= 0 {
            try parseObject(node: child, depth: depth + 1)
            return
        }
        let targets = schema.targets(entryIndex)
        // Skip values that lose to a field value already found under a higher-priority name.
        var wanted = false
        for t in targets where record.slots[t.field.rawValue].priority > t.priority { wanted = true }
        if child >= 0 && c == 0x5B && wanted && schema.indexes(node: child) {
            // The array feeds a field and a path indexes into it (`prompt=messages[0].content`
            // beside `messages`): read it for both. An offset, not a pointer: reading the
            // value may move the line into the arena.
            let arrayStart = offset
            try parseFieldValue(targets: targets, depth: depth)
            pos = base + arrayStart
            try parseIndexed(node: child, depth: depth + 1)
            return
        }
        if child >= 0 && (c == 0x22 || (c == 0x5B && !wanted)) {
            // A path goes on below this key: into an array by index, or into a JSON value
            // encoded as a string.
            if c == 0x5B {
                try parseIndexed(node: child, depth: depth + 1)
                return
            }
            // An offset, not a pointer: `descend` moves the line into the arena even when the
            // string holds no object, and the value is then read again from there.
            let valueStart = offset
            let span = try scanString()
            if try descend(span, depth: depth + 1, { (d: inout ExchangeDecoder, depth: Int) throws(ScanStop) in
                guard d.pos.pointee == 0x7B else { return false }
                try d.parseObject(node: child, depth: depth)
                return true
            }) {
                return
            }
            guard wanted else { return }
            pos = base + valueStart
        }
        guard wanted else {
            try skipValue(depth: depth)
            return
        }
        // The common cases inline: a string or a number for fields that take them.
        if c == 0x22 && (targets.count == 1 && targets[0].field.kind != .messages) {
            let span = try scanString()
            assignString(span, to: targets[0].field, priority: targets[0].priority)
            return
        }
        if (c &- 0x30) < 10 || (c == 0x2D && end - pos > 1 && pos[1] != 0x49) {
            let numberStart = Int32(offset)
            let number = try scanNumber()
            let literal = TextSpan(start: numberStart, end: Int32(offset), escaped: false)
            for target in targets {
                assignNumber(number, literal: literal, to: target.field, priority: target.priority)
            }
            return
        }
        try parseFieldValue(targets: targets, depth: depth)
    }

    /// Reads the value at `pos` into the fields the entry feeds (not into its path's children).
    @inline(never)
    private mutating func parseFieldValue(targets: UnsafeMutableBufferPointer<FieldTarget>, depth: Int) throws(ScanStop) {
        let c = pos.pointee
        switch c {
        case 0x22:
            if let target = targets.first(where: { $0.field.kind == .messages }),
                record.slots[target.field.rawValue].priority > target.priority
            {
                // `messages` as a string: a JSON array encoded as a string (OpenTelemetry
                // `gen_ai.input.messages`), else the prompt itself (text completions).
                let valueStart = pos
                let span = try scanString()
                if try descend(span, depth: depth + 1, { (d: inout ExchangeDecoder, depth: Int) throws(ScanStop) in
                    guard d.pos.pointee == 0x5B else { return false }
                    d.startConversation()
                    try d.parseMessages(depth: depth)
                    return true
                }) {
                    record.slots[target.field.rawValue].priority = target.priority
                    return
                }
                _ = valueStart
                startConversation()
                record.textSpans.append(span)
                if hasVisibleText((record.textSpans.count - 1)..<record.textSpans.count) {
                    record.messagesHaveUser = true
                    record.messagesUserRange = (record.textSpans.count - 1)..<record.textSpans.count
                }
                record.slots[target.field.rawValue].priority = target.priority
                return
            }
            let span = try scanString()
            for target in targets { assignString(span, to: target.field, priority: target.priority) }
        case 0x2D where end - pos > 1 && pos[1] == 0x49:
            try skipValue(depth: depth)
        case 0x2D, 0x30...0x39:
            let numberStart = Int32(offset)
            let number = try scanNumber()
            let literal = TextSpan(start: numberStart, end: Int32(offset), escaped: false)
            for target in targets {
                assignNumber(number, literal: literal, to: target.field, priority: target.priority)
            }
        case 0x5B:
            if let target = targets.first(where: { $0.field.kind == .text }) {
                let first = record.textSpans.count
                try parseContentBlocks(depth: depth + 1, results: false)
                setText(first..<record.textSpans.count, field: target.field, priority: target.priority)
            } else if let target = targets.first(where: { $0.field.kind == .messages }) {
                startConversation()
                try parseMessages(depth: depth + 1)
                record.slots[target.field.rawValue].priority = target.priority
            } else if let target = targets.first(where: { $0.field.kind == .tools }) {
                try parseTools(depth: depth + 1)
                record.slots[target.field.rawValue].priority = target.priority
            } else {
                try skipValue(depth: depth)
            }
        default:
            try skipValue(depth: depth)
        }
    }

    /// An array on a field path: element `i` is looked up as the index key `[i]` of `node`,
    /// and an element `{"key": K, "value": V}` (OpenTelemetry's OTLP/JSON attributes) as the
    /// member K, so `attributes["enduser.id"]` reads either form of the attributes.
    private mutating func parseIndexed(node: Int, depth: Int) throws(ScanStop) {
        var index = 0
        try forEachElement(depth: depth) { (d: inout ExchangeDecoder) throws(ScanStop) in
            defer { index += 1 }
            if let entry = d.schema.lookupIndex(node: node, index: index) {
                try d.parseFieldValue(entry, depth: depth)
            } else if d.pos < d.end, d.pos.pointee == 0x7B {
                try d.parseKeyValue(node: node, depth: depth + 1)
            } else {
                try d.skipValue(depth: depth)
            }
        }
    }

    /// An OTLP/JSON attribute `{"key": K, "value": {"stringValue" | "intValue" |
    /// "doubleValue" | "boolValue": x}}` (or a bare value): x is read as member K of `node`.
    private mutating func parseKeyValue(node: Int, depth: Int) throws(ScanStop) {
        var key: TextSpan?
        var valueOffset = -1
        try forEachMember(depth: depth) { (d: inout ExchangeDecoder, k: TextSpan) throws(ScanStop) in
            if d.spanEquals(k, "key"), d.pos < d.end, d.pos.pointee == 0x22 {
                key = try d.scanString()
                return
            }
            if d.spanEquals(k, "value") { valueOffset = d.offset }
            try d.skipValue(depth: depth)
        }
        guard let key, valueOffset >= 0, let entry = lookupKey(key, node: node) else { return }
        // Offsets, not pointers: reading the value may move the line into the arena.
        let after = offset
        pos = base + valueOffset
        if pos.pointee == 0x7B {
            try forEachMember(depth: depth + 1) { (d: inout ExchangeDecoder, k: TextSpan) throws(ScanStop) in
                if d.spanEquals(k, "stringValue") || d.spanEquals(k, "intValue") || d.spanEquals(k, "doubleValue")
                    || d.spanEquals(k, "boolValue")
                {
                    try d.parseFieldValue(entry, depth: depth + 1)
                } else {
                    try d.skipValue(depth: depth + 1)
                }
            }
        } else {
            try parseFieldValue(entry, depth: depth)
        }
        pos = base + after
    }

    /// Reads the JSON text inside a string value: unescapes it into the arena and, when it
    /// is one valid JSON value, runs `parse` on it (positioned at its first byte). Returns
    /// false, consuming nothing more, when the string holds no JSON value, `parse` declines
    /// it, or the arena is full (strings nested more than twice).
    private mutating func descend(
        _ span: TextSpan, depth: Int, _ parse: (inout ExchangeDecoder, Int) throws(ScanStop) -> Bool
    ) throws(ScanStop) -> Bool {
        let length = Int(span.end - span.start)
        // Only a string that starts like an object or array is tried.
        var first = base + Int(span.start)
        let last = base + Int(span.end)
        while first < last && (first.pointee == 0x20 || first.pointee == 0x0A || first.pointee == 0x0D || first.pointee == 0x09) {
            first += 1
        }
        guard first < last, first.pointee == 0x7B || first.pointee == 0x5B || first.pointee == 0x5C else { return false }
        guard depth < Self.maxDepth, enterArena(extra: length) else { return false }
        let subStart = arenaUsed
        let target = arena.start + subStart
        var written = length
        if span.escaped {
            scratch.removeAll(keepingCapacity: true)
            JSONText.unescape(UnsafeRawBufferPointer(start: base + Int(span.start), count: length), into: &scratch)
            written = scratch.count
            scratch.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: written) }
        } else {
            target.update(from: base + Int(span.start), count: length)
        }
        let savedPos = pos
        let savedEnd = end
        let savedFailure = failureOffset
        pos = base + subStart
        end = pos + written
        arenaUsed = subStart + written
        defer {
            pos = savedPos
            end = savedEnd
        }
        skipWhitespace()
        let valueStart = pos
        // Validate first: a string that only looks like JSON adds nothing to the record.
        do throws(ScanStop) {
            guard pos < end, pos.pointee == 0x7B || pos.pointee == 0x5B else { throw ScanStop.syntax(0) }
            try skipValue(depth: depth)
            skipWhitespace()
            guard pos == end else { throw ScanStop.syntax(0) }
        } catch {
            arenaUsed = subStart
            failureOffset = savedFailure
            return false
        }
        pos = valueStart
        if try parse(&self, depth) { return true }
        arenaUsed = subStart
        return false
    }

    /// Moves the line into the arena (once per line) with room for `extra` more bytes;
    /// false when there is no room left.
    private mutating func enterArena(extra: Int) -> Bool {
        if arenaUsed == 0 {
            // Unescaped text is never longer than its source, and sources at one nesting
            // level are disjoint, so three line lengths hold two levels of nesting.
            arena.reserve(lineCount * 3 + 64)
            arena.start.update(from: lineStart, count: lineCount)
            let newBase = UnsafePointer(arena.start)
            pos = newBase + base.distance(to: pos)
            end = newBase + base.distance(to: end)
            base = newBase
            arenaUsed = lineCount
        }
        // The bound of this line, not the arena's capacity: that is what earlier, longer lines
        // left, and would make how deep a line is read depend on the lines a worker read before.
        return arenaUsed + extra <= lineCount * 3 + 64
    }

    /// True when the text spans in `range` hold a byte other than JSON whitespace (or a
    /// whitespace escape). Settled by the first byte in nearly every case.
    @inline(__always)
    private func hasVisibleText(_ range: Range<Int>) -> Bool {
        guard let first = range.first else { return false }
        let span = record.textSpans[first]
        if span.end > span.start {
            let c = base[Int(span.start)]
            if c != 0x20 && c != 0x09 && c != 0x0A && c != 0x0D && c != 0x5C { return true }
        }
        return hasVisibleTextSlow(range)
    }

    private func hasVisibleTextSlow(_ range: Range<Int>) -> Bool {
        for i in range {
            let span = record.textSpans[i]
            var p = base + Int(span.start)
            let stop = base + Int(span.end)
            while p < stop {
                let c = p.pointee
                if c == 0x5C, stop - p >= 2, p[1] == 0x6E || p[1] == 0x72 || p[1] == 0x74 {
                    p += 2
                    continue
                }
                if c != 0x20 && c != 0x09 && c != 0x0A && c != 0x0D { return true }
                p += 1
            }
        }
        return false
    }

    private mutating func setText(_ spans: Range<Int>, field: LogField, priority: UInt8) {
        // An empty or blank prompt is no prompt.
        guard hasVisibleText(spans) else { return }
        record.slots[field.rawValue].priority = priority
        record.slots[field.rawValue].integer = Int64(spans.lowerBound)
        record.slots[field.rawValue].double = Double(spans.count)
    }

    /// Words an identifier or label is never: blank, `-` (nginx's empty), and what a null,
    /// a boolean or an undefined value becomes when a logger prints it as text.
    /// The lengths of the placeholder words, as a bit set.
    private static let placeholderLengths: UInt64 = 0b10_1111_1010

    private static let placeholders: [[UInt8]] = [
        "-", "null", "undefined", "true", "false", "none", "nil", "nan", "n/a", "unknown", "anonymous", "anon", "<nil>",
        "(null)", "<null>", "(none)", "<none>",
    ].map { Array($0.utf8) }

    /// Whether a string value stands for no value: blank, a placeholder word, or (for ids)
    /// a JSON object or array encoded as a string. Sets `invalid` for the last case.
    @inline(never)
    private mutating func isPlaceholder(_ span: TextSpan, invalid: inout Bool) -> Bool {
        let p = base + Int(span.start)
        let length = Int(span.end - span.start)
        return span.escaped ? escapedPlaceholder(span, invalid: &invalid) : Self.placeholderCheck(p, length, &invalid)
    }

    /// `isPlaceholder` for a string with escapes: its unescaped text is checked.
    private mutating func escapedPlaceholder(_ span: TextSpan, invalid: inout Bool) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        JSONText.unescape(UnsafeRawBufferPointer(start: base + Int(span.start), count: Int(span.end - span.start)), into: &scratch)
        var result = false
        var isObject = false
        scratch.withUnsafeBufferPointer { text in
            if text.isEmpty {
                result = true
            } else {
                result = Self.placeholderCheck(text.baseAddress!, text.count, &isObject)
            }
        }
        if isObject { invalid = true }
        return result
    }

    /// First bytes a placeholder or an encoded object can start with: JSON whitespace, `-`,
    /// `{`, and the first letters of the placeholder words in either case. Any other first
    /// byte (most ids and labels) settles the question at once.
    /// As bit sets over bytes 0–63 and 64–127 (literals: a lazily computed static would
    /// cost a once-check per value).
    private static let placeholderStarts0: UInt64 = 0x1000_2101_0000_2600
    private static let placeholderStarts1: UInt64 = 0x0830_4042_0030_4042

    @inline(__always)
    static func mayStartPlaceholder(_ c: UInt8) -> Bool {
        c < 128 && (c < 64 ? placeholderStarts0 >> UInt64(c) : placeholderStarts1 >> UInt64(c - 64)) & 1 != 0
    }

    private static func placeholderCheck(_ p: UnsafePointer<UInt8>, _ count: Int, _ invalid: inout Bool) -> Bool {
        guard count > 0 else { return true }
        if !mayStartPlaceholder(p[0]) { return false }
        var a = 0, b = count
        while a < b && (p[a] == 0x20 || p[a] == 0x09 || p[a] == 0x0A || p[a] == 0x0D) { a += 1 }
        while b > a && (p[b - 1] == 0x20 || p[b - 1] == 0x09 || p[b - 1] == 0x0A || p[b - 1] == 0x0D) { b -= 1 }
        if a == b { return true }
        if p[a] == 0x7B && p[b - 1] == 0x7D && memchr(p + a, 0x3A, b - a) != nil {
            // `{"device_id": …}` or a Python dict's repr: an object, not an id.
            invalid = true
            return true
        }
        let n = b - a
        guard n <= 9 else { return false }  // the longest word
        for word in placeholders where word.count == n {
            var same = true
            for k in 0..<n where p[a + k] | 0x20 != word[k] | 0x20 {
                same = false
                break
            }
            if same { return true }
        }
        return false
    }

    private mutating func assignString(_ span: TextSpan, to field: LogField, priority: UInt8) {
        guard record.slots[field.rawValue].priority > priority else { return }
        switch field.kind {
        case .time:
            let ms: Int64?
            let length = Int(span.end - span.start)
            if span.escaped {
                scratch.removeAll(keepingCapacity: true)
                JSONText.unescape(UnsafeRawBufferPointer(start: base + Int(span.start), count: length), into: &scratch)
                ms = scratch.withUnsafeBytes { Timestamp.parseMilliseconds($0) }
            } else {
                ms = Timestamp.parseMilliseconds(UnsafeRawBufferPointer(start: base + Int(span.start), count: length))
            }
            // An unreadable optional time is absent; an unreadable ts rejects the line.
            if ms == nil && !field.isRequired { return }
            if let ms, !field.isRequired, !plausibleTimes.contains(ms) {
                record.outOfRange |= 1 << UInt32(field.rawValue)
                return
            }
            record.slots[field.rawValue].priority = priority
            record.slots[field.rawValue].integer = ms ?? 0
            record.slots[field.rawValue].unreadable = ms == nil
        case .identifier, .string:
            guard span.end > span.start else { return }
            var invalid = false
            let first = base[Int(span.start)]
            let length = Int(span.end - span.start)
            // Only values of a placeholder word's length, or object-like or padded ones, need a
            // look: most ids and labels are settled by their first byte and length.
            if (span.escaped
                || (Self.mayStartPlaceholder(first)
                    && (first == 0x7B || first <= 0x20 || base[Int(span.end) - 1] <= 0x20
                        || (length < 64 && (Self.placeholderLengths >> UInt64(length)) & 1 != 0))))
                && isPlaceholder(span, invalid: &invalid)
            {
                if invalid && field.kind == .identifier { record.invalidValues |= 1 << UInt32(field.rawValue) }
                if !invalid || field.kind == .identifier { return }
            }
            record.slots[field.rawValue].priority = priority
            record.slots[field.rawValue].start = span.start
            record.slots[field.rawValue].end = span.end
            record.slots[field.rawValue].escaped = span.escaped
        case .text:
            record.textSpans.append(span)
            setText((record.textSpans.count - 1)..<record.textSpans.count, field: field, priority: priority)
        case .integer, .number:
            // Numbers written as strings (nginx `escape=json` writes every value so).
            guard !span.escaped, span.end > span.start else { return }
            let savedPos = pos
            let savedEnd = end
            defer {
                pos = savedPos
                end = savedEnd
            }
            pos = base + Int(span.start)
            end = base + Int(span.end)
            skipWhitespace()
            guard pos < end, pos.pointee == 0x2D || (pos.pointee &- 0x30) < 10,
                let number = try? scanNumber()
            else { return }
            skipWhitespace()
            guard pos == end else { return }
            assignNumber(number, literal: span, to: field, priority: priority)
        case .messages, .tools:
            return
        }
    }

    private mutating func assignNumber(_ number: NumberLiteral, literal: TextSpan, to field: LogField, priority: UInt8) {
        guard record.slots[field.rawValue].priority > priority else { return }
        switch field.kind {
        case .time:
            guard let ms = number.epochMilliseconds else {
                if field.isRequired {
                    record.slots[field.rawValue].priority = priority
                    record.slots[field.rawValue].unreadable = true
                } else {
                    record.outOfRange |= 1 << UInt32(field.rawValue)
                }
                return
            }
            if !field.isRequired, !plausibleTimes.contains(ms) {
                record.outOfRange |= 1 << UInt32(field.rawValue)
                return
            }
            record.slots[field.rawValue].priority = priority
            record.slots[field.rawValue].integer = ms
            record.slots[field.rawValue].unreadable = false
        case .identifier:
            guard number.isPlainInteger, !number.negative, !number.inexact else { return }
            record.slots[field.rawValue].priority = priority
            record.slots[field.rawValue].start = literal.start
            record.slots[field.rawValue].end = literal.end
            record.slots[field.rawValue].escaped = false
        case .integer:
            guard var value = number.integerValue else {
                // A token count too large for 64 bits (1e20): out of range, counted.
                if field.isTokenCount && number.doubleValue.magnitude >= 9.2e18 { record.outOfRange |= 1 << UInt32(field.rawValue) }
                return
            }
            if field.isTokenCount && value < 0 {
                // A negative token count is no count: left out, counted.
                record.outOfRange |= 1 << UInt32(field.rawValue)
                return
            }
            if field.isTokenCount && value > Self.maxTokenCount {
                value = Self.maxTokenCount
                record.outOfRange |= 1 << UInt32(field.rawValue)
            }
            record.slots[field.rawValue].priority = priority
            record.slots[field.rawValue].integer = value
        case .number:
            record.slots[field.rawValue].priority = priority
            record.slots[field.rawValue].double = number.doubleValue * schema.scale(field, priority: Int(priority))
        case .string, .text, .messages, .tools:
            return
        }
    }

    // MARK: Conversations

    /// Clears what a conversation left in the record (a repeated `messages` key).
    private mutating func startConversation() {
        record.messagesHaveUser = false
        record.messagesHaveSystem = false
        record.messageCount = 0
        record.userMessageCount = 0
        record.toolCalls = 0
        record.toolResults = 0
        record.hasToolResults = false
        record.lastTurnReturnedResults = false
        record.resultSpans.removeAll(keepingCapacity: true)
        record.toolResultRange = 0..<0
    }

    /// What kind of content block a `type` names.
    private enum BlockKind {
        case text, toolCall, toolResult, other
    }

    private func blockKind(_ type: TextSpan) -> BlockKind {
        if spanEquals(type, "text") || spanEquals(type, "input_text") || spanEquals(type, "output_text") { return .text }
        if spanEquals(type, "tool_use") || spanEquals(type, "tool_call") || spanEquals(type, "function_call")
            || spanEquals(type, "server_tool_use")
        {
            return .toolCall
        }
        if spanEquals(type, "tool_result") || spanEquals(type, "tool_call_response") || spanEquals(type, "function_call_output")
            || spanEquals(type, "function_result")
        {
            return .toolResult
        }
        return .other
    }

    /// Appends a text span to the prompt-side spans or to the tool-result spans.
    @inline(__always)
    private mutating func appendText(_ span: TextSpan, results: Bool) {
        if results { record.resultSpans.append(span) } else { record.textSpans.append(span) }
    }

    /// An array of content blocks (or plain strings). Text blocks (`text`, `input_text`,
    /// `output_text`, Bedrock's `{text}` without a type, OpenTelemetry's `{type: "text",
    /// content}`) append their text to the prompt-side spans, or to the tool-result spans
    /// when `results`; tool calls and tool results (Anthropic `tool_use`/`tool_result`,
    /// OpenAI function calls, Bedrock `toolUse`/`toolResult`) are counted, and a result's
    /// text goes to the tool-result spans. Images, documents and the rest are skipped.
    private mutating func parseContentBlocks(depth: Int, results: Bool) throws(ScanStop) {
        try forEachElement(depth: depth) { (decoder: inout ExchangeDecoder) throws(ScanStop) in
            guard decoder.pos < decoder.end else { throw ScanStop.syntax(decoder.offset) }
            switch decoder.pos.pointee {
            case 0x22:
                decoder.appendText(try decoder.scanString(), results: results)
            case 0x7B:
                try decoder.parseBlock(depth: depth + 1, results: results)
            default:
                try decoder.skipValue(depth: depth)
            }
        }
    }

    private mutating func parseBlock(depth: Int, results: Bool) throws(ScanStop) {
        var text: TextSpan?
        var sawText = false
        var content: TextSpan?
        var type: TextSpan?
        var typed = false
        var nestedResults = 0..<0
        try forEachMember(depth: depth) { (d: inout ExchangeDecoder, key: TextSpan) throws(ScanStop) in
            let isString = d.pos < d.end && d.pos.pointee == 0x22
            // A repeated key: the last value counts, whatever its type.
            if d.spanEquals(key, "text") {
                sawText = true
                text = isString ? try d.scanString() : nil
                if !isString { try d.skipValue(depth: depth) }
            } else if d.spanEquals(key, "type") {
                typed = true
                type = isString ? try d.scanString() : nil
                if !isString { try d.skipValue(depth: depth) }
            } else if d.spanEquals(key, "content") || d.spanEquals(key, "output") || d.spanEquals(key, "response") {
                if isString {
                    content = try d.scanString()
                } else if d.pos < d.end && d.pos.pointee == 0x5B {
                    // Only a tool result nests blocks: its text is tool output.
                    let first = d.record.resultSpans.count
                    try d.parseContentBlocks(depth: depth + 1, results: true)
                    nestedResults = first..<d.record.resultSpans.count
                    content = nil
                } else {
                    content = nil
                    try d.skipValue(depth: depth)
                }
            } else if d.spanEquals(key, "toolUse") {
                d.record.toolCalls += 1
                try d.skipValue(depth: depth)
            } else if d.spanEquals(key, "toolResult"), d.pos < d.end, d.pos.pointee == 0x7B {
                // Bedrock Converse: {"toolResult": {"toolUseId", "content": [{"text"}]}}.
                d.record.toolResults += 1
                d.record.hasToolResults = true
                try d.parseBlock(depth: depth + 1, results: true)
            } else {
                try d.skipValue(depth: depth)
            }
        }
        let kind: BlockKind = typed ? (type.map(blockKind) ?? .other) : .text
        switch kind {
        case .text:
            if let text {
                appendText(text, results: results)
            } else if !sawText, let content {
                // OpenTelemetry's text parts carry their text as `content`.
                appendText(content, results: results)
            }
        case .toolCall:
            record.toolCalls += 1
        case .toolResult:
            record.toolResults += 1
            record.hasToolResults = true
            if let content { record.resultSpans.append(content) } else if let text { record.resultSpans.append(text) }
        case .other:
            break
        }
        _ = nestedResults
    }

    /// `messages` (or a Responses `input` array): the conversation. The prompt is the newest
    /// human-written text: the last user turn with visible text (a user turn holding only
    /// tool results does not replace it). The system prompt is the first `system` or
    /// `developer` turn. Tool calls and tool results are counted, and the newest tool-result
    /// turn's text is kept for its template (`toolResultSpans`).
    private mutating func parseMessages(depth: Int) throws(ScanStop) {
        try forEachElement(depth: depth) { (decoder: inout ExchangeDecoder) throws(ScanStop) in
            guard decoder.pos < decoder.end else { throw ScanStop.syntax(decoder.offset) }
            guard decoder.pos.pointee == 0x7B else {
                try decoder.skipValue(depth: depth)
                return
            }
            var role: TextSpan?
            var type: TextSpan?
            let textStart = decoder.record.textSpans.count
            let resultStart = decoder.record.resultSpans.count
            let resultsBefore = decoder.record.toolResults
            var output: TextSpan?
            try decoder.forEachMember(depth: depth + 1) { (d: inout ExchangeDecoder, key: TextSpan) throws(ScanStop) in
                guard d.pos < d.end else { throw ScanStop.syntax(d.offset) }
                let c = d.pos.pointee
                if d.spanEquals(key, "role") {
                    role = c == 0x22 ? try d.scanString() : nil
                    if c != 0x22 { try d.skipValue(depth: depth + 1) }
                } else if d.spanEquals(key, "type") {
                    type = c == 0x22 ? try d.scanString() : nil
                    if c != 0x22 { try d.skipValue(depth: depth + 1) }
                } else if d.spanEquals(key, "content") || d.spanEquals(key, "parts") {
                    // A repeated key: the last value counts, whatever its type.
                    if d.record.textSpans.count > textStart { d.record.textSpans.removeSubrange(textStart...) }
                    if c == 0x22 {
                        d.record.textSpans.append(try d.scanString())
                    } else if c == 0x5B {
                        try d.parseContentBlocks(depth: depth + 2, results: false)
                    } else {
                        try d.skipValue(depth: depth + 1)
                    }
                } else if d.spanEquals(key, "output"), c == 0x22 {
                    output = try d.scanString()
                } else if d.spanEquals(key, "tool_calls") || d.spanEquals(key, "function_call"), c == 0x5B || c == 0x7B {
                    if c == 0x5B {
                        try d.forEachElement(depth: depth + 2) { (e: inout ExchangeDecoder) throws(ScanStop) in
                            e.record.toolCalls += 1
                            try e.skipValue(depth: depth + 2)
                        }
                    } else {
                        d.record.toolCalls += 1
                        try d.skipValue(depth: depth + 1)
                    }
                } else {
                    try d.skipValue(depth: depth + 1)
                }
            }
            decoder.record.messageCount += 1
            decoder.finishTurn(role: role, type: type, output: output, textStart: textStart, resultStart: resultStart,
                               resultsBefore: resultsBefore)
        }
    }

    @inline(__always)
    private mutating func finishTurn(
        role: TextSpan?, type: TextSpan?, output: TextSpan?, textStart: Int, resultStart: Int, resultsBefore: Int
    ) {
        let text = textStart..<record.textSpans.count
        if let type, role == nil || spanEquals(type, "function_call_output") || spanEquals(type, "function_call") {
            // Responses items: function calls and their outputs.
            switch blockKind(type) {
            case .toolCall:
                record.toolCalls += 1
                record.lastTurnReturnedResults = false
                return
            case .toolResult:
                record.toolResults += 1
                countResultTurn()
                if let output { record.resultSpans.append(output) }
                record.textSpans.removeSubrange(text)
                record.hasToolResults = true
                record.toolResultRange = resultStart..<record.resultSpans.count
                return
            case .text, .other:
                if role == nil { return }
            }
        }
        guard let role else { return }
        let isUser = spanEquals(role, "user") || spanEquals(role, "human")
        let isTool = !isUser && (spanEquals(role, "tool") || spanEquals(role, "function") || spanEquals(role, "ipython"))
        if !isUser && !isTool { record.lastTurnReturnedResults = false }
        if isUser {
            record.userMessageCount += 1
            let returnedResults = record.toolResults > resultsBefore
            record.lastTurnReturnedResults = returnedResults
            // Text beside tool results is the agent harness's (reminders, status), not the
            // person's: only a turn without results holds human-written text.
            if !returnedResults && hasVisibleText(text) {
                record.messagesHaveUser = true
                record.messagesUserRange = text
            }
        } else if isTool {
            // OpenAI chat: a tool's output is a message of its own; the outputs of one round
            // make one turn, as one Anthropic user turn holds them all.
            record.toolResults += 1
            countResultTurn()
            record.resultSpans.append(contentsOf: record.textSpans[text])
            record.textSpans.removeSubrange(text)
        } else if spanEquals(role, "system") || spanEquals(role, "developer") {
            if !record.messagesHaveSystem && !text.isEmpty {
                record.messagesHaveSystem = true
                record.messagesSystemRange = text
            }
        }
        if record.toolResults > resultsBefore {
            record.hasToolResults = true
            record.toolResultRange = resultStart..<record.resultSpans.count
        }
    }

    /// A message that only returns tool results (an OpenAI `tool` message, a Responses
    /// `function_call_output`): the first of a round counts as a user turn.
    @inline(__always)
    private mutating func countResultTurn() {
        if !record.lastTurnReturnedResults { record.userMessageCount += 1 }
        record.lastTurnReturnedResults = true
    }

    /// `tools`: the tool definitions offered (names and schemas). Each tool's JSON is hashed
    /// with whitespace outside strings left out, and the hashes are summed, so the key does not
    /// depend on the tools' order or on how the client spaced them.
    private mutating func parseTools(depth: Int) throws(ScanStop) {
        var key: UInt64 = 0
        var count: UInt64 = 0
        try forEachElement(depth: depth) { (d: inout ExchangeDecoder) throws(ScanStop) in
            let start = d.pos
            try d.skipValue(depth: depth)
            key &+= StableHash.combine(0x746F, Self.compactHash(start, d.pos))
            count += 1
        }
        record.toolSetKey = count == 0 ? 0 : StableHash.combine(key, count) | 1
    }

    /// Hash of JSON text with the whitespace between tokens left out.
    static func compactHash(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var p = start
        var inString = false
        while p < end {
            let c = p.pointee
            if inString {
                if c == 0x5C, end - p >= 2 {
                    h = (h ^ UInt64(c)) &* 0x100_0000_01b3
                    h = (h ^ UInt64(p[1])) &* 0x100_0000_01b3
                    p += 2
                    continue
                }
                if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                p += 1
                continue
            }
            h = (h ^ UInt64(c)) &* 0x100_0000_01b3
            p += 1
        }
        return h
    }
}

/// Bytes owned by one decoder: the arena of lines that hold JSON encoded in strings.
final class ByteArena {
    private(set) var start: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int

    init() {
        capacity = 0
        start = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    }

    /// Makes room for `bytes` (the contents are not kept).
    func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        start.deallocate()
        capacity = max(bytes, capacity * 2)
        start = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    deinit { start.deallocate() }
}
