// Runs ingest and decode together: reader threads inflate inputs into line chunks (several
// inputs at once), decode workers turn lines into records and hand them to per-worker
// consumers. Every count is merged in input order, so results never depend on thread timing.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives the accepted records of one decode worker. Each worker owns its consumer, so a
/// consumer needs no locking; the caller merges them after the scan.
public protocol ExchangeConsumer: AnyObject, SendableMetatype {
    func consume(_ record: borrowing DecodedExchange)
    /// When true (and there are several workers), every worker sees every chunk and decodes
    /// only the lines of its share of the accounts (`AccountRouter`); otherwise each chunk
    /// goes whole to one worker.
    static var routesByAccount: Bool { get }
    /// Called on the worker's thread once it has consumed its last record.
    func scanEnded()
}

extension ExchangeConsumer {
    public static var routesByAccount: Bool { false }
    public func scanEnded() {}
}

/// Settings of a scan.
public struct ScanOptions: Sendable {
    /// Lines longer than this (bytes, without the line end) are rejected. At most
    /// `maxLineLimit`: offsets inside a line are 32-bit, and a chunk holds one line whole.
    public var lineLimit = 1 << 20
    /// The largest line limit accepted (1 GiB).
    public static let maxLineLimit = 1 << 30
    /// Decode workers; reader threads are min(threads, inputs).
    public var threads = 2
    /// Bytes of whole lines per chunk handed to a worker.
    public var chunkSize = 4 << 20
    /// Samples kept per reject reason.
    public var samplesPerReason = 5
    /// Mapped paths (`--field-map`, then the preset's), tried before the usual names.
    public var fieldMappings: [FieldMapping] = []
    /// The `--preset` the mappings came from, for the run summary.
    public var preset: LogPreset?
    /// Times accepted (see `ExchangeDecoder.plausibleTimes`); fixed when the options are made.
    public var plausibleTimes = Timestamp.plausibleRange()
    /// Called once per input not read in full (`ScanReport.inputProblems`), in input order,
    /// when the scan ends: commands print them on standard error.
    public var inputProblemHandler: (@Sendable (InputProblem) -> Void)?
    /// Called about twice a second while reading, from a monitor thread.
    public var progress: (@Sendable (ScanProgress) -> Void)?

    public init() {}
}

/// How far a scan is.
public struct ScanProgress: Sendable {
    public var compressedBytesRead: Int
    public var compressedBytesTotal: Int
    public var decompressedBytes: Int
    public var seconds: Double
}

/// Byte counts the reader threads add to and a monitor thread reads.
final class ProgressCounter: @unchecked Sendable {
    private let condition = NSCondition()
    private var compressed = 0
    private var decompressed = 0
    private var finished = false
    private var monitorDone = true

    func add(compressed c: Int, decompressed d: Int) {
        condition.lock()
        compressed += c
        decompressed += d
        condition.unlock()
    }

    /// Calls `report` about every `interval` seconds on a thread of its own until `finish()`.
    func startMonitor(interval: Double, report: @escaping @Sendable (Int, Int) -> Void) {
        condition.lock()
        monitorDone = false
        condition.unlock()
        let thread = Thread { [self] in
            condition.lock()
            while !finished {
                _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
                if finished { break }
                let (c, d) = (compressed, decompressed)
                condition.unlock()
                report(c, d)
                condition.lock()
            }
            monitorDone = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    /// Stops the monitor and waits until it has printed its last line.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        while !monitorDone { condition.wait() }
        condition.unlock()
    }
}

/// A rejected line kept as an example for the report.
public struct RejectedSample: Sendable, Codable, Equatable {
    public var file: String
    public var line: Int
    public var reason: RejectReason
    /// Where in the line it failed, when known (byte offset from the line start; for an
    /// input that is not JSON Lines, from the start of the record as written on one line).
    public var byteOffset: Int?
    /// For an input that is not JSON Lines (`InputReport.shape`), where the record starts:
    /// byte offset in the decompressed stream. `line` is then the record's number.
    public var streamOffset: Int?

