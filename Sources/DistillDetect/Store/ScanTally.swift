// What a scan learned about its inputs, in the mergeable form a state file carries, so that
// detection from saved state (`detect`) decides as `analyze` does (content signals off when a
// placeholder fills most records) and reports the same record counts. A monoid: `merge` sums
// counts, takes the earliest and latest times and keeps inputs and samples in a fixed order,
// so the result does not depend on how the logs were split or in which order parts merge.
import Foundation

public struct ScanTally: Sendable, Equatable {
    /// Every input read, sorted by name (then by size, records and the rest of the report).
    public var inputs: [InputReport] = []
    public var accepted = 0
    public var rejectedByReason: [RejectReason: Int] = [:]
    /// Up to `ScanOptions.samplesPerReason` per reason, sorted by (file, line).
    public var samples: [RejectedSample] = []
    /// `ScanReport.fieldCounts`: fieldCounts[field][source], summed (each row as wide as its widest).
    public var fieldCounts: [[Int]] = []
    public var recordsWithPrompt = 0
    public var outOfRangeValues: [LogField: Int] = [:]
    public var invalidValues: [LogField: Int] = [:]
    public var repairedStrings = 0
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    var promptValues = PromptMajority()

    /// Rejected samples kept per reason, as a scan keeps them by default.
    public static let samplesPerReason = ScanOptions().samplesPerReason

    public init() {}

    public init(_ report: ScanReport) {
        inputs = report.inputs.sorted(by: Self.inputOrder)
        accepted = report.accepted
        rejectedByReason = report.rejectedByReason
        samples = Self.sampleCut(report.samples)
        fieldCounts = report.fieldCounts
        recordsWithPrompt = report.recordsWithPrompt
        outOfRangeValues = report.outOfRangeValues
        invalidValues = report.invalidValues
        repairedStrings = report.repairedStrings
        firstTimestamp = report.firstTimestamp
        lastTimestamp = report.lastTimestamp
        promptValues = report.promptValues
    }

    /// The scan report of the union of the tallied scans (`seconds` 0: not a scan of its own).
    public var report: ScanReport {
        var r = ScanReport()
        r.inputs = inputs
        r.accepted = accepted
        r.rejectedByReason = rejectedByReason
        r.samples = samples
        r.fieldCounts = fieldCounts
        r.recordsWithPrompt = recordsWithPrompt
        r.outOfRangeValues = outOfRangeValues
        r.invalidValues = invalidValues
        r.repairedStrings = repairedStrings
        r.firstTimestamp = firstTimestamp
        r.lastTimestamp = lastTimestamp
        r.promptValues = promptValues
        r.commonestPromptRecords = PromptMajority.commonestCount([promptValues])
        return r
    }

    /// Adds another scan's tally: exact and order-free.
    public mutating func merge(_ other: ScanTally) {
        inputs = (inputs + other.inputs).sorted(by: Self.inputOrder)
        accepted += other.accepted
        rejectedByReason.merge(other.rejectedByReason, uniquingKeysWith: +)
        samples = Self.sampleCut(samples + other.samples)
        let rows = max(fieldCounts.count, other.fieldCounts.count)
        fieldCounts = (0..<rows).map { f in
            let width = max(f < fieldCounts.count ? fieldCounts[f].count : 0, f < other.fieldCounts.count ? other.fieldCounts[f].count : 0)
            return (0..<width).map { s in Self.cell(fieldCounts, f, s) + Self.cell(other.fieldCounts, f, s) }
        }
        recordsWithPrompt += other.recordsWithPrompt
        outOfRangeValues.merge(other.outOfRangeValues, uniquingKeysWith: +)
        invalidValues.merge(other.invalidValues, uniquingKeysWith: +)
        repairedStrings += other.repairedStrings
        if let t = other.firstTimestamp { firstTimestamp = min(firstTimestamp ?? t, t) }
        if let t = other.lastTimestamp { lastTimestamp = max(lastTimestamp ?? t, t) }
        promptValues.merge(other.promptValues)
    }

    public static func == (a: ScanTally, b: ScanTally) -> Bool {
        a.inputs == b.inputs && a.accepted == b.accepted && a.rejectedByReason == b.rejectedByReason && a.samples == b.samples
            && a.fieldCounts == b.fieldCounts && a.recordsWithPrompt == b.recordsWithPrompt
            && a.outOfRangeValues == b.outOfRangeValues && a.invalidValues == b.invalidValues
            && a.repairedStrings == b.repairedStrings && a.firstTimestamp == b.firstTimestamp
            && a.lastTimestamp == b.lastTimestamp && a.promptValues.serialized == b.promptValues.serialized
    }

    private static func cell(_ counts: [[Int]], _ f: Int, _ s: Int) -> Int {
        f < counts.count && s < counts[f].count ? counts[f][s] : 0
    }

