// Cuts one input's decompressed stream into chunks of whole lines for the decode workers.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffer of complete lines from one input, handed from the reader thread to a decode
/// worker and back to its pool when decoded. `count` bytes of whole lines, then optionally one
/// more line that the reader already knows is bad (`trailingRejection`).
final class LineChunk: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    unowned let pool: ChunkPool
    var count = 0
    var fileIndex = 0
    var sequence = 0
    var trailingRejection: RejectReason?
    /// For inputs read by `RecordFramer`: each line's (record's) byte offset in the
    /// decompressed stream, trailing rejection included. Empty for JSON Lines.
    var recordOffsets: [Int] = []
    /// String values dropped from lines of this chunk that were over the line limit
    /// (`OversizedValueCompactor`), by the reader.
    var oversizedValues = 0
    /// Workers still reading the chunk (more than one when every worker sees every chunk);
    /// the last one to give it back returns it to the pool.
    var holders = 1
    /// When workers split lines by account: each line's start, length (without its line end)
    /// and owning worker, found once by the reader (`route`) for all workers.
    var routes: [(start: Int32, length: Int32, owner: Int32)] = []

    /// Fills `routes`: the owner of a line is the worker its account hashes to, or, when the
    /// account id is not found quickly (or the line is blank or too long), its line number.
    func route(router: AccountRouter, workers: Int, lineLimit: Int) {
        routes.removeAll(keepingCapacity: true)
        let base = storage.baseAddress!
        var position = 0
        while position < count {
            let newline = memchr(base + position, 0x0A, count - position)
            let lineEnd = newline.map { base.distance(to: UnsafeMutableRawPointer($0)) } ?? count
            var contentEnd = lineEnd
            if contentEnd > position && base.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 0x0D {
                contentEnd -= 1
            }
            var length = contentEnd - position
            if length > lineLimit,
                let compacted = OversizedValueCompactor.compactLine(base + position, length: length, limit: lineLimit)
            {
                // Compacted here, before routing, so the record goes to its account's worker.
                length = compacted.length
                oversizedValues += compacted.dropped
            }
            var owner = (routes.count + 1) % workers
            if length <= lineLimit, let key = router.accountKey(UnsafeRawBufferPointer(start: base + position, count: length)) {
                owner = Int(key % UInt64(workers))
            }
            routes.append((Int32(position), Int32(length), Int32(owner)))
            position = lineEnd + 1
        }
    }

    init(capacity: Int, pool: ChunkPool) {
        storage = .allocate(byteCount: capacity, alignment: 64)
        self.pool = pool
    }

    deinit { storage.deallocate() }
}

/// A fixed set of chunk buffers owned by one reader thread. A reader that gets ahead of the
/// decoders blocks in `take()`: this is the pipeline's backpressure and its memory bound.
final class ChunkPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var free: [LineChunk] = []
    /// Owns the buffers (chunks hold their pool unowned).
    private var all: [LineChunk] = []

    init(buffers: Int, capacity: Int) {
        for _ in 0..<buffers {
            let chunk = LineChunk(capacity: capacity, pool: self)
            all.append(chunk)
            free.append(chunk)
        }
    }

    func take() -> LineChunk {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty { condition.wait() }
        return free.removeLast()
    }

    /// Blocks until every chunk is back, so the pool may be released.
    func waitUntilAllReturned() {
        condition.lock()
        while free.count < all.count { condition.wait() }
        condition.unlock()
    }

    func give(_ chunk: LineChunk) {
        condition.lock()
        chunk.holders -= 1
        guard chunk.holders <= 0 else {
            condition.unlock()
            return
        }
        chunk.holders = 1
        chunk.count = 0
        chunk.trailingRejection = nil
        chunk.recordOffsets.removeAll(keepingCapacity: true)
        chunk.oversizedValues = 0
        free.append(chunk)
        condition.broadcast()
        condition.unlock()
    }
}

/// What the reader learned about one input.
struct InputReadResult: Sendable {
    var compressedBytes = 0
    var decompressedBytes = 0
    var isGzip = false
    var gzipMembers = 0
    var cut: InputCut?
    var trailingBytesIgnored = 0
    var openError: String?
    /// `unreadable`, `skipped` or `unsupported_compression` when `openError` is set.
    var openProblem: String?
    var chunks = 0
    /// The shape read (nil when the input could not be opened).
    var shape: InputShape?
    /// A framed input whose data ended inside an unclosed array or object.
    var unclosedCut: InputCut?
}

/// Splits an input into line chunks. The input's shape is read from its first bytes
/// (`InputShape.detect`): JSON Lines is cut at its newlines as it is; any other shape goes
/// through `RecordFramer`, which writes one line per record into the same chunks.
///
/// Lines longer than `lineLimit` are never buffered whole: a line still open when its chunk is
/// full is compacted as it streams in (`OversizedValueCompactor`: string values over 64 KiB
/// become `null`); if it is still too long, the reader emits the lines before it, marks one
/// rejected line, and skips to the next newline, so memory stays bounded by the chunk capacity.
struct LineChunker {
    let lineLimit: Int
    /// Bytes of whole lines per chunk, at least.
    let chunkSize: Int
    /// Chunk capacity: room for `chunkSize` bytes after a carried partial line of up to the limit.
    let capacity: Int