    enum CodingKeys: String, CodingKey {
        case file, line, reason
        case byteOffset = "byte_offset"
        case streamOffset = "stream_offset"
    }
}

/// What was read from one input.
public struct InputReport: Sendable, Codable, Equatable {
    public var file: String
    public var bytes: Int
    public var decompressedBytes: Int
    public var gzip: Bool
    public var gzipMembers: Int
    public var lines: Int
    public var accepted: Int
    public var rejected: Int
    public var blankLines: Int
    public var error: String?
    /// With `error`: `unreadable`, `skipped` or `unsupported_compression`.
    public var problem: String?
    public var cut: InputCut?
    public var trailingBytesIgnored: Int
    /// How the records are laid out (`InputShape.name`: `jsonl`, `json-array`,
    /// `json-wrapper(data)`, `json-values`, `cloudwatch-envelopes`, ...); nil when not read.
    /// For any shape but `jsonl`, `lines` counts records.
    public var shape: String?
    /// String values over `OversizedValueCompactor.valueThreshold` bytes dropped from records
    /// over the line limit, whose other fields were kept (`oversized_value`).
    public var oversizedValues: Int

    enum CodingKeys: String, CodingKey {
        case file, bytes, gzip, lines, accepted, rejected, error, problem, cut, shape
        case decompressedBytes = "decompressed_bytes"
        case gzipMembers = "gzip_members"
        case blankLines = "blank_lines"
        case trailingBytesIgnored = "trailing_bytes_ignored"
        case oversizedValues = "oversized_values"
    }
}

/// Everything a scan learned about its inputs, independent of what the consumers did.
public struct ScanReport: Sendable {
    package init() {}

    public var inputs: [InputReport] = []
    public var accepted = 0
    public var rejectedByReason: [RejectReason: Int] = [:]
    public var samples: [RejectedSample] = []
    /// fieldCounts[field][source] = accepted records that had the field under that name.
    public var fieldCounts: [[Int]] = []
    public var recordsWithPrompt = 0
    /// Accepted records per field whose value was out of range: token counts clamped to
    /// `ExchangeDecoder.maxTokenCount`, implausible `account_created` times ignored.
    public var outOfRangeValues: [LogField: Int] = [:]
    /// Accepted records per field whose value could not be one and was left out: a JSON
    /// object encoded in a string where an id belongs.
    public var invalidValues: [LogField: Int] = [:]
    /// Strings whose invalid UTF-8 bytes were read as U+FFFD (the records were kept).
    public var repairedStrings = 0
    /// Records whose prompt is the one value on most records, if one is (`PromptMajority`).
    public var commonestPromptRecords = 0
    /// The scan's short-prompt tally behind `commonestPromptRecords`, kept so that a saved
    /// state (`ScanTally`) can redo the count over the union of several scans exactly.
    var promptValues = PromptMajority()
    /// String values dropped from records over the line limit (see `InputReport.oversizedValues`).
    public var oversizedValues: Int { inputs.reduce(0) { $0 + $1.oversizedValues } }
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    public var seconds = 0.0

    /// Fewest accepted records for a single prompt value to be called a placeholder: in a
    /// handful of records one prompt filling most is no evidence of redaction.
    public static let placeholderMinimumRecords = 10

    /// One prompt value fills most accepted records (a logger's redaction placeholder such as
    /// `redacted-by-litellm`): its template and vocabulary would link every account, so
    /// content is left out of detection.
    public var promptIsPlaceholder: Bool {
        accepted >= Self.placeholderMinimumRecords && commonestPromptRecords * 2 > accepted
    }

    /// False when content signals are off: no record carries prompt text, or a placeholder
    /// fills most records.
    public var contentSignalsOn: Bool { recordsWithPrompt > 0 && !promptIsPlaceholder }

    /// What to tell the user about content signals, or nil when there is nothing to say:
    /// "off" (no prompt text, or a placeholder), or "weak" (prompt text absent or blank on
    /// most records: content links only the records that carry it).
    public var contentSignalsNote: String? {
        guard accepted > 0 else { return nil }
        if recordsWithPrompt == 0 { return "content signals off: no record carries prompt text; detection runs on metadata alone" }
        if promptIsPlaceholder {
            let share = Int((100 * Double(commonestPromptRecords) / Double(accepted)).rounded())
            return "content signals off: one prompt value fills \(share)% of the records (a redaction placeholder?); detection runs on metadata alone"
        }
        if recordsWithPrompt * 2 <= accepted {
            return "content signals weak: prompt text absent or blank on \(accepted - recordsWithPrompt) of \(accepted) records; content links only the records that carry it"
        }
        return nil
    }

