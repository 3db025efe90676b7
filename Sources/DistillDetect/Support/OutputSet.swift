// The files of one run (`analyze`, `nightly`) replace the previous run's files as a whole or
// not at all. They are written into a fresh sibling directory, `.NAME.tmp-PID-N`, which is
// then swapped with NAME in one atomic rename (renameat2 RENAME_EXCHANGE; where the file
// system cannot, two renames, recovered by the next run if it dies between them). A run
// killed or failing before the swap leaves the previous set untouched; its staging directory
// is removed by the next run once its process is gone.
import CSupport
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum OutputSetError: Error, CustomStringConvertible, Equatable {
    case foreignFiles(directory: String, names: [String])
    /// `--out` names something that is not a directory (a log, the state file, a FIFO).
    case notADirectory(path: String, kind: String)
    case unreadable(directory: String, reason: String)

    public var description: String {
        switch self {
        case .notADirectory(let path, let kind):
            return "\(path): is \(kind), not a directory; --out names the directory a run's outputs replace as a whole, so it must be a directory of its own or not exist yet"
        case .unreadable(let directory, let reason):
            return "\(directory): cannot list the output directory (\(reason)); a run replaces it as a whole only when it can see that it holds nothing else"
        case .foreignFiles(let directory, let names):
            return "\(directory): holds files distill-detect did not write (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")); "
                + "a run replaces its output directory as a whole, so give --out a directory of its own"
        }
    }
}

package final class OutputSet {
    /// Every file a run may write into its directory; anything else there is not ours.
    static let knownNames: Set<String> = [
        "clusters.csv", "accounts.csv", "candidates.csv", "summary.json", "report.html", "clusters.json", "accounts.json", "changes.csv",
    ]

    /// Where the run's files go until `commit`.
    package let staging: String
    let directory: String
    private let parent: String
    private let name: String
    private var committed = false
    private static let counter = Counter()

    /// Removes the leftovers of dead runs next to `directory`, refuses a directory holding
    /// files that are not outputs, and creates the staging directory.
    package init(directory: String) throws {
        let trimmed = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        // A symlinked output directory: its target is what gets replaced (the link stays).
        let url = URL(fileURLWithPath: trimmed).standardizedFileURL.resolvingSymlinksInPath()
        parent = url.deletingLastPathComponent().path
        name = url.lastPathComponent
        let target = url.path
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError.cannotWrite(path: trimmed, reason: error.localizedDescription)
        }
        self.directory = target
        Self.removeDeadLeftovers(parent: parent, name: name, directory: target)
        // Only a directory of our own, or nothing yet, may be replaced: never a file (a log, the
        // state database) named by mistake, nor a directory whose contents cannot be seen.
        switch FileKind.of(target, followingLinks: false) {
        case .missing:
            break
        case .regular:
            throw OutputSetError.notADirectory(path: trimmed, kind: "a file")
        case .other(let kind):
            throw OutputSetError.notADirectory(path: trimmed, kind: "a \(kind)")
        case .directory:
            let entries: [String]
            do {
                entries = try fm.contentsOfDirectory(atPath: target)
            } catch {
                throw OutputSetError.unreadable(directory: trimmed, reason: error.localizedDescription)
            }
            let foreign = entries.filter { !Self.knownNames.contains($0) && !Self.isTemporaryFile($0) }.sorted()
            guard foreign.isEmpty else { throw OutputSetError.foreignFiles(directory: trimmed, names: foreign) }
        }
        staging = (parent as NSString).appendingPathComponent(".\(name).tmp-\(getpid())-\(Self.counter.next())")
        guard mkdir(staging, 0o755) == 0 else {
            throw OutputError.cannotWrite(path: staging, reason: systemErrorText(errno))
        }
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(atPath: staging) }
    }

    /// Puts the staged files in place of the previous set, in one step.
    package func commit() throws {
        let fm = FileManager.default
        // The new set takes the old directory's permissions.
        if let mode = (try? fm.attributesOfItem(atPath: directory))?[.posixPermissions] as? Int {
            chmod(staging, mode_t(mode))
        }
        if FileKind.of(directory, followingLinks: false) == .missing {
            guard rename(staging, directory) == 0 else { throw OutputError.cannotWrite(path: directory, reason: systemErrorText(errno)) }
        } else if dd_rename_exchange(staging, directory) == 0 {
            // `staging` now holds the previous set.
        } else {
            // No atomic exchange here: old aside, new in; a death in between is recovered by
            // the next run (`removeDeadLeftovers` puts `.NAME.old-PID` back).
            let aside = (parent as NSString).appendingPathComponent(".\(name).old-\(getpid())")
            guard rename(directory, aside) == 0 else { throw OutputError.cannotWrite(path: directory, reason: systemErrorText(errno)) }
            guard rename(staging, directory) == 0 else {
                let reason = systemErrorText(errno)
                _ = rename(aside, directory)
                throw OutputError.cannotWrite(path: directory, reason: reason)
            }
            _ = rename(aside, staging)
        }
        committed = true
        try? fm.removeItem(atPath: staging)
    }

    static func isTemporaryFile(_ entry: String) -> Bool { entry.hasPrefix(".") && entry.contains(".tmp-") }

    /// The PID in a `.NAME.tmp-PID[-N]` or `.NAME.old-PID` name.
    static func pid(in entry: String, marker: String) -> pid_t? {
        guard let range = entry.range(of: marker, options: .backwards) else { return nil }
        return pid_t(entry[range.upperBound...].prefix { $0.isNumber })
    }

    static func isDead(_ pid: pid_t) -> Bool { pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH }

    /// Staging directories and temporary files of runs whose process is gone; a previous set
    /// left aside by a run that died mid-swap is put back.
    static func removeDeadLeftovers(parent: String, name: String, directory: String) {
        let fm = FileManager.default
        guard let siblings = try? fm.contentsOfDirectory(atPath: parent) else { return }
        for entry in siblings where entry.hasPrefix(".\(name).") {
            let full = (parent as NSString).appendingPathComponent(entry)
            if let pid = pid(in: entry, marker: ".old-"), isDead(pid) {
                if FileKind.of(directory, followingLinks: false) == .missing {
                    _ = rename(full, directory)
                } else {
                    try? fm.removeItem(atPath: full)
                }
            } else if let pid = pid(in: entry, marker: ".tmp-"), isDead(pid) {
                try? fm.removeItem(atPath: full)
            }
        }
        if let inside = try? fm.contentsOfDirectory(atPath: directory) {
            for entry in inside where isTemporaryFile(entry) {
                if let pid = pid(in: entry, marker: ".tmp-"), isDead(pid) {
                    try? fm.removeItem(atPath: (directory as NSString).appendingPathComponent(entry))
                }
            }
        }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}
