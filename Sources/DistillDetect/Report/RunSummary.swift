// The machine-readable facts of a run: the keys shared by `check --json` and summary.json.
import Foundation

public enum DistillDetectVersion {
    public static let current = "0.1.0"
}

/// A cut input as listed in `truncated_inputs`.
public struct TruncatedInput: Codable, Equatable, Sendable {
    public var file: String
    public var offset: Int
    public var kind: String
    public var detail: String
}

/// Exit codes (README, "Exit codes").
public enum RunExitCode: Int32, Sendable {
    case success = 0
    case failure = 1
    /// Outputs written but incomplete: the rejected-line share was above the limit, or an
    /// input was not read in full (`input_problems`).
    case rejectRateExceeded = 2
    /// `nightly --fail-on` matched.
    case alert = 3
    case usage = 64
}

public struct RunSummary: Codable, Sendable {
    public struct Options: Codable, Sendable {
        public var threads: Int
        public var lineLimit: Int
        public var maxRejectRate: Double
        public var fieldMap: [String]
        public var preset: String?

        enum CodingKeys: String, CodingKey {
            case threads, preset
            case lineLimit = "line_limit"
            case maxRejectRate = "max_reject_rate"
            case fieldMap = "field_map"
        }
    }

    public struct FieldUsage: Codable, Sendable, Equatable {
        /// Accepted records that had the field.
        public var records: Int
        /// Name (alias or mapped path) → records where the field was found under it.
        public var sources: [String: Int]
    }

    public var tool = "distill-detect"
    public var version = DistillDetectVersion.current
    public var command: String
    public var options: Options
    public var inputs: [InputReport]
    public var bytesRead: Int
    public var decompressedBytes: Int
    public var linesRead: Int
    public var blankLines: Int
    public var recordsAccepted: Int
    public var recordsRejected: Int
    public var rejectedShare: Double
    public var rejectedByReason: [String: Int]
    public var rejectedSamples: [RejectedSample]
    public var truncatedInputs: [TruncatedInput]
    public var unreadableInputs: [String]
    /// Every input not read in full (unreadable, skipped, unsupported compression, corrupt,
    /// cut short): the outputs are incomplete and the exit code is 2.
    public var inputProblems: [InputProblem]
    public var fields: [String: FieldUsage]
    public var recordsWithPrompt: Int
    /// Field name → accepted records whose value for it was out of range (clamped or ignored).
    public var outOfRangeValues: [String: Int]
    /// Field name → accepted records whose value for it could not be one (a JSON object
    /// encoded in a string where an id belongs) and was left out.
    public var invalidValues: [String: Int]
    /// Strings whose invalid UTF-8 bytes were read as U+FFFD; their records were kept.
    public var repairedStrings: Int
    /// String values over 64 KiB dropped from records over the line limit, the records kept
    /// (`oversized_value`; per input in `inputs[].oversized_values`).
    public var oversizedValues: Int
    /// Files found in directory walks and not read, with the reason (never skipped without a
    /// word); they do not change the exit code.
    public var skippedFiles: [SkippedFile] = []
    /// False when prompt text is absent, blank or one constant value (a redaction
    /// placeholder) on most records: content signals are then off and detection runs on
    /// metadata (`contentSignalsNote` says why).
    public var contentFeatures: Bool
    /// Why content signals are off or weak, when they are.
    public var contentSignalsNote: String?
    /// `check`: a preset that fits the shape of inputs whose required fields were missing.
    public var presetSuggestion: String?
    public var firstSeen: String?
    public var lastSeen: String?
    public var accountsSeen: Int
    public var seconds: Double
    public var megabytesPerSecond: Double
    /// Seconds spent in each stage, for commands with several.
    public var stageSeconds: [String: Double]
    public var exitCode: Int32
    /// `analyze` only: thresholds in force and what was found.
    public var detection: DetectionSummary?
    /// `nightly` only: state, window, inputs skipped, cluster changes.
    public var nightly: NightlySummary?
    /// `nightly` only: why the state could not be committed (the run then exits 1).
    public var stateError: String?