    public var rejected: Int { rejectedByReason.values.reduce(0, +) }
    public var lines: Int { accepted + rejected }
    public var rejectedShare: Double { lines == 0 ? 0 : Double(rejected) / Double(lines) }
    public var decompressedBytes: Int { inputs.reduce(0) { $0 + $1.decompressedBytes } }
    public var compressedBytes: Int { inputs.reduce(0) { $0 + $1.bytes } }
    public var readableInputs: Int { inputs.filter { $0.error == nil }.count }

    /// Every input not read in full, in input order: the outputs miss some of its lines.
    public var inputProblems: [InputProblem] {
        inputs.compactMap { input in
            if let error = input.error {
                return InputProblem(file: input.file, problem: input.problem ?? "unreadable", detail: error, offset: nil)
            }
            return input.cut.map { InputProblem(file: input.file, problem: $0.kind, detail: $0.detail, offset: $0.offset) }
        }
    }
}

/// An input that was not read in full: never opened (`unreadable`, `skipped`,
/// `unsupported_compression`) or ended early (`truncated`, `corrupt`, `read_error`, with the
/// compressed byte offset where readable data ends).
public struct InputProblem: Sendable, Codable, Equatable {
    public var file: String
    public var problem: String
    public var detail: String
    public var offset: Int?

    /// One line for standard error and report.html.
    public var message: String {
        if let offset {
            return "\(file): \(problem) at byte \(offset) (\(detail)); the complete lines before it were read"
        }
        return detail.hasPrefix(file) ? detail : "\(file): \(detail)"
    }
}

/// Per-worker decode statistics; merged after the scan. Each is used by one worker thread, so
/// its per-line counters skip dynamic exclusivity checks.
final class DecodeTally {
    struct PendingSample {
        var fileIndex: Int
        var chunk: Int
        var lineInChunk: Int
        var reason: RejectReason
        var byteOffset: Int?
        var streamOffset: Int?
    }

    struct ChunkLines {
        var fileIndex: Int
        var chunk: Int
        var lines: Int
    }

    @exclusivity(unchecked) var accepted = 0
    @exclusivity(unchecked) var rejected = [Int](repeating: 0, count: RejectReason.allCases.count)
    @exclusivity(unchecked) var fileAccepted: [Int]
    @exclusivity(unchecked) var fileRejected: [Int]
    @exclusivity(unchecked) var fileBlank: [Int]
    var fileOversized: [Int]
    var samples: [[PendingSample]] = Array(repeating: [], count: RejectReason.allCases.count)
    var chunkLines: [ChunkLines] = []
    @exclusivity(unchecked) var fieldCounts: [Int]
    @exclusivity(unchecked) var withPrompt = 0
    var outOfRange = [Int](repeating: 0, count: LogField.allCases.count)
    var invalid = [Int](repeating: 0, count: LogField.allCases.count)
    @exclusivity(unchecked) var repairedStrings = 0
    @exclusivity(unchecked) var promptValues = PromptMajority()
    @exclusivity(unchecked) var minTs = Int64.max
    @exclusivity(unchecked) var maxTs = Int64.min
    let samplesPerReason: Int
    let stride: Int

    init(files: Int, samplesPerReason: Int, sourcesPerField: Int) {
        fileAccepted = Array(repeating: 0, count: files)
        fileRejected = Array(repeating: 0, count: files)
        fileBlank = Array(repeating: 0, count: files)
        fileOversized = Array(repeating: 0, count: files)
        self.samplesPerReason = samplesPerReason
        stride = sourcesPerField
        fieldCounts = Array(repeating: 0, count: LogField.allCases.count * sourcesPerField)
    }

    @inline(__always)
    func reject(_ reason: RejectReason, file: Int, chunk: Int, line: Int, byteOffset: Int?, streamOffset: Int? = nil) {
        let r = RejectReason.allCases.firstIndex(of: reason)!
        rejected[r] += 1
        fileRejected[file] += 1
        // Keeps the earliest rejects (by input, chunk, line) per (worker, reason), whatever
        // order the chunks of several inputs arrived in; the merge sorts and trims, so the
        // samples reported are the earliest of all, for any thread count.
        guard samplesPerReason > 0 else { return }
        let sample = PendingSample(
            fileIndex: file, chunk: chunk, lineInChunk: line, reason: reason, byteOffset: byteOffset, streamOffset: streamOffset)
        if samples[r].count < samplesPerReason {
            samples[r].append(sample)
            return
        }
        var latest = 0
        for k in 1..<samples[r].count where Self.position(samples[r][k]) > Self.position(samples[r][latest]) { latest = k }
        if Self.position(sample) < Self.position(samples[r][latest]) { samples[r][latest] = sample }
    }

