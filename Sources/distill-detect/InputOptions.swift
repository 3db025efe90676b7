import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport
import Foundation

/// Options shared by every command that reads logs.
struct InputOptions: ParsableArguments {
    @Argument(help: "Log files, directories (read recursively: *.jsonl, *.json, *.ndjson, *.log, optionally .gz, and files without those names whose content looks like a log; the rest is listed as skipped), or - for standard input.")
    var paths: [String] = []

    @Option(name: .customLong("field-map"), help: ArgumentHelp(
        "Read FIELD from a dotted JSON path, tried before the field's usual names (repeatable).",
        valueName: "FIELD=PATH"))
    var fieldMap: [String] = []

    @Option(help: ArgumentHelp(
        "Read a known log shape without field maps: \(LogPreset.allCases.map(\.rawValue).joined(separator: ", ")) (README.md shows a record of each). --field-map paths are tried first.",
        valueName: "NAME"))
    var preset: LogPreset?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("max-reject-rate"), help: "Rejected-line share above which the exit code is 2.")
    var maxRejectRate: Double = 0.01

    @Option(name: .customLong("line-limit"), help: "Longest accepted line, in bytes (64 to 1073741824).")
    var lineLimit: Int = 1 << 20

    @Flag(help: "No progress line (shown on standard error only when it is a terminal).")
    var quiet = false

    var showsProgress: Bool { !quiet && isatty(2) == 1 }

    /// Clears the progress line before other output.
    func clearProgress() {
        if showsProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    func validate() throws {
        // `features` may run on saved state alone; it checks for PATHs itself.
        guard (threads ?? 1) >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0...1).contains(maxRejectRate) else { throw ValidationError("--max-reject-rate must be between 0 and 1") }
        guard lineLimit >= 64 else { throw ValidationError("--line-limit must be at least 64 bytes") }
        guard lineLimit <= ScanOptions.maxLineLimit else {
            throw ValidationError("--line-limit must be at most \(ScanOptions.maxLineLimit) bytes (1 GiB)")
        }
        for mapping in fieldMap {
            do { _ = try FieldMapping(parsing: mapping) } catch { throw ValidationError(error.description) }
        }
    }

    func scanOptions() throws -> ScanOptions {
        var options = ScanOptions()
        options.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        options.lineLimit = lineLimit
        options.fieldMappings = try fieldMap.map { try FieldMapping(parsing: $0) } + (preset?.mappings ?? [])
        options.preset = preset
        if showsProgress { options.progress = printProgress }
        let clear = showsProgress
        options.inputProblemHandler = { problem in
            FileHandle.standardError.write(Data("\(clear ? "\r\u{1B}[K" : "")distill-detect: warning: \(problem.message)\n".utf8))
        }
        return options
    }
}

extension LogPreset: ExpressibleByArgument {}

/// Prints an error the way ArgumentParser does and exits with `code`.
func fail(_ message: String, code: RunExitCode = .failure) -> ExitCode {
    FileHandle.standardError.write(Data("distill-detect: \(message)\n".utf8))
    return ExitCode(code.rawValue)
}

/// Runs the engine; any error it throws becomes the tool's one-line message and exit code 1.
func orFail<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw fail("\(error)") }
}

/// Ends the process once all output is written, skipping deallocation of large in-memory state.
func exitNow(_ code: RunExitCode) -> Never {
    fflush(nil)  // all C streams
    exit(code.rawValue)
}

/// The progress line on standard error: `\r`-rewritten, so it stays one line.
@Sendable func printProgress(_ p: ScanProgress) {
    let share = p.compressedBytesTotal > 0 ? String(format: "%3.0f%% of input, ", 100 * Double(p.compressedBytesRead) / Double(p.compressedBytesTotal)) : ""
    let line = String(format: "\rreading: %@%.0f MB decompressed, %.0f MB/s   ", share, Double(p.decompressedBytes) / 1e6,
                      Double(p.decompressedBytes) / 1e6 / max(p.seconds, 0.001))
    FileHandle.standardError.write(Data(line.utf8))
}
