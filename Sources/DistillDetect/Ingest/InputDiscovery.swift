// Expands the PATH arguments of a command into the ordered list of inputs to read.
import Foundation

/// One input of a run: a file on disk or standard input.
public struct InputSource: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file(String)
        case standardInput
    }

    public let kind: Kind

    public static let standardInput = InputSource(kind: .standardInput)

    public static func file(_ path: String) -> InputSource { InputSource(kind: .file(path)) }

    /// The name used in reports and error messages.
    public var displayName: String {
        switch kind {
        case .file(let path): return path
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

    /// Files named explicitly are read whatever their name; directories are walked recursively
    /// and their log files read in path order, so runs are deterministic. A file reached twice
    /// (named and inside a named directory) is read once.
    public static func expand(_ paths: [String]) throws -> [InputSource] {
        guard !paths.isEmpty else { throw InputError.noInputs }
        var result: [InputSource] = []
        var seen = Set<String>()
        let fm = FileManager.default
        for path in paths {
            if path == "-" {
                if seen.insert("-").inserted { result.append(.standardInput) }
                continue
            }
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError.notFound(path)
            }
            if !isDirectory.boolValue {
                if seen.insert(path).inserted { result.append(.file(path)) }
                continue
            }
            var found: [String] = []
            if let walker = fm.enumerator(atPath: path) {
                while let relative = walker.nextObject() as? String {
                    let full = (path as NSString).appendingPathComponent(relative)
                    var sub: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue,
                        isLogFileName((relative as NSString).lastPathComponent)
                    {
                        found.append(full)
                    }
                }
            }
            guard !found.isEmpty else { throw InputError.emptyDirectory(path) }
            for file in found.sorted() where seen.insert(file).inserted {
                result.append(.file(file))
            }
        }
        return result
    }
}