    /// Counts what the decoder left out or repaired in a line, accepted or rejected (an id
    /// that was a JSON object rejects its line as `missing_account_id`).
    @inline(__always)
    func countRepairs(_ record: borrowing DecodedExchange) {
        repairedStrings += record.repairedStrings
        if record.invalidValues != 0 {
            for field in LogField.allCases where record.invalidValues & (1 << UInt32(field.rawValue)) != 0 {
                invalid[field.rawValue] += 1
            }
        }
    }

    @inline(__always)
    static func position(_ s: PendingSample) -> (Int, Int, Int) { (s.fileIndex, s.chunk, s.lineInChunk) }

    @inline(__always)
    func count(_ record: borrowing DecodedExchange, file: Int) {
        accepted += 1
        fileAccepted[file] += 1
        let ts = record.timestampMilliseconds
        if ts < minTs { minTs = ts }
        if ts > maxTs { maxTs = ts }
        if let spans = record.promptSpans {
            withPrompt += 1
            if let key = PromptMajority.key(record.line, spans, record.textSpans) { promptValues.add(key) }
        }
        countRepairs(record)
        if record.outOfRange != 0 {
            for field in LogField.allCases where record.outOfRange & (1 << UInt32(field.rawValue)) != 0 {
                outOfRange[field.rawValue] += 1
            }
        }
        record.slots.withUnsafeBufferPointer { slots in
            fieldCounts.withUnsafeMutableBufferPointer { counts in
                for f in 0..<slots.count where slots[f].priority != 255 {
                    counts[f * stride + Int(slots[f].priority)] += 1
                }
            }
        }
    }
}

/// Finds a prompt value that fills most records (a redaction placeholder such as
/// `redacted-by-litellm`) exactly and whatever the split of the records over workers:
/// - the candidate is the value whose hash has, at each of 32 bits, the majority bit (a
///   value on more than half the records decides every bit; Boyer–Moore's majority idea on
///   bits, whose per-bit counts add across workers);
/// - its count comes from a count-min sketch (Cormode & Muthukrishnan, 2005: 4 rows of 2^14
///   counters, an overestimate by at most 0.02% of the records with probability 1 - e^-4),
///   whose counters add across workers too.
///
/// Only prompts of one span and at most `maxLength` bytes are counted (a placeholder is
/// short; hashing every long prompt would cost the decode path), each keyed by a hash of all
/// its bytes.
struct PromptMajority {
    static let maxLength = 64
    static let rows = 4
    static let width = 1 << 14
    private(set) var records = 0
    private var bits = [Int](repeating: 0, count: 32)
    private var counts = [UInt32](repeating: 0, count: PromptMajority.rows * PromptMajority.width)
    private static let multipliers: [UInt64] = [0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x85EB_CA77_C2B2_AE63]

    /// The 32-bit key of a short one-span prompt, or nil.
    @inline(__always)
    static func key(_ line: UnsafeRawBufferPointer, _ spans: Range<Int>, _ textSpans: [TextSpan]) -> UInt32? {
        guard spans.count == 1 else { return nil }
        let span = textSpans[spans.lowerBound]
        guard span.end - span.start <= Int32(maxLength) else { return nil }
        return UInt32(truncatingIfNeeded: StableHash.hash(UnsafeRawBufferPointer(rebasing: line[Int(span.start)..<Int(span.end)])))
    }

    @inline(__always)
    static func cell(_ key: UInt32, row: Int) -> Int {
        row * width + Int(truncatingIfNeeded: (UInt64(key) &* multipliers[row]) >> 50)
    }

    @inline(__always)
    mutating func add(_ key: UInt32) {
        records += 1
        // One uniqueness check per array, not one per counter.
        bits.withUnsafeMutableBufferPointer { bits in
            var x = key
            while x != 0 {
                bits[x.trailingZeroBitCount] &+= 1
                x &= x - 1
            }
        }
        counts.withUnsafeMutableBufferPointer { counts in
            for row in 0..<Self.rows { counts[Self.cell(key, row: row)] &+= 1 }
        }
    }

    /// Adds another tally's counts: the tally of the union of their records.
    mutating func merge(_ other: PromptMajority) {
        records += other.records
        for i in bits.indices { bits[i] &+= other.bits[i] }
        for i in counts.indices { counts[i] &+= other.counts[i] }
    }

