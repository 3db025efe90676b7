// Expands the PATH arguments of a command into the ordered list of inputs to read.
import Foundation

/// One input of a run: a file on disk or standard input.
public struct InputSource: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file(String)
        case standardInput
        /// Found but never opened (a FIFO, socket or device in a directory, an empty
        /// directory): reported with the reason, like an unreadable input.
        case skipped(String, reason: String)
    }

    public let kind: Kind

    package init(kind: Kind) { self.kind = kind }

    public static let standardInput = InputSource(kind: .standardInput)

    public static func file(_ path: String) -> InputSource { InputSource(kind: .file(path)) }

    public static func skipped(_ path: String, reason: String) -> InputSource { InputSource(kind: .skipped(path, reason: reason)) }

    /// The name used in reports and error messages.
    public var displayName: String {
        switch kind {
        case .file(let path), .skipped(let path, _): return path
        case .standardInput: return "-"
        }
    }
}

/// Errors found before any byte is read.
public enum InputError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case emptyDirectory(String)
    case noInputs
    /// The command reads files only (e.g. `nightly`, which remembers inputs by content).
    case standardInputNotAllowed(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file or directory"
        case .emptyDirectory(let path):
            return "\(path): directory holds no log files (*.jsonl, *.json, *.ndjson, *.log, optionally .gz)"
        case .noInputs: return "no input paths given"
        case .standardInputNotAllowed(let command): return "\(command) reads files only, not standard input (an input is remembered by its content)"
        }
    }
}

/// A file a directory walk did not read, and why (listed by `check` and in summary.json's
/// `skipped_files`; a skipped file is not an input problem and does not change the exit code).
public struct SkippedFile: Sendable, Codable, Equatable {
    public var file: String
    public var reason: String
}

public enum InputDiscovery {
    /// Endings of files read from a directory; each may also end in `.gz`.
    public static let logExtensions = [".jsonl", ".json", ".ndjson", ".log"]

    /// True when a file found inside a directory should be read.
    public static func isLogFileName(_ name: String) -> Bool {
        var base = name.lowercased()
        if base.hasSuffix(".gz") { base.removeLast(3) }
        return logExtensions.contains { base.hasSuffix($0) }
    }

    /// The inputs of `discover`, without the files the walks skipped.
    public static func expand(_ paths: [String]) throws -> [InputSource] { try discover(paths).inputs }

    /// Files named explicitly are read whatever their name (a FIFO too: `<(zcat ...)` is one);
    /// directories are walked recursively and their regular log files read in path order, so
    /// runs are deterministic. A log file is one with a log name (`isLogFileName`) or, whatever
    /// its name (S3 and Firehose objects have none), one whose content looks like a log
    /// (`contentSkipReason`); every other file of a walk is returned in `skipped` with the
    /// reason, in path order. Inside a directory, a log-named entry that is not a regular file
    /// (FIFO, socket, device) is listed as a skipped input and never opened, so it cannot hang
    /// the run; a broken symlink is listed and fails to open. A path that does not exist is
    /// listed too (its open fails and is reported), so one bad path never stops the others. A
    /// file reached twice (named and inside a named directory) is read once.
    public static func discover(_ paths: [String]) throws -> (inputs: [InputSource], skipped: [SkippedFile]) {
        guard !paths.isEmpty else { throw InputError.noInputs }
        var skipped: [SkippedFile] = []
        var result: [InputSource] = []
        var seen = Set<String>()
        for path in paths {
            if path == "-" {
                if seen.insert("-").inserted { result.append(.standardInput) }
                continue
            }
            guard FileKind.of(path, followingLinks: true) == .directory else {
                if seen.insert(path).inserted { result.append(.file(path)) }
                continue
            }
            var found: [InputSource] = []
            if let walker = FileManager.default.enumerator(atPath: path) {
                while let relative = walker.nextObject() as? String {
                    let full = (path as NSString).appendingPathComponent(relative)
                    let kind = FileKind.of(full, followingLinks: true)
                    if kind == .directory { continue }
                    guard isLogFileName((relative as NSString).lastPathComponent) else {
                        switch kind {
                        case .regular:
                            if let reason = contentSkipReason(full) {
                                skipped.append(SkippedFile(file: full, reason: reason))
                            } else {
                                found.append(.file(full))
                            }
                        case .missing: skipped.append(SkippedFile(file: full, reason: "broken symbolic link"))
                        case .other(let kind): skipped.append(SkippedFile(file: full, reason: "not a regular file (\(kind))"))
                        case .directory: break
                        }
                        continue
                    }
                    switch kind {
                    case .regular, .missing: found.append(.file(full))  // missing: a broken symlink
                    case .directory: continue
                    case .other(let kind): found.append(.skipped(full, reason: "not a regular file (\(kind))"))
                    }
                }
            }
            if found.isEmpty {
                found = [.skipped(path, reason: "directory holds no log files (*.jsonl, *.json, *.ndjson, *.log, optionally .gz, or JSON content)")]
            }
            for input in found.sorted(by: { $0.displayName < $1.displayName }) where seen.insert(input.displayName).inserted {
                result.append(input)
            }
        }
        return (result, skipped.sorted { $0.file < $1.file })
    }

    /// Decompressed bytes looked at to tell a log from another file.
    static let sniffBytes = 4096

    /// Nil when a file without a log name still holds a log: after gzip (any name) and
    /// leading whitespace, its first byte is `{` or `[`, or it starts with a CloudWatch export
    /// line (`<timestamp> {`). Otherwise the reason it is not read.
    public static func contentSkipReason(_ path: String) -> String? {
        let reader: LogByteReader
        do {
            reader = try LogByteReader(source: .file(path))
        } catch {
            return "no log name, and its content could not be read: \(error)"
        }
        var buffer = [UInt8](repeating: 0, count: sniffBytes)
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
            if n == 0 { break }
            count += n
        }
        guard count > 0 else { return "empty file with no log name" }
        var i = count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
        while i < count && isJSONWhitespace(buffer[i]) { i += 1 }
        guard i < count else { return "blank file with no log name" }
        if buffer[i] == UInt8(ascii: "{") || buffer[i] == UInt8(ascii: "[") { return nil }
        let isExport = buffer.withUnsafeBytes { InputShape.exportPrefixLength($0, from: i, count: count) != nil }
        if isExport { return nil }
        let what = reader.isGzip ? "gzip content" : "content"
        return "no log name (*.jsonl, *.json, *.ndjson, *.log, optionally .gz), and its \(what) is not JSON "
            + "(first byte 0x\(String(buffer[i], radix: 16)))"
    }
}
