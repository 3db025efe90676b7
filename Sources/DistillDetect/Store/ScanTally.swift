// What a scan learned about its inputs, in the mergeable form a state file carries, so that
// detection from saved state (`detect`) decides as `analyze` does (content signals off when a
// placeholder fills most records) and reports the same record counts. A monoid: `merge` sums
// counts, takes the earliest and latest times and keeps inputs and samples in a fixed order,
// so the result does not depend on how the logs were split or in which order parts merge.
import Foundation

public struct ScanTally: Sendable, Equatable {
    /// The report of the union of the tallied scans, in canonical form: inputs sorted by name
    /// (then by size, records and the rest of the report), up to `samplesPerReason` samples per
    /// reason sorted by (file, line), `seconds` 0 (not a scan of its own) and
    /// `commonestPromptRecords` counted over the union.
    public private(set) var report = ScanReport()

    /// Rejected samples kept per reason, as a scan keeps them by default.
    public static let samplesPerReason = ScanOptions().samplesPerReason

    public init() {}

    public init(_ report: ScanReport) {
        self.report = report
        canonicalize()
    }

    private mutating func canonicalize() {
        report.inputs.sort(by: Self.inputOrder)
        report.samples = Self.sampleCut(report.samples)
        report.seconds = 0
        report.commonestPromptRecords = PromptMajority.commonestCount([report.promptValues])
    }

    /// Adds another scan's tally: exact and order-free.
    public mutating func merge(_ other: ScanTally) {
        let o = other.report
        report.inputs += o.inputs
        report.accepted += o.accepted
        report.rejectedByReason.merge(o.rejectedByReason, uniquingKeysWith: +)
        report.samples += o.samples
        let mine = report.fieldCounts
        let rows = max(mine.count, o.fieldCounts.count)
        report.fieldCounts = (0..<rows).map { f in
            let width = max(f < mine.count ? mine[f].count : 0, f < o.fieldCounts.count ? o.fieldCounts[f].count : 0)
            return (0..<width).map { s in Self.cell(mine, f, s) + Self.cell(o.fieldCounts, f, s) }
        }
        report.recordsWithPrompt += o.recordsWithPrompt
        report.outOfRangeValues.merge(o.outOfRangeValues, uniquingKeysWith: +)
        report.invalidValues.merge(o.invalidValues, uniquingKeysWith: +)
        report.repairedStrings += o.repairedStrings
        if let t = o.firstTimestamp { report.firstTimestamp = min(report.firstTimestamp ?? t, t) }
        if let t = o.lastTimestamp { report.lastTimestamp = max(report.lastTimestamp ?? t, t) }
        report.promptValues.merge(o.promptValues)
        canonicalize()
    }

    /// Equal when they are stored alike (the stored form holds every tallied figure).
    public static func == (a: ScanTally, b: ScanTally) -> Bool {
        var wa = ByteWriter()
        var wb = ByteWriter()
        a.encode(&wa)
        b.encode(&wb)
        return wa.bytes == wb.bytes
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
        let report = self.report
        let stored = Stored(
            inputs: report.inputs, accepted: report.accepted,
            rejectedByReason: Dictionary(uniqueKeysWithValues: report.rejectedByReason.map { ($0.key.rawValue, $0.value) }),
            samples: report.samples, fieldCounts: report.fieldCounts, recordsWithPrompt: report.recordsWithPrompt,
            outOfRangeValues: Dictionary(uniqueKeysWithValues: report.outOfRangeValues.map { (String($0.key.rawValue), $0.value) }),
            invalidValues: Dictionary(uniqueKeysWithValues: report.invalidValues.map { (String($0.key.rawValue), $0.value) }),
            repairedStrings: report.repairedStrings, firstTimestamp: report.firstTimestamp, lastTimestamp: report.lastTimestamp)
        // Cannot fail: integers and strings only (no floating-point value to refuse).
        w.string(String(decoding: (try? JSONOutput.encode(stored)) ?? Data(), as: UTF8.self))
        let values = report.promptValues.serialized
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
        var t = ScanReport()
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
        return ScanTally(t)
    }
}