    /// Every counter as a flat list (records, 32 bit counts, rows × width cells), for state files.
    var serialized: [UInt64] {
        [UInt64(records)] + bits.map { UInt64(bitPattern: Int64($0)) } + counts.map { UInt64($0) }
    }

    /// Reads `serialized`; nil when the list has the wrong length.
    init?(serialized values: [UInt64]) {
        guard values.count == 1 + 32 + Self.rows * Self.width else { return nil }
        records = Int(truncatingIfNeeded: values[0])
        bits = values[1..<33].map { Int(truncatingIfNeeded: $0) }
        counts = values[33...].map { UInt32(truncatingIfNeeded: $0) }
    }

    init() {}

    /// Records whose short prompt is the majority value of all workers' records (an upper
    /// bound, exact but for count-min collisions); 0 when no short prompt was counted.
    static func commonestCount(_ tables: [PromptMajority]) -> Int {
        let records = tables.reduce(0) { $0 + $1.records }
        guard records > 0 else { return 0 }
        var candidate: UInt32 = 0
        for bit in 0..<32 where tables.reduce(0, { $0 + $1.bits[bit] }) * 2 > records { candidate |= 1 << UInt32(bit) }
        var estimate = Int.max
        for row in 0..<rows {
            let cell = Self.cell(candidate, row: row)
            estimate = min(estimate, tables.reduce(0) { $0 + Int($1.counts[cell]) })
        }
        return estimate
    }
}

public enum LogScanner {
    /// Reads every input and feeds accepted records to the consumers (one per worker, made by
    /// `makeConsumer(workerIndex)`). Returns the scan report and the consumers.
    public static func scan<Consumer: ExchangeConsumer>(
        _ inputs: [InputSource], options: ScanOptions, makeConsumer: (Int) -> Consumer
    ) -> (ScanReport, [Consumer]) {
        let started = monotonicSeconds()
        let schema = DecodeSchema(mappings: options.fieldMappings)
        let workers = max(1, options.threads)
        let readers = max(1, min(workers, inputs.count))
        var configured = LineChunker(chunkSize: options.chunkSize, lineLimit: min(options.lineLimit, ScanOptions.maxLineLimit))
        configured.timeKeys = Set(schema.fieldSources.sources[LogField.ts.rawValue].compactMap { $0.first.map { Array($0.utf8) } })
        let chunker = configured
        let routed = Consumer.routesByAccount && workers > 1
        // Routed: one queue per worker, each chunk pushed to all of them.
        let queues = (0..<(routed ? workers : 1)).map { _ in BlockingQueue<LineChunk>() }
        let router = AccountRouter(schema: schema)
        let claim = WorkCounter(limit: inputs.count)
        let readersLeft = Countdown(readers)
        let resultsBox = ResultSlots<InputReadResult>(count: inputs.count)
        let consumers = (0..<workers).map(makeConsumer)
        let tallies = (0..<workers).map { _ in
            DecodeTally(files: inputs.count, samplesPerReason: options.samplesPerReason,
                        sourcesPerField: schema.fieldSources.maxSourcesPerField)
        }
        let shared = UncheckedSendable((consumers, tallies))
        let lineLimit = min(options.lineLimit, ScanOptions.maxLineLimit)

        let counter = ProgressCounter()
        if let progress = options.progress {
            let total = inputs.reduce(0) { sum, input in
                guard case .file(let path) = input.kind,
                    let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
                else { return sum }
                return sum + size
            }
            counter.startMonitor(interval: 0.5) { compressed, decompressed in
                progress(ScanProgress(
                    compressedBytesRead: compressed, compressedBytesTotal: total, decompressedBytes: decompressed,
                    seconds: monotonicSeconds() - started))
            }
        }
        defer { counter.finish() }
        runOnThreads(readers + workers) { thread in
            if thread < readers {
                let pool = chunker.makePool(buffers: routed ? 4 * workers + 2 : 2 + max(2, workers))
                while let index = claim.claim() {
                    let result = chunker.run(source: inputs[index], fileIndex: index, pool: pool, progress: counter) { chunk in
                        if routed { chunk.route(router: router, workers: workers, lineLimit: lineLimit) }
                        chunk.holders = queues.count
                        for queue in queues { queue.push(chunk) }
                    }
                    resultsBox.set(index, result)
                }
                // The last reader to finish closes the queue; each keeps its pool alive until
                // the workers have handed back every chunk of it.
                if readersLeft.decrement() == 0 { for queue in queues { queue.close() } }
                pool.waitUntilAllReturned()
            } else {
                let worker = thread - readers
                var decoder = ExchangeDecoder(schema: schema, plausibleTimes: options.plausibleTimes)
                decodeChunks(
                    queue: queues[routed ? worker : 0], decoder: &decoder, consumer: shared.value.0[worker],
                    tally: shared.value.1[worker], lineLimit: lineLimit,
                    routedWorker: routed ? worker : nil)
                shared.value.0[worker].scanEnded()
            }
        }

        var report = merge(tallies: tallies, reads: (0..<inputs.count).map { resultsBox.get($0) }, inputs: inputs, schema: schema, options: options)
        report.seconds = monotonicSeconds() - started
        counter.finish()
        if let handler = options.inputProblemHandler { report.inputProblems.forEach(handler) }
        return (report, consumers)
    }