    /// A total order on input reports, so merged lists do not depend on merge order.
    static func inputOrder(_ a: InputReport, _ b: InputReport) -> Bool {
        if (a.file, a.bytes, a.decompressedBytes, a.lines) != (b.file, b.bytes, b.decompressedBytes, b.lines) {
            return (a.file, a.bytes, a.decompressedBytes, a.lines) < (b.file, b.bytes, b.decompressedBytes, b.lines)
        }
        return (a.accepted, a.rejected, a.blankLines, a.error ?? "") < (b.accepted, b.rejected, b.blankLines, b.error ?? "")
    }

    /// The first `samplesPerReason` samples of each reason by (file, line, offsets), reasons in order.
    static func sampleCut(_ samples: [RejectedSample]) -> [RejectedSample] {
        let ordered = samples.sorted {
            ($0.reason.rawValue, $0.file, $0.line, $0.byteOffset ?? -1, $0.streamOffset ?? -1)
                < ($1.reason.rawValue, $1.file, $1.line, $1.byteOffset ?? -1, $1.streamOffset ?? -1)
        }
        var kept: [RejectedSample] = []
        var perReason: [RejectReason: Int] = [:]
        for s in ordered where perReason[s.reason, default: 0] < samplesPerReason {
            perReason[s.reason, default: 0] += 1
            kept.append(s)
        }
        // Within a reason by file and line, reasons in declaration order, as a scan lists them.
        let rank = Dictionary(uniqueKeysWithValues: RejectReason.allCases.enumerated().map { ($1, $0) })
        return kept.sorted {
            (rank[$0.reason]!, $0.file, $0.line, $0.byteOffset ?? -1, $0.streamOffset ?? -1)
                < (rank[$1.reason]!, $1.file, $1.line, $1.byteOffset ?? -1, $1.streamOffset ?? -1)
        }
    }
}

// MARK: In state files

extension ScanTally {
    /// The Codable part, written as JSON (sorted keys) inside the binary state file.
    private struct Stored: Codable {
        var inputs: [InputReport]
        var accepted: Int
        var rejectedByReason: [String: Int]
        var samples: [RejectedSample]
        var fieldCounts: [[Int]]
        var recordsWithPrompt: Int
        var outOfRangeValues: [String: Int]
        var invalidValues: [String: Int]
        var repairedStrings: Int
        var firstTimestamp: Int64?
        var lastTimestamp: Int64?
    }

    func encode(_ w: inout ByteWriter) {
        let stored = Stored(
            inputs: inputs, accepted: accepted,
            rejectedByReason: Dictionary(uniqueKeysWithValues: rejectedByReason.map { ($0.key.rawValue, $0.value) }),
            samples: samples, fieldCounts: fieldCounts, recordsWithPrompt: recordsWithPrompt,
            outOfRangeValues: Dictionary(uniqueKeysWithValues: outOfRangeValues.map { (String($0.key.rawValue), $0.value) }),
            invalidValues: Dictionary(uniqueKeysWithValues: invalidValues.map { (String($0.key.rawValue), $0.value) }),
            repairedStrings: repairedStrings, firstTimestamp: firstTimestamp, lastTimestamp: lastTimestamp)
        // Cannot fail: integers and strings only (no floating-point value to refuse).
        w.string(String(decoding: (try? JSONOutput.encode(stored)) ?? Data(), as: UTF8.self))
        let values = promptValues.serialized
        w.u64(values[0])
        for v in values[1..<33] { w.u64(v) }
        for v in values[33...] { w.u32(UInt32(truncatingIfNeeded: v)) }
    }

    static func decode(_ r: inout ByteReader) throws -> ScanTally {
        let text = try r.string()
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: Data(text.utf8))
        } catch {
            throw r.corrupt("unreadable scan tally: \(error)")
        }
        var t = ScanTally()
        t.inputs = stored.inputs
        t.accepted = stored.accepted
        for (key, n) in stored.rejectedByReason {
            guard let reason = RejectReason(rawValue: key) else { throw r.corrupt("unknown reject reason \(key)") }
            t.rejectedByReason[reason] = n
        }
        t.samples = stored.samples
        t.fieldCounts = stored.fieldCounts
        t.recordsWithPrompt = stored.recordsWithPrompt
        func fields(_ d: [String: Int]) throws -> [LogField: Int] {
            var out: [LogField: Int] = [:]
            for (key, n) in d {
                guard let raw = Int(key), let field = LogField(rawValue: raw) else { throw r.corrupt("unknown field \(key)") }
                out[field] = n
            }
            return out
        }
        t.outOfRangeValues = try fields(stored.outOfRangeValues)
        t.invalidValues = try fields(stored.invalidValues)
        t.repairedStrings = stored.repairedStrings
        t.firstTimestamp = stored.firstTimestamp
        t.lastTimestamp = stored.lastTimestamp
        var values = [try r.u64()]
        for _ in 0..<32 { values.append(try r.u64()) }
        for _ in 0..<(PromptMajority.rows * PromptMajority.width) { values.append(UInt64(try r.u32())) }
        t.promptValues = PromptMajority(serialized: values)!
        return t
    }
}