    /// Top-level keys that hold a record's time under the field maps in use (see
    /// `InputShape.detect`).
    var timeKeys: Set<[UInt8]> = []

    init(chunkSize: Int, lineLimit: Int) {
        self.lineLimit = lineLimit
        self.chunkSize = chunkSize
        self.capacity = chunkSize + lineLimit + 2
    }

    func makePool(buffers: Int = 4) -> ChunkPool { ChunkPool(buffers: buffers, capacity: capacity) }

    /// Reads `source` to its end, calling `emit` with each filled chunk in order.
    func run(
        source: InputSource, fileIndex: Int, pool: ChunkPool, progress: ProgressCounter? = nil, emit: (LineChunk) -> Void
    ) -> InputReadResult {
        var result = InputReadResult()
        let reader: LogByteReader
        do {
            reader = try LogByteReader(source: source)
        } catch {
            result.openError = "\(error)"
            result.openProblem = (error as? IngestError)?.problem ?? "unreadable"
            return result
        }
        var sequence = 0
        var chunk = pool.take()
        var filled = 0

        var reported = (compressed: 0, decompressed: 0)
        func send(_ c: LineChunk, count: Int, trailing: RejectReason?) {
            if let progress {
                progress.add(compressed: reader.bytesRead - reported.compressed, decompressed: result.decompressedBytes - reported.decompressed)
                reported = (reader.bytesRead, result.decompressedBytes)
            }
            if count == 0 && trailing == nil && c.oversizedValues == 0 {
                pool.give(c)
                return
            }
            c.count = count
            c.trailingRejection = trailing
            c.fileIndex = fileIndex
            c.sequence = sequence
            sequence += 1
            emit(c)
        }

        reading: while true {
            var endOfInput = false
            while filled < capacity {
                let n = reader.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk.storage[filled..<capacity]))
                if n == 0 {
                    endOfInput = true
                    break
                }
                filled += n
                result.decompressedBytes += n
            }
            let base = chunk.storage.baseAddress!
            if result.shape == nil {
                let shape = InputShape.detect(UnsafeRawBufferPointer(start: base, count: filled), timeKeys: timeKeys)
                result.shape = shape
                if shape != .jsonLines {
                    let unclosedAt = frame(
                        shape, input: chunk, filled: filled, endOfInput: endOfInput, cut: { reader.cut != nil }, pool: pool,
                        read: { buffer in
                            let n = reader.read(into: buffer)
                            result.decompressedBytes += n
                            return n
                        }, send: send)
                    if let unclosedAt, reader.cut == nil {
                        // The data ended inside an array or object it opened: the input is
                        // incomplete (a copy cut short, a writer that never closed it).
                        result.unclosedCut = InputCut(
                            offset: reader.bytesRead, kind: "truncated",
                            detail: "the input ends inside an unclosed JSON array or object opened at decompressed byte \(unclosedAt)")
                    }
                    break reading
                }
            }
            if endOfInput {
                if reader.cut != nil && filled > 0 && base.load(fromByteOffset: filled - 1, as: UInt8.self) != 0x0A {
                    // The input was cut inside a line: keep every complete line, reject the rest.
                    let complete = lastNewline(base, filled).map { $0 + 1 } ?? 0
                    send(chunk, count: complete, trailing: .truncated)
                } else if filled > 0 {
                    send(chunk, count: filled, trailing: nil)
                } else {
                    pool.give(chunk)
                }
                break reading
            }
            let complete = lastNewline(base, filled).map { $0 + 1 } ?? 0
            let tail = filled - complete
            let next = pool.take()
            if tail > lineLimit + 1 {
                // The partial line is already over the limit (one byte spare for a CR): compact
                // it into the next chunk as it streams in, or reject it.
                switch compactLongLine(reader, from: base + complete, count: tail, into: next, decompressed: &result.decompressedBytes) {
                case .kept(let carried):
                    send(chunk, count: complete, trailing: nil)
                    chunk = next
                    filled = carried
                    continue
                case .keptAtEnd(let length):
                    send(chunk, count: complete, trailing: reader.cut == nil ? nil : .truncated)
                    if reader.cut == nil {
                        send(next, count: length, trailing: nil)
                    } else {
                        pool.give(next)
                    }
                    break reading
                case .tooLong(let carried):
                    send(chunk, count: complete, trailing: .lineTooLong)
                    chunk = next
                    if let carried {
                        filled = carried
                        continue
                    }
                    filled = 0
                    if !skipPastNewline(reader, chunk: chunk, filled: &filled, result: &result) {
                        pool.give(chunk)
                        break reading
                    }
                    continue
                }
            }
            if tail > 0 {
                next.storage.baseAddress!.copyMemory(from: base + complete, byteCount: tail)
            }
            send(chunk, count: complete, trailing: nil)
            chunk = next
            filled = tail
        }
        result.compressedBytes = reader.bytesRead
        result.isGzip = reader.isGzip
        result.gzipMembers = reader.gzipMembers
        result.cut = reader.cut ?? result.unclosedCut
        result.trailingBytesIgnored = reader.trailingBytesIgnored
        result.chunks = sequence
        return result
    }

    /// Reads a non-JSON-Lines input through a `RecordFramer`. `input` holds the first `filled`
    /// bytes and is then reused as the read buffer; the framer fills chunks of its own.
    /// Frames the input's records; returns where an array or object that was never closed
    /// opened (decompressed bytes), if the data ended inside one.
    private func frame(
        _ shape: InputShape, input: LineChunk, filled: Int, endOfInput: Bool, cut: () -> Bool, pool: ChunkPool,
        read: (UnsafeMutableRawBufferPointer) -> Int, send: (LineChunk, Int, RejectReason?) -> Void
    ) -> Int? {
        var framer = RecordFramer(shape: shape, lineLimit: lineLimit, chunkSize: chunkSize, pool: pool)
        let base = input.storage.baseAddress!
        var offset = 0
        var count = filled
        var ended = endOfInput
        while count > 0 {
            framer.feed(base, count: count, at: offset, send: send)
            offset += count
            count = 0
            while !ended && count < input.storage.count {
                let n = read(UnsafeMutableRawBufferPointer(rebasing: input.storage[count...]))
                if n == 0 { ended = true }
                count += n
            }
        }
        let unclosed = framer.finish(cut: cut(), send: send)
        pool.give(input)
        return unclosed
    }

    /// How a line over the limit ended (`compactLongLine`).
    enum LongLine {
        /// Compacted into the chunk with its newline and the bytes read after it: `filled` bytes.
        case kept(filled: Int)
        /// Compacted into the chunk (`length` bytes, no newline): the input ended inside it.
        case keptAtEnd(length: Int)
        /// Still over the limit: the chunk holds the `filled` bytes read after its newline, or
        /// nil when that newline is not read yet.
        case tooLong(filled: Int?)
    }

    /// Compacts a line over the limit as it streams in (the `count` bytes read of it at
    /// `start`, then the reader's), writing it to the start of `chunk`; the rest of the chunk
    /// is the read buffer, so the line is never held beyond the limit.
    private func compactLongLine(
        _ reader: LogByteReader, from start: UnsafeMutableRawPointer, count: Int, into chunk: LineChunk,
        decompressed: inout Int
    ) -> LongLine {
        var compactor = OversizedValueCompactor()
        let base = chunk.storage.baseAddress!
        var written = 0
        if compactor.compact(start, count: count, into: base, written: &written, limit: lineLimit).stop == .overflow {
            return .tooLong(filled: nil)
        }
        // Output stays below `stage` (at most lineLimit + 1 bytes); input is read above it.
        let stage = lineLimit + 2
        while true {
            let n = reader.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk.storage[stage...]))
            decompressed += n
            if n == 0 {
                chunk.oversizedValues += compactor.dropped
                return .keptAtEnd(length: written)
            }
            let (used, stop) = compactor.compact(base + stage, count: n, into: base, written: &written, limit: lineLimit)
            switch stop {
            case .needMore:
                continue
            case .lineEnd:
                base.storeBytes(of: 0x0A, toByteOffset: written, as: UInt8.self)
                let rest = n - used
                if rest > 0 { memmove(base + written + 1, base + stage + used, rest) }
                chunk.oversizedValues += compactor.dropped
                return .kept(filled: written + 1 + rest)
            case .overflow:
                var at = stage + used
                if let newline = memchr(base + at, 0x0A, n - used) {
                    at = base.distance(to: UnsafeMutableRawPointer(newline)) + 1
                    let rest = stage + n - at
                    if rest > 0 { memmove(base, base + at, rest) }
                    return .tooLong(filled: rest)
                }
                return .tooLong(filled: nil)
            }
        }
    }

    /// Discards input up to and including the next newline; what follows it is left at the
    /// start of `chunk`. Returns false when the input ended first.
    private func skipPastNewline(
        _ reader: LogByteReader, chunk: LineChunk, filled: inout Int, result: inout InputReadResult
    ) -> Bool {
        while true {
            let n = reader.read(into: chunk.storage)
            if n == 0 { return false }
            result.decompressedBytes += n
            let base = chunk.storage.baseAddress!
            if let newline = memchr(base, 0x0A, n) {
                let after = base.distance(to: UnsafeMutableRawPointer(newline)) + 1
                let rest = n - after
                if rest > 0 { memmove(base, base + after, rest) }
                filled = rest
                return true
            }
        }
    }
}

/// Index of the last `\n` in the first `count` bytes.
@inline(__always)
func lastNewline(_ base: UnsafeMutableRawPointer, _ count: Int) -> Int? {
    // memrchr is a GNU extension Swift does not import; the search is short (one partial line).
    var i = count - 1
    while i >= 0 {
        if base.load(fromByteOffset: i, as: UInt8.self) == 0x0A { return i }
        i -= 1
    }
    return nil
}