    static func decodeChunks<Consumer: ExchangeConsumer>(
        queue: BlockingQueue<LineChunk>, decoder: inout ExchangeDecoder, consumer: Consumer,
        tally: DecodeTally, lineLimit: Int, routedWorker: Int? = nil
    ) {
        // Routed: this worker decodes the lines the reader assigned to it (its accounts, and
        // blank, too long or unreadable lines by line number), and skips the others.
        let lead = (routedWorker ?? 0) == 0
        while let chunk = queue.pop() {
            let base = chunk.storage.baseAddress!
            let count = chunk.count
            let file = chunk.fileIndex
            var lineNumber = 0
            // Framed inputs: where each record starts in the decompressed stream.
            @inline(__always) func streamOffset(_ lineNumber: Int) -> Int? {
                lineNumber <= chunk.recordOffsets.count ? chunk.recordOffsets[lineNumber - 1] : nil
            }

            @inline(__always) func handle(_ position: Int, _ length: Int, _ lineNumber: Int) {
                var length = length
                if length > lineLimit {
                    // The chunk is this worker's alone here (routed chunks were compacted by
                    // the reader): drop the line's oversized values in place, or reject it.
                    guard routedWorker == nil,
                        let compacted = OversizedValueCompactor.compactLine(base + position, length: length, limit: lineLimit)
                    else {
                        tally.reject(.lineTooLong, file: file, chunk: chunk.sequence, line: lineNumber, byteOffset: nil,
                                     streamOffset: streamOffset(lineNumber))
                        return
                    }
                    length = compacted.length
                    tally.fileOversized[file] += compacted.dropped
                }
                if isBlank(base + position, length) {
                    tally.fileBlank[file] += 1
                } else if let reason = decoder.decode(UnsafeRawBufferPointer(start: base + position, count: length)) {
                    let offset = (reason == .invalidJSON || reason == .invalidUTF8) ? decoder.failureOffset : nil
                    tally.reject(reason, file: file, chunk: chunk.sequence, line: lineNumber, byteOffset: offset,
                                 streamOffset: streamOffset(lineNumber))
                    decoder.withRecord { tally.countRepairs($0) }
                } else {
                    decoder.withRecord { record in
                        tally.count(record, file: file)
                        consumer.consume(record)
                    }
                }
            }

            if let routedWorker {
                chunk.routes.withUnsafeBufferPointer { routes in
                    for k in routes.indices where Int(routes[k].owner) == routedWorker {
                        handle(Int(routes[k].start), Int(routes[k].length), k + 1)
                    }
                }
                lineNumber = chunk.routes.count
            } else {
                var position = 0
                while position < count {
                    let newline = memchr(base + position, 0x0A, count - position)
                    let lineEnd = newline.map { base.distance(to: UnsafeMutableRawPointer($0)) } ?? count
                    lineNumber += 1
                    var contentEnd = lineEnd
                    if contentEnd > position && base.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 0x0D {
                        contentEnd -= 1
                    }
                    handle(position, contentEnd - position, lineNumber)
                    position = lineEnd + 1
                }
            }
            if let reason = chunk.trailingRejection {
                lineNumber += 1
                if lead {
                    tally.reject(reason, file: file, chunk: chunk.sequence, line: lineNumber, byteOffset: nil,
                                 streamOffset: streamOffset(lineNumber))
                }
            }
            if lead { tally.fileOversized[file] += chunk.oversizedValues }
            if lead { tally.chunkLines.append(.init(fileIndex: file, chunk: chunk.sequence, lines: lineNumber)) }
            chunk.pool.give(chunk)
        }
    }