    enum CodingKeys: String, CodingKey {
        case tool, version, command, options, inputs, fields, seconds
        case bytesRead = "bytes_read"
        case decompressedBytes = "decompressed_bytes"
        case linesRead = "lines_read"
        case blankLines = "blank_lines"
        case recordsAccepted = "records_accepted"
        case recordsRejected = "records_rejected"
        case rejectedShare = "rejected_share"
        case rejectedByReason = "rejected_by_reason"
        case rejectedSamples = "rejected_samples"
        case truncatedInputs = "truncated_inputs"
        case unreadableInputs = "unreadable_inputs"
        case inputProblems = "input_problems"
        case recordsWithPrompt = "records_with_prompt"
        case outOfRangeValues = "out_of_range_values"
        case oversizedValues = "oversized_values"
        case skippedFiles = "skipped_files"
        case contentFeatures = "content_features"
        case contentSignalsNote = "content_signals_note"
        case presetSuggestion = "preset_suggestion"
        case invalidValues = "invalid_values"
        case repairedStrings = "repaired_strings"
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case accountsSeen = "accounts_seen"
        case megabytesPerSecond = "decompressed_mb_per_second"
        case stageSeconds = "stage_seconds"
        case exitCode = "exit_code"
        case detection, nightly
        case stateError = "state_error"
    }

    public init(
        command: String, report: ScanReport, options: ScanOptions, maxRejectRate: Double, accountsSeen: Int,
        stageSeconds: [String: Double] = [:]
    ) {
        self.command = command
        self.options = Options(
            threads: options.threads, lineLimit: options.lineLimit, maxRejectRate: maxRejectRate,
            fieldMap: options.fieldMappings.map(\.description), preset: options.preset?.rawValue)
        inputs = report.inputs
        bytesRead = report.compressedBytes
        decompressedBytes = report.decompressedBytes
        linesRead = report.lines
        blankLines = report.inputs.reduce(0) { $0 + $1.blankLines }
        recordsAccepted = report.accepted
        recordsRejected = report.rejected
        rejectedShare = report.rejectedShare
        rejectedByReason = Dictionary(uniqueKeysWithValues: report.rejectedByReason.map { ($0.key.rawValue, $0.value) })
        rejectedSamples = report.samples
        truncatedInputs = report.inputs.compactMap { input in
            input.cut.map { TruncatedInput(file: input.file, offset: $0.offset, kind: $0.kind, detail: $0.detail) }
        }
        unreadableInputs = report.inputs.compactMap { input in input.error.map { _ in input.file } }
        inputProblems = report.inputProblems
        let sources = FieldSources(mappings: options.fieldMappings)
        var fields: [String: FieldUsage] = [:]
        for field in LogField.allCases {
            let counts = report.fieldCounts.isEmpty ? [] : report.fieldCounts[field.rawValue]
            var bySource: [String: Int] = [:]
            for (priority, count) in counts.enumerated() where count > 0 {
                bySource[sources.sourceName(field, priority: priority)] = count
            }
            fields[field.canonicalName] = FieldUsage(records: counts.reduce(0, +), sources: bySource)
        }
        self.fields = fields
        recordsWithPrompt = report.recordsWithPrompt
        outOfRangeValues = Dictionary(uniqueKeysWithValues: report.outOfRangeValues.map { ($0.key.canonicalName, $0.value) })
        invalidValues = Dictionary(uniqueKeysWithValues: report.invalidValues.map { ($0.key.canonicalName, $0.value) })
        repairedStrings = report.repairedStrings
        contentSignalsNote = report.contentSignalsNote
        contentFeatures = report.contentSignalsOn
        oversizedValues = report.oversizedValues
        firstSeen = report.firstTimestamp.map { Timestamp.format(milliseconds: $0) }
        lastSeen = report.lastTimestamp.map { Timestamp.format(milliseconds: $0) }
        self.accountsSeen = accountsSeen
        seconds = report.seconds
        megabytesPerSecond = report.seconds > 0 ? Double(report.decompressedBytes) / 1e6 / report.seconds : 0
        self.stageSeconds = stageSeconds
        exitCode = RunSummary.exitCode(report: report, maxRejectRate: maxRejectRate).rawValue
    }

    /// 1 when no input could be read, 2 when the rejected share is above the limit or an
    /// input was not read in full (the outputs are incomplete).
    public static func exitCode(report: ScanReport, maxRejectRate: Double) -> RunExitCode {
        if report.readableInputs == 0 { return .failure }
        if report.rejectedShare > maxRejectRate || !report.inputProblems.isEmpty { return .rejectRateExceeded }
        return .success
    }

    /// Rows for report.html's facts: one per input not read in full.
    public var inputProblemFacts: [(String, String)] {
        inputProblems.map { ("Input not read in full", $0.message) }
    }

    public func jsonData() throws -> Data { try JSONOutput.encode(self) }
}

/// Deterministic, pretty JSON (sorted keys) for every JSON file and printout of the tool.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
