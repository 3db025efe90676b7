// Turns the inputs that are not JSON Lines (arrays, wrappers, pretty-printed or joined values,
// CloudWatch envelopes and exports) into one line per record, in the same chunks the line
// chunker fills, so the decoder and everything after it read them as JSON Lines.

/// A string-aware, depth-tracking state machine over the decompressed byte stream of one
/// input. Each record is written as one line: whitespace outside strings is dropped (one space
/// is kept between two bare tokens), arrays and wrappers are unwrapped, and CloudWatch event
/// messages are unescaped. Nothing is buffered beyond the record being written, so memory is
/// the chunk buffers whatever the input size: a wrapper or an envelope is never held whole.
///
/// A record over the line limit is compacted (`OversizedValueCompactor`); if it is still
/// over, it is rejected `line_too_long` without being held. Each record's byte offset in the
/// decompressed stream goes with its chunk (`LineChunk.recordOffsets`) for reject samples.
struct RecordFramer {
    /// What a container open on the stack is to the framer.
    private enum Role: UInt8 {
        /// Inside a record being written.
        case record
        /// An array whose elements are records (a top-level array, a wrapper's array).
        case unwrap
        /// A wrapper or envelope object: only its record array is read.
        case wrapper
        /// Read past without output.
        case skip
        /// A CloudWatch `logEvents` array: its elements are events.
        case events
        /// A CloudWatch event: its `message` value is a record.
        case event
    }

    private enum RecordKind {
        /// A JSON value (object, array or string).
        case json
        /// A bare token in an array (a number, a literal, or bytes that are not JSON).
        case bareToken
        /// Text at the top level that does not start a JSON value: the rest of its line.
        case bareLine
        /// A CloudWatch event message: the body of a JSON string, unescaped when it ends.
        case message
    }

    let shape: InputShape
    let lineLimit: Int
    let chunkSize: Int
    let pool: ChunkPool
    /// The key of the array holding the records in a wrapper or envelope (the first of
    /// `unwrapPath`).
    private let unwrapKey: [UInt8]?
    /// For nested wrappers (OTLP), the key of the array each level of wrapper holds.
    private let unwrapPath: [[UInt8]]
    private static let messageKey = Array("message".utf8)
    private static let messageTypeKey = Array("messageType".utf8)
    private static let controlMessage = Array("CONTROL_MESSAGE".utf8)

    private var out: LineChunk
    private var base: UnsafeMutableRawPointer
    private var written = 0
    private var recordStart = 0
    private var recordOffset = 0
    private var position = 0

    private var roles: [Role] = []
    /// Where the outermost open container began (decompressed bytes).
    private var outermostOpen = 0
    private var objects: [Bool] = []
    private var expectKey = false
    private var inString = false
    private var escaped = false
    private var stringIsKey = false
    private var capturing = false
    private var capture: [UInt8] = []
    private var lastKey: [UInt8] = []
    private var lastKeyDepth = -1
    private var isControlMessage = false

    private var inRecord = false
    /// The last byte outside strings and whitespace was a colon (a value may follow).
    private var lastTokenWasColon = false
    /// Set while a byte that ended a broken record is read again at the record's level.
    private var resyncing = false
    /// Set while a string whose closing quote was lost is ended at a line end.
    private var lostQuote = false
    private var recordDepth = 0
    private var kind = RecordKind.json
    /// The record is a top-level object that may turn out to be a wrapper or an envelope.
    private var candidate = false
    private var rejecting = false
    private var compacting = false
    private var compactor = OversizedValueCompactor()
    private var pendingSpace = false
    private var lastWasBare = false
    private var atLineStart = true
    private var skippingPrefix = false
    private var scratch: [UInt8] = []

    init(shape: InputShape, lineLimit: Int, chunkSize: Int, pool: ChunkPool) {
        self.shape = shape
        self.lineLimit = lineLimit
        self.chunkSize = chunkSize
        self.pool = pool
        unwrapPath = shape.unwrapPath.map { Array($0.utf8) }
        unwrapKey = unwrapPath.first
        out = pool.take()
        base = out.storage.baseAddress!
        capture.reserveCapacity(16)
        lastKey.reserveCapacity(16)
    }

    typealias Send = (LineChunk, Int, RejectReason?) -> Void

    /// Reads `count` bytes that start at `offset` in the decompressed stream.
    mutating func feed(_ bytes: UnsafeRawPointer, count: Int, at offset: Int, send: Send) {
        var i = 0
        if offset == 0 && count >= 3 && bytes.load(as: UInt8.self) == 0xEF
            && bytes.load(fromByteOffset: 1, as: UInt8.self) == 0xBB && bytes.load(fromByteOffset: 2, as: UInt8.self) == 0xBF
        {
            i = 3  // UTF-8 byte order mark
        }
        while i < count {
            position = offset + i
            step(bytes.load(fromByteOffset: i, as: UInt8.self), send)
            i += 1
        }
    }

