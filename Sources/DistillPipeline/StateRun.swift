// The partitioned-state steps (`state build`, `state merge`, `state keys`, `state pairs`):
// account state split by a stable hash of the account id, merged exactly, and the linkage
// keys and candidate pairs that `detect --candidates` verifies (the Spark job's steps).
import DistillDetect
import DistillReport
import Foundation

public enum StateRun {
    public struct Built: Sendable {
        public var split: String
        public var report: ScanReport
        public var accounts: Int
        /// Bytes of all partition files written.
        public var bytes: Int
        public var exitCode: RunExitCode
    }

    /// `state build`: reads `paths` into account state (per account and UTC day with `byDay`),
    /// content kept as read, and writes `partitions` files into `out`
    /// (`StatePartitions.split`), the scan tally in partition 0. `split` names the input split
    /// (default: a hash of the input names). Throws `InputError` and `OutputError`.
    public static func build(
        paths: [String], out: String, partitions: Int, split: String?, byDay: Bool, options: ScanOptions,
        taxonomy: CompiledTaxonomy, maxRejectRate: Double
    ) throws -> Built {
        let inputs = try InputDiscovery.expand(paths)
        let result = FeatureRun.run(inputs: inputs, options: options, taxonomy: taxonomy, keepContent: true, byDay: byDay)
        let name = split ?? StatePartitions.defaultSplitName(inputNames: paths)
        let files = StatePartitions.split(
            accounts: result.accounts, topicNames: result.topicNames, tally: ScanTally(result.report), splitName: name,
            count: partitions, byDay: byDay)
        var bytes = 0
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for file in files {
            let encoded = file.encoded()
            bytes += encoded.count
            try AtomicFile.write(Data(encoded), to: (out as NSString).appendingPathComponent(file.partition.fileName))
        }
        return Built(
            split: name, report: result.report, accounts: result.accounts.count, bytes: bytes,
            exitCode: RunSummary.exitCode(report: result.report, maxRejectRate: maxRejectRate))
    }

    /// `state merge`: merges state files (directories stand for their *.ddstate files)
    /// exactly into `out`; returns the files read and the merged state. Throws
    /// `StateFileError` (a missing partition, a split twice, another taxonomy, a corrupt file).
    public static func merge(paths: [String], out: String) throws -> (files: [String], merged: AccountStateFile) {
        let files = try StatePartitions.expand(paths)
        let read = try files.map { try AccountStateFile.read(path: $0) }
        let merged = try StatePartitions.merge(read, paths: files)
        let directory = (out as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try merged.write(to: out)
        return (files, merged)
    }

    /// `state keys`: the linkage keys of the accounts in state files, one line per key after
    /// the parameter line (`LinkageKeys.keyLines`), written to `out`. Returns the accounts
    /// and keys written.
    public static func keys(paths: [String], out: String) throws -> (accounts: Int, keys: Int) {
        let files = try StatePartitions.expand(paths)
        let state = try StatePartitions.merge(try files.map { try AccountStateFile.read(path: $0) }, paths: files)
        let lines = LinkageKeys.keyLines(StatePartitions.accounts(of: state), options: DetectionConfig())
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: out)
        return (state.accounts.count, lines.count - 1)
    }

    /// `state pairs`: bucket lines from `nextLine` (nil at the end) to the parameter line and
    /// the candidate pair lines (`LinkageKeys.pairLines`), handed to `write` about 1 MiB at a
    /// time. Throws the bucket's error with its line number.
    public static func pairs(nextLine: () -> String?, write: (String) -> Void) throws {
        var output = LinkageKeys.parameterLine(DetectionConfig()) + "\n"
        var number = 0
        while let line = nextLine() {
            number += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                for pair in try LinkageKeys.pairLines(bucket: Substring(line)) { output += pair + "\n" }
            } catch {
                throw StatePairsError(line: number, underlying: "\(error)")
            }
            if output.utf8.count > 1 << 20 {
                write(output)
                output = ""
            }
        }
        write(output)
    }
}

/// A bucket line `state pairs` could not read.
public struct StatePairsError: Error, CustomStringConvertible {
    public var line: Int
    public var underlying: String
    public var description: String { "standard input line \(line): \(underlying)" }
}