    @inline(__always)
    static func isBlank(_ p: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        for i in 0..<count {
            let c = p.load(fromByteOffset: i, as: UInt8.self)
            if c != 0x20 && c != 0x09 && c != 0x0D { return false }
        }
        return true
    }

    static func merge(
        tallies: [DecodeTally], reads: [InputReadResult], inputs: [InputSource], schema: DecodeSchema,
        options: ScanOptions
    ) -> ScanReport {
        var report = ScanReport()
        // Line numbers: chunk line counts per file, in chunk order, give each chunk's first line.
        var chunkStart: [[Int]] = reads.map { Array(repeating: 0, count: $0.chunks) }
        var linesPerFile = Array(repeating: 0, count: inputs.count)
        for tally in tallies {
            for c in tally.chunkLines { chunkStart[c.fileIndex][c.chunk] = c.lines }
        }
        for f in chunkStart.indices {
            var running = 0
            for c in chunkStart[f].indices {
                let lines = chunkStart[f][c]
                chunkStart[f][c] = running
                running += lines
            }
            linesPerFile[f] = running
        }
        for (index, input) in inputs.enumerated() {
            let read = reads[index]
            report.inputs.append(InputReport(
                file: input.displayName, bytes: read.compressedBytes, decompressedBytes: read.decompressedBytes,
                gzip: read.isGzip, gzipMembers: read.gzipMembers, lines: linesPerFile[index],
                accepted: tallies.reduce(0) { $0 + $1.fileAccepted[index] },
                rejected: tallies.reduce(0) { $0 + $1.fileRejected[index] },
                blankLines: tallies.reduce(0) { $0 + $1.fileBlank[index] },
                error: read.openError, problem: read.openProblem, cut: read.cut, trailingBytesIgnored: read.trailingBytesIgnored,
                shape: read.shape?.name, oversizedValues: tallies.reduce(0) { $0 + $1.fileOversized[index] }))
        }
        let stride = schema.fieldSources.maxSourcesPerField
        report.fieldCounts = LogField.allCases.map { field in
            (0..<schema.fieldSources.sources[field.rawValue].count).map { source in
                tallies.reduce(0) { $0 + $1.fieldCounts[field.rawValue * stride + source] }
            }
        }
        var fileOrder: [String: Int] = [:]
        for (index, input) in inputs.enumerated() where fileOrder[input.displayName] == nil {
            fileOrder[input.displayName] = index
        }
        for (r, reason) in RejectReason.allCases.enumerated() {
            let total = tallies.reduce(0) { $0 + $1.rejected[r] }
            if total > 0 { report.rejectedByReason[reason] = total }
            let pending = tallies.flatMap { $0.samples[r] }.map { sample in
                RejectedSample(
                    file: inputs[sample.fileIndex].displayName,
                    line: chunkStart[sample.fileIndex][sample.chunk] + sample.lineInChunk,
                    reason: reason, byteOffset: sample.byteOffset, streamOffset: sample.streamOffset)
            }
            let ordered = pending.sorted {
                (fileOrder[$0.file] ?? 0, $0.line) < (fileOrder[$1.file] ?? 0, $1.line)
            }
            report.samples += ordered.prefix(options.samplesPerReason)
        }
        report.accepted = tallies.reduce(0) { $0 + $1.accepted }
        report.recordsWithPrompt = tallies.reduce(0) { $0 + $1.withPrompt }
        for field in LogField.allCases {
            let n = tallies.reduce(0) { $0 + $1.outOfRange[field.rawValue] }
            if n > 0 { report.outOfRangeValues[field] = n }
            let bad = tallies.reduce(0) { $0 + $1.invalid[field.rawValue] }
            if bad > 0 { report.invalidValues[field] = bad }
        }
        report.repairedStrings = tallies.reduce(0) { $0 + $1.repairedStrings }
        for tally in tallies { report.promptValues.merge(tally.promptValues) }
        report.commonestPromptRecords = PromptMajority.commonestCount([report.promptValues])
        let first = tallies.map(\.minTs).min() ?? .max
        let last = tallies.map(\.maxTs).max() ?? .min
        if report.accepted > 0 {
            report.firstTimestamp = first
            report.lastTimestamp = last
        }
        return report
    }
}

/// Seconds on a monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

import Foundation