    /// Ends the input: a record still open is rejected `truncated` when the input was cut
    /// short, else written as it is (the decoder rejects it as invalid JSON). Sends the last
    /// chunk. Returns where the outermost container still open was opened (decompressed
    /// bytes), when the data ended inside one: an array or object never closed means the
    /// input is incomplete, whatever the records before it.
    mutating func finish(cut: Bool, send: Send) -> Int? {
        let unclosed = roles.isEmpty ? nil : outermostOpen
        if inRecord {
            if cut && kind != .bareLine && kind != .bareToken {
                out.recordOffsets.append(recordOffset)
                inRecord = false
                send(out, recordStart, .truncated)
                return unclosed
            }
            inString = false
            endRecord(send)
        }
        send(out, written, nil)
        return unclosed
    }

    // MARK: The state machine

    @inline(__always)
    private mutating func step(_ c: UInt8, _ send: Send) {
        if inString {
            stringByte(c, send)
            return
        }
        if inRecord && kind == .bareLine {
            if c == 0x0A {
                endRecord(send)
                atLineStart = true
            } else if c != 0x0D {
                put(c)
            }
            return
        }
        if inRecord && kind == .bareToken {
            if isJSONWhitespace(c) || Self.isDelimiter(c) {
                endRecord(send)
            } else {
                put(c)
                return
            }
        }
        if skippingPrefix {
            if c == 0x20 || c == 0x0A { skippingPrefix = false }
            if c == 0x0A { atLineStart = true }
            return
        }
        if isJSONWhitespace(c) {
            if inRecord { pendingSpace = true }
            if c == 0x0A { atLineStart = true }
            return
        }
        let lineStart = atLineStart
        atLineStart = false
        if inRecord && kind == .json && roles.count > recordDepth && !resyncing {
            // A record that breaks JSON's grammar is written as it is (the decoder rejects it as
            // invalid JSON), and the framer guesses what was lost so that one bad record never
            // swallows the ones after it:
            // - an object or array where an object wants a key: the record's `}` was lost and
            //   the next record began; the record ends here and reading goes on at its level;
            // - a closing bracket of the other kind: the innermost container's close was lost;
            //   it is closed, and the bracket read again;
            // - any other stray token: the brackets still balance, so the record goes on and
            //   ends at its own close.
            let wantsKey = objects.last == true && expectKey
            if wantsKey && (c == UInt8(ascii: "{") || c == UInt8(ascii: "[")) {
                endBrokenRecord(send)
                resyncing = true
                step(c, send)
                resyncing = false
                return
            }
            // Closed in a loop, not by reading the bracket again: a record can hold
            // thousands of open brackets of the other kind, and a call per bracket overflowed
            // the reader's stack.
            while (c == UInt8(ascii: "}") && objects.last == false) || (c == UInt8(ascii: "]") && objects.last == true) {
                _ = objects.popLast()
                _ = roles.popLast()
                expectKey = false
                if roles.count == recordDepth {
                    endRecord(send)
                    return
                }
            }
        }
        if !inRecord && roles.last == .event && objects.last == true && expectKey && (c == UInt8(ascii: "{") || c == UInt8(ascii: "[")) {
            // A CloudWatch event that lost its `}`: the next event began.
            _ = objects.popLast()
            _ = roles.popLast()
            expectKey = false
        }
        let colonBefore = lastTokenWasColon
        lastTokenWasColon = c == UInt8(ascii: ":")
        if !inRecord && roles.last == .wrapper && !colonBefore && (c == UInt8(ascii: "{") || c == UInt8(ascii: "[")) {
            // A value where a wrapper or envelope wants a key or its end: it was never closed
            // (a lost `}`), and what follows is the next top-level value.
            roles.removeAll()
            objects.removeAll()
            expectKey = false
        }
        switch c {
        case 0x22: startString()
        case UInt8(ascii: "{"), UInt8(ascii: "["): open(isObject: c == UInt8(ascii: "{"))
        case UInt8(ascii: "}"), UInt8(ascii: "]"): close(c, send)
        case UInt8(ascii: ","):
            if inRecord { emit(c) }
            if objects.last == true { expectKey = true }
        case UInt8(ascii: ":"):
            if inRecord { emit(c) }
            expectKey = false
        default:
            bare(c, lineStart: lineStart)
        }
    }

    @inline(__always)
    private static func isDelimiter(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == UInt8(ascii: "{")
            || c == UInt8(ascii: "[") || c == 0x22 || c == UInt8(ascii: ":")
    }

