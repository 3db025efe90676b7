// `check`: read the logs as `analyze` would and say what the tool understood of them.
import DistillDetect
import DistillReport
import Foundation

public enum LogCheck {
    public static func run(paths: [String], options: ScanOptions, maxRejectRate: Double) throws -> RunSummary {
        let (inputs, skipped) = try InputDiscovery.discover(paths)
        let (report, accounts) = AccountCounter.scan(inputs, options: options)
        var summary = RunSummary(
            command: "check", report: report, options: options, maxRejectRate: maxRejectRate, accountsSeen: accounts)
        summary.skippedFiles = skipped
        summary.presetSuggestion = suggestPreset(inputs: inputs, report: report, options: options)
        return summary
    }

    /// When most records lack a required field and no preset was given, reads the start of
    /// the first such input and names the preset whose shape it has.
    static func suggestPreset(inputs: [InputSource], report: ScanReport, options: ScanOptions) -> String? {
        guard options.preset == nil else { return nil }
        let missing = (report.rejectedByReason[.missingAccountID] ?? 0) + (report.rejectedByReason[.missingTimestamp] ?? 0)
        guard missing > 0, missing * 2 >= report.lines else { return nil }
        for (index, input) in inputs.enumerated() where report.inputs[index].rejected > 0 {
            guard let reader = try? LogByteReader(source: input) else { continue }
            var bytes = [UInt8](repeating: 0, count: 1 << 18)
            var filled = 0
            while filled < bytes.count {
                let n = bytes.withUnsafeMutableBytes { reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
                if n == 0 { break }
                filled += n
            }
            guard let record = LogPreset.firstRecord(Array(bytes[0..<filled])), let preset = LogPreset.guess(record) else { continue }
            return "looks like \(preset.title): try --preset \(preset.rawValue)"
        }
        return nil
    }

    /// Skipped files listed in the text report; summary.json lists them all.
    static let skippedFilesShown = 20

    /// The human-readable report printed by `check`.
    public static func render(_ s: RunSummary) -> String {
        var out: [String] = []
        func n(_ v: Int) -> String { v.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }
        func pct(_ part: Int, _ whole: Int) -> String {
            whole == 0 ? "0%" : String(format: "%.2f%%", 100 * Double(part) / Double(whole))
        }
        let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1e6) }
        out.append(
            "\(s.inputs.count) input(s), \(mb(s.bytesRead)) read, \(mb(s.decompressedBytes)) decompressed, "
                + String(format: "%.2f s (%.0f MB/s)", s.seconds, s.megabytesPerSecond))
        out.append(
            "records: \(n(s.recordsAccepted)) accepted, \(n(s.recordsRejected)) rejected "
                + "(\(pct(s.recordsRejected, s.linesRead)) of \(n(s.linesRead)) lines), \(n(s.blankLines)) blank lines skipped")
        if !s.rejectedByReason.isEmpty {
            out.append("rejected by reason:")
            for (reason, count) in s.rejectedByReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                let explanation = RejectReason(rawValue: reason)?.explanation ?? ""
                out.append("  \(reason.padding(toLength: 20, withPad: " ", startingAt: 0)) \(n(count).leftPadded(10))  \(explanation)")
                for sample in s.rejectedSamples where sample.reason.rawValue == reason {
                    let at = sample.byteOffset.map { ", byte \($0)" } ?? ""
                    if let offset = sample.streamOffset {
                        // A framed input: the line is a record number.
                        out.append("      e.g. \(sample.file): record \(sample.line) at decompressed byte \(offset)\(at)")
                    } else {
                        out.append("      e.g. \(sample.file):\(sample.line)\(at)")
                    }
                }
            }
        }
        for problem in s.inputProblems {
            out.append("input not read in full: \(problem.message)")
        }
        for (field, count) in s.outOfRangeValues.sorted(by: { $0.key < $1.key }) {
            let what = field == LogField.accountCreated.canonicalName ? "ignored (before 2000 or after tomorrow)" : "clamped to 2^40 (or left out: negative, or beyond 64 bits)"
            out.append("values out of range: \(field) in \(n(count)) record(s), \(what)")
        }
        if s.oversizedValues > 0 {
            out.append(
                "oversized_value: \(n(s.oversizedValues)) string value(s) over \(OversizedValueCompactor.valueThreshold >> 10) KiB "
                    + "dropped from lines over the line limit; the rest of those records kept")
        }
        for input in s.inputs where input.trailingBytesIgnored > 0 {
            out.append("note: \(input.file): \(n(input.trailingBytesIgnored)) bytes after the last gzip member ignored")
        }
        if let first = s.firstSeen, let last = s.lastSeen {
            out.append("time range: \(first) … \(last)")
        }
        out.append("accounts seen: \(n(s.accountsSeen))")
        out.append("fields found (share of accepted records, and under which names):")
        for field in LogField.allCases {
            guard let usage = s.fields[field.canonicalName] else { continue }
            let names = usage.sources.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \(n($0.value))" }.joined(separator: ", ")
            let share = pct(usage.records, s.recordsAccepted)
            out.append("  \(field.canonicalName.padding(toLength: 20, withPad: " ", startingAt: 0)) \(share.leftPadded(8))  \(names)")
        }
        for (field, count) in s.invalidValues.sorted(by: { $0.key < $1.key }) {
            out.append("values left out: \(field) in \(n(count)) record(s) held a JSON object or array, not an id")
        }
        if s.repairedStrings > 0 {
            out.append("invalid UTF-8: \(n(s.repairedStrings)) string(s) had bytes replaced by U+FFFD (records kept)")
        }
        out.append("prompt text: \(pct(s.recordsWithPrompt, s.recordsAccepted)) of records")
        if let note = s.contentSignalsNote {
            out.append("WARNING: \(note)")
        }
        if let suggestion = s.presetSuggestion {
            out.append("HINT: \(suggestion)")
        }
        out.append(s.inputs.count > 1 ? "inputs:" : "input:")
        for input in s.inputs {
            let kind = input.gzip ? "gzip, \(input.gzipMembers) member(s)" : "plain"
            let unit = input.shape == nil || input.shape == InputShape.jsonLines.name ? "lines" : "records"
            let shape = input.shape.map { "\($0), " } ?? ""
            out.append(
                "  \(input.file): \(shape)\(mb(input.bytes)), \(n(input.lines)) \(unit), \(n(input.rejected)) rejected, \(kind)")
        }
        if !s.skippedFiles.isEmpty {
            out.append("skipped in directories (not read): \(n(s.skippedFiles.count)) file(s)")
            for file in s.skippedFiles.prefix(skippedFilesShown) {
                out.append("  \(file.file): \(file.reason)")
            }
            if s.skippedFiles.count > skippedFilesShown {
                out.append("  … and \(n(s.skippedFiles.count - skippedFilesShown)) more (all in --json)")
            }
        }
        switch s.exitCode {
        case RunExitCode.rejectRateExceeded.rawValue where !s.inputProblems.isEmpty:
            out.append("FAIL: \(s.inputProblems.count) input(s) not read in full (exit 2)")
        case RunExitCode.rejectRateExceeded.rawValue:
            out.append(
                "FAIL: rejected share \(pct(s.recordsRejected, s.linesRead)) is above --max-reject-rate "
                    + "\(s.options.maxRejectRate) (exit 2): has the log format changed?")
        case RunExitCode.failure.rawValue:
            out.append("FAIL: no input could be read (exit 1)")
        default:
            break
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
