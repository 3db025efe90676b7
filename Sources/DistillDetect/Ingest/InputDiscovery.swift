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

public enum InputDiscovery {
    /// Endings of files read from a directory; each may also end in `.gz`.
    public static let logExtensions = [".jsonl", ".json", ".ndjson", ".log"]

    /// True when a file found inside a directory should be read.
    public static func isLogFileName(_ name: String) -> Bool {
        var base = name.lowercased()
        if base.hasSuffix(".gz") { base.removeLast(3) }
        return logExtensions.contains { base.hasSuffix($0) }
    }

    /// Files named explicitly are read whatever their name (a FIFO too: `<(zcat ...)` is one);
    /// directories are walked recursively and their regular log files read in path order, so
    /// runs are deterministic. Inside a directory, anything that is not a regular file (FIFO,
    /// socket, device) is listed as skipped and never opened, so it cannot hang the run; a
    /// broken symlink is listed and fails to open. A path that does not exist is listed too
    /// (its open fails and is reported), so one bad path never stops the others. A file
    /// reached twice (named and inside a named directory) is read once.
    public static func expand(_ paths: [String]) throws -> [InputSource] {
        guard !paths.isEmpty else { throw InputError.noInputs }
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
                    guard isLogFileName((relative as NSString).lastPathComponent) else { continue }
                    switch FileKind.of(full, followingLinks: true) {
                    case .regular, .missing: found.append(.file(full))  // missing: a broken symlink
                    case .directory: continue
                    case .other(let kind): found.append(.skipped(full, reason: "not a regular file (\(kind))"))
                    }
                }
            }
            if found.isEmpty {
                found = [.skipped(path, reason: "directory holds no log files (*.jsonl, *.json, *.ndjson, *.log, optionally .gz)")]
            }
            for input in found.sorted(by: { $0.displayName < $1.displayName }) where seen.insert(input.displayName).inserted {
                result.append(input)
            }
        }
        return result
    }
}

/// What a path is, by stat(2).
enum FileKind: Equatable {
    case regular, directory, missing
    case other(String)

    static func of(_ path: String, followingLinks: Bool) -> FileKind {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFIFO: return .other("FIFO")
        case S_IFSOCK: return .other("socket")
        case S_IFCHR: return .other("character device")
        case S_IFBLK: return .other("block device")
        default: return .other("special file")
        }
    }
}