    /// True when a key or value at the current depth decides how the framer reads on.
    private var atDecidingLevel: Bool {
        if inRecord { return candidate && roles.count == recordDepth + 1 }
        return roles.last == .wrapper || roles.last == .event
    }

    /// Wrapper objects open on the stack: the level of nesting reached.
    private var wrapperLevels: Int { roles.reduce(0) { $0 + ($1 == .wrapper ? 1 : 0) } }

    /// The key whose array the innermost open wrapper holds its records (or next wrappers) in.
    private var currentUnwrapKey: [UInt8]? {
        let level = wrapperLevels
        return level >= 1 && level <= unwrapPath.count ? unwrapPath[level - 1] : unwrapKey
    }

    private mutating func push(isObject: Bool, _ role: Role) {
        if roles.isEmpty { outermostOpen = position }
        objects.append(isObject)
        roles.append(role)
        expectKey = isObject
    }

    private mutating func open(isObject: Bool) {
        if inRecord {
            if !isObject && candidate && roles.count == recordDepth + 1 && lastKeyDepth == roles.count && lastKey == unwrapKey {
                // The top-level object is a wrapper or an envelope: drop what was written of
                // it and read its array's elements as records (events for an envelope).
                written = recordStart
                inRecord = false
                roles[recordDepth] = .wrapper
                push(isObject: false, shape == .cloudWatchEnvelopes ? (isControlMessage ? .skip : .events) : .unwrap)
                return
            }
            emit(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
            push(isObject: isObject, .record)
            return
        }
        switch roles.last {
        case nil:
            guard isObject else {
                push(isObject: false, .unwrap)
                return
            }
            if unwrapPath.count > 1 {
                // An OTLP export: a wrapper, never a record.
                push(isObject: true, .wrapper)
                return
            }
            startRecord(.json, candidate: unwrapKey != nil)
        case .unwrap:
            if isObject && wrapperLevels < unwrapPath.count {
                // A nested wrapper (an OTLP resource or scope): read on to its own array.
                push(isObject: true, .wrapper)
                return
            }
            startRecord(.json, candidate: false)
        case .wrapper:
            if !isObject && lastKeyDepth == roles.count && lastKey == currentUnwrapKey {
                push(isObject: false, shape == .cloudWatchEnvelopes ? (isControlMessage ? .skip : .events) : .unwrap)
            } else {
                push(isObject: isObject, .skip)
            }
            return
        case .events:
            push(isObject: isObject, isObject ? .event : .skip)
            return
        case .event:
            guard lastKeyDepth == roles.count && lastKey == Self.messageKey else {
                push(isObject: isObject, .skip)
                return
            }
            startRecord(.json, candidate: false)
        case .skip, .record:
            push(isObject: isObject, .skip)
            return
        }
        emit(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
        push(isObject: isObject, .record)
    }

    private mutating func close(_ c: UInt8, _ send: Send) {
        guard !roles.isEmpty else {
            bare(c, lineStart: false)  // a stray closing bracket
            return
        }
        if inRecord { emit(c) }
        _ = objects.popLast()
        _ = roles.popLast()
        expectKey = false
        if inRecord && roles.count == recordDepth { endRecord(send) }
    }

    private mutating func startString() {
        stringIsKey = objects.last == true && expectKey
        // After a key comes its colon, not another key.
        if stringIsKey { expectKey = false }
        inString = true
        escaped = false
        capturing = false
        if stringIsKey {
            capturing = atDecidingLevel
            if inRecord { emit(0x22) }
            capture.removeAll(keepingCapacity: true)
            return
        }
        if inRecord {
            // The type of an envelope, to skip CONTROL_MESSAGE ones.
            capturing = atDecidingLevel && lastKeyDepth == roles.count && lastKey == Self.messageTypeKey
            capture.removeAll(keepingCapacity: true)
            emit(0x22)
            return
        }
        switch roles.last {
        case nil, .unwrap:
            startRecord(.json, candidate: false)
            emit(0x22)
        case .event where lastKeyDepth == roles.count && lastKey == Self.messageKey:
            startRecord(.message, candidate: false)
        default:
            break
        }
    }

    @inline(__always)
    private mutating func stringByte(_ c: UInt8, _ send: Send) {
        if c == 0x0A {
            // A raw line end never belongs to a JSON string: the closing quote was lost. The
            // string ends here without one in the output, so its record is rejected as
            // invalid JSON, and a pretty-printed or one-per-line input reads on from the next
            // line.
            escaped = false
            lostQuote = true
            stringByte(0x22, send)
            lostQuote = false
            atLineStart = true
            return
        }
        if escaped {
            escaped = false
        } else if c == 0x5C {
            escaped = true
        } else if c == 0x22 {
            inString = false
            if capturing {
                capturing = false
                if stringIsKey {
                    swap(&lastKey, &capture)
                    lastKeyDepth = roles.count
                } else if capture == Self.controlMessage {
                    isControlMessage = true
                }
            }
            guard inRecord else { return }
            if kind == .message {
                endMessage(send)
                return
            }
            if !lostQuote { putStringByte(c) }
            if roles.count == recordDepth { endRecord(send) }  // a string record
            return
        }
        if capturing && capture.count < 16 { capture.append(c) }
        if inRecord {
            // A raw line end inside a string is invalid JSON; it must not split the line.
            putStringByte(c == 0x0A || c == 0x0D ? 0x20 : c)
        }
    }

    private mutating func bare(_ c: UInt8, lineStart: Bool) {
        if inRecord {
            emit(c)
            return
        }
        switch roles.last {
        case nil:
            if shape == .cloudWatchExport && lineStart && InputShape.isTimestampByte(c) {
                skippingPrefix = true
                return
            }
            startRecord(.bareLine, candidate: false)
            put(c)
        case .unwrap:
            startRecord(.bareToken, candidate: false)
            put(c)
        default:
            break
        }
    }

    // MARK: Output

    private mutating func startRecord(_ kind: RecordKind, candidate: Bool) {
        inRecord = true
        self.kind = kind
        self.candidate = candidate
        recordDepth = roles.count
        recordStart = written
        recordOffset = position
        isControlMessage = false
        rejecting = false
        compacting = false
        pendingSpace = false
        lastWasBare = false
    }

    /// Writes a byte outside strings: one space is kept between two bare tokens.
    @inline(__always)
    private mutating func emit(_ c: UInt8) {
        let isBare = !Self.isDelimiter(c)
        if pendingSpace {
            pendingSpace = false
            if isBare && lastWasBare { put(0x20) }
        }
        lastWasBare = isBare
        put(c)
    }

    @inline(__always)
    private mutating func putStringByte(_ c: UInt8) {
        lastWasBare = false
        put(c)
    }

    @inline(__always)
    private mutating func put(_ c: UInt8) {
        if rejecting { return }
        if compacting {
            var byte = c
            var length = written - recordStart
            let (_, stop) = compactor.compact(&byte, count: 1, into: base + recordStart, written: &length, limit: lineLimit)
            written = recordStart + length
            if stop == .overflow { reject() }
            return
        }
        base.storeBytes(of: c, toByteOffset: written, as: UInt8.self)
        written += 1
        if written - recordStart > lineLimit { overflow() }
    }

    /// The record passed the line limit: drop its oversized values, or reject it.
    private mutating func overflow() {
        if kind == .json {
            compactor = OversizedValueCompactor()
            var length = 0
            let (_, stop) = compactor.compact(
                UnsafeRawPointer(base + recordStart), count: written - recordStart, into: base + recordStart,
                written: &length, limit: lineLimit)
            if stop != .overflow {
                written = recordStart + length
                compacting = true
                return
            }
        }
        reject()
    }

    private mutating func reject() {
        rejecting = true
        compacting = false
        written = recordStart
    }

    private mutating func endMessage(_ send: Send) {
        if !rejecting {
            // The message is a record written as a JSON string: unescape it in place (never
            // longer than its escaped form); its line ends become spaces.
            scratch.removeAll(keepingCapacity: true)
            JSONText.unescape(UnsafeRawBufferPointer(start: base + recordStart, count: written - recordStart), into: &scratch)
            written = recordStart
            for b in scratch {
                base.storeBytes(of: b == 0x0A || b == 0x0D ? 0x20 : b, toByteOffset: written, as: UInt8.self)
                written += 1
            }
        }
        endRecord(send)
    }

    /// Ends a record that broke JSON's grammar: what was written of it becomes its line (the
    /// decoder rejects it), and the containers it opened are closed.
    private mutating func endBrokenRecord(_ send: Send) {
        roles.removeSubrange(recordDepth...)
        objects.removeSubrange(recordDepth...)
        expectKey = false
        endRecord(send)
    }

    private mutating func endRecord(_ send: Send) {
        inRecord = false
        out.recordOffsets.append(recordOffset)
        if rejecting {
            // Records before it fill this chunk; the rejected one is its trailing line.
            rejecting = false
            send(out, recordStart, .lineTooLong)
            nextChunk()
            return
        }
        if compacting {
            compacting = false
            out.oversizedValues += compactor.dropped
        }
        base.storeBytes(of: 0x0A, toByteOffset: written, as: UInt8.self)
        written += 1
        if written >= chunkSize {
            send(out, written, nil)
            nextChunk()
        }
    }

    private mutating func nextChunk() {
        out = pool.take()
        base = out.storage.baseAddress!
        written = 0
        recordStart = 0
    }
}
