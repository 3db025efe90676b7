// Real files for the tests: temporary directories, plain and gzip logs.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// A fresh directory under the system temp dir, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("distill-detect-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> String { try write(name, bytes: Array(text.utf8)) }

    /// A gzip file with one member per element of `members`, written through zlib.
    @discardableResult
    func writeGzip(_ name: String, members: [[UInt8]], level: Int = 6) throws -> String {
        let p = file(name)
        let writer = try GzipFileWriter(path: p, level: level)
        for member in members {
            try writer.write(member)
            try writer.finishMember()
        }
        return p
    }
}

/// Compresses with the system's gzip command, as log rotation does.
func systemGzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -c"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    let writer = Thread {
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(data)
}

/// Collects what a scan accepted, in order, for comparisons.
final class RecordCollector: ExchangeConsumer {
    var requestIDs: [String] = []
    var accounts: [String] = []
    var prompts: [String?] = []

    func consume(_ record: borrowing DecodedExchange) {
        requestIDs.append(record.string(.requestID) ?? "")
        accounts.append(record.string(.accountID) ?? "")
        prompts.append(record.prompt)
    }
}

func scan(_ paths: [String], threads: Int = 1, chunkSize: Int = 4 << 20, lineLimit: Int = 1 << 20, samples: Int = 5,
          mappings: [FieldMapping] = []) throws -> (ScanReport, [RecordCollector]) {
    var options = ScanOptions()
    options.threads = threads
    options.chunkSize = chunkSize
    options.lineLimit = lineLimit
    options.samplesPerReason = samples
    options.fieldMappings = mappings
    return LogScanner.scan(try InputDiscovery.expand(paths), options: options) { _ in RecordCollector() }
}

/// Canonical-form log line with the given extra fields (JSON fragments).
func logLine(account: String = "acct_1", ts: String = "\"2026-04-22T13:45:01Z\"", _ extra: String = "") -> String {
    "{\"ts\":\(ts),\"account_id\":\"\(account)\"\(extra.isEmpty ? "" : "," + extra)}"
}

/// A generator configuration for tests: mixed field styles unless told otherwise.
func generatorConfig(
    exchanges: Int, days: Int, seed: UInt64, style: LogStyle = .mixed,
    campaigns: [CampaignVariant] = CampaignVariant.allCases, lookalikes: Bool = true
) -> GeneratorConfig {
    GeneratorConfig(exchanges: exchanges, days: days, seed: seed, style: style, campaigns: campaigns, lookalikes: lookalikes)
}

/// The account states of a generated run (`generatorConfig` defaults), read from its gzip files.
func generatedAccounts(exchanges: Int, days: Int, seed: UInt64) throws -> [AccountState] {
    let dir = try TemporaryDirectory()
    _ = try SyntheticLogGenerator.run(config: generatorConfig(exchanges: exchanges, days: days, seed: seed), outputDirectory: dir.file("logs"))
    return FeatureRun.run(inputs: try InputDiscovery.expand([dir.file("logs")]), options: ScanOptions(), taxonomy: .builtIn).accounts
}
