// File shapes of issue 13 on the handed cases (copies under Fixtures/formats) and on files made
// here: arrays, wrappers, pretty-printed and joined values, CloudWatch envelopes and exports,
// directory walks that sniff unnamed files, and records over the line limit.
import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

let formatFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/formats")

func formatFixture(_ name: String) -> String { formatFixtures.appendingPathComponent(name).path }

/// The Bedrock user and request id, reachable today by field map (a preset will replace it).
let bedrockMappings = [
    FieldMapping(field: .accountID, path: ["identity", "arn"]), FieldMapping(field: .requestID, path: ["requestId"]),
]

/// Like `RecordCollector`, but routed: every worker sees every chunk and decodes its accounts.
final class RoutedRecordCollector: ExchangeConsumer {
    static var routesByAccount: Bool { true }
    var accounts: [String] = []
    var prompts: [String?] = []

    func consume(_ record: borrowing DecodedExchange) {
        accounts.append(record.string(.accountID) ?? "")
        prompts.append(record.prompt)
    }
}

/// The summary of a scan with its timings zeroed, for comparing runs.
func comparableSummary(_ report: ScanReport) throws -> Data {
    var summary = RunSummary(command: "check", report: report, options: ScanOptions(), maxRejectRate: 0.01, accountsSeen: 0)
    summary.seconds = 0
    summary.megabytesPerSecond = 0
    return try summary.jsonData()
}

@Suite("Format shapes")
struct FormatShapeTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var shape: String
        var records: Int
        var accepted: Int?
        var description: String { file }
    }

    static let framedCases = [
        Case(file: "04a_litellm_spendlogs_array_oneline.json", shape: "json-array", records: 6, accepted: 6),
        Case(file: "04b_litellm_spendlogs_array_pretty.json", shape: "json-array", records: 6, accepted: 6),
        Case(file: "04c_litellm_spendlogs_v2_data_wrapper.json", shape: "json-wrapper(data)", records: 6, accepted: 6),
        // The Azure account sits in `properties` (an encoded object): the decoder's part.
        Case(file: "14b_azure_pre2018_records_wrapper.json", shape: "json-wrapper(records)", records: 6, accepted: nil),
        Case(file: "17f_pretty_printed_objects.json", shape: "json-values", records: 5, accepted: 5),
    ]

    @Test("arrays, data/records wrappers and pretty-printed values give one record each, plain or gzip, any threads or chunk size",
          arguments: framedCases)
    func framedFiles(_ c: Case) throws {
        let dir = try TemporaryDirectory()
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: formatFixture(c.file))))
        let gz = try dir.write(c.file + ".gz", bytes: try systemGzip(bytes))
        var summaries: [Data] = []
        var ids: [[String]] = []
        for (threads, chunk) in [(1, 4 << 20), (3, 300), (2, 1)] {
            let (report, collectors) = try scan([formatFixture(c.file)], threads: threads, chunkSize: chunk)
            #expect(report.inputs[0].shape == c.shape)
            #expect(report.inputs[0].lines == c.records)
            #expect(report.lines == c.records)
            if let accepted = c.accepted {
                #expect(report.accepted == accepted)
                #expect(report.rejectedByReason.isEmpty)
            }
            summaries.append(try comparableSummary(report))
            ids.append(collectors.flatMap(\.requestIDs).sorted())
        }
        #expect(Set(summaries).count == 1)
        #expect(Set(ids).count == 1)
        let (gzipped, _) = try scan([gz])
        #expect(gzipped.inputs[0].shape == c.shape)
        #expect(gzipped.lines == c.records)
        #expect(gzipped.accepted == (c.accepted ?? gzipped.accepted))
    }

    @Test("records keep file order in every shape")
    func fileOrder() throws {
        let (array, a) = try scan([formatFixture("04b_litellm_spendlogs_array_pretty.json")])
        #expect(array.accepted == 6)
        #expect(a[0].requestIDs == (0..<6).map { "chatcmpl-\($0)" })
        let (values, v) = try scan([formatFixture("17f_pretty_printed_objects.json")])
        #expect(values.accepted == 5)
        #expect(v[0].accounts == ["fl-0", "fl-1", "fl-0", "fl-1", "fl-0"])
    }

    @Test("objects joined with no newline, arrays after objects, and values spread over lines are each a record")
    func joinedValues() throws {
        let dir = try TemporaryDirectory()
        let a = logLine(account: "a"), b = logLine(account: "b"), c = logLine(account: "c")
        let joined = try dir.write("joined.json", text: a + b + "  " + c + "\n" + "[" + a + ",\n" + b + "]" + c)
        let (report, collectors) = try scan([joined])
        #expect(report.inputs[0].shape == "json-values")
        #expect(report.accepted == 6)
        #expect(collectors[0].accounts == ["a", "b", "c", "a", "b", "c"])
        // A record whose values have raw line breaks around them, and bare tokens kept apart.
        let spread = try dir.write("spread.json", text: "{\n \"ts\" :\n \"2026-04-22T13:45:01Z\",\r\n\t\"account_id\": \"x\", \"status\": 200\n}\n")
        let (one, got) = try scan([spread])
        #expect(one.accepted == 1)
        #expect(got[0].accounts == ["x"])
    }

    @Test("shape detection reads the first value only, and plain JSON Lines stays JSON Lines")
    func detection() {
        func shape(_ text: String) -> String {
            Array(text.utf8).withUnsafeBytes { InputShape.detect($0).name }
        }
        #expect(shape(logLine() + "\n" + logLine() + "\n") == "jsonl")
        #expect(shape(logLine()) == "jsonl")
        #expect(shape("") == "jsonl")
        #expect(shape("not json\n") == "jsonl")
        #expect(shape(logLine() + logLine()) == "json-values")
        #expect(shape("{\n  \"ts\": 1\n}\n") == "json-values")
        #expect(shape("\u{FEFF}  [" + logLine() + "]") == "json-array")
        #expect(shape("{\"total\":1,\"data\":[{\"a\":1}]}") == "json-wrapper(data)")
        #expect(shape("{\"records\":[]}") == "json-wrapper(records)")
        // A record that happens to hold a `data` array is a record (it has a time field).
        #expect(shape(logLine(#""data":[{"a":1}]"#) + "\n") == "jsonl")
        #expect(shape("{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[]}\n") == "cloudwatch-envelopes")
        #expect(shape("2025-04-09T23:00:17.000Z " + logLine() + "\n") == "cloudwatch-export")
        #expect(shape("1744239797000 " + logLine() + "\n") == "cloudwatch-export")
        #expect(shape("12 apples\n") == "jsonl")
    }

    @Test("CloudWatch subscription envelopes: each embedded message is its own exchange, one per line or as gzip members")
    func cloudWatchEnvelopes() throws {
        let (plain, p) = try scan([formatFixture("06b_cloudwatch_firehose_newline.jsonl")], mappings: bedrockMappings)
        let (members, m) = try scan([formatFixture("06c_cloudwatch_gzip_members.gz")], mappings: bedrockMappings)
        let (reference, r) = try scan([formatFixture("05_bedrock_invocation.jsonl")], mappings: bedrockMappings)
        #expect(reference.accepted == 10)
        for (report, collectors) in [(plain, p), (members, m)] {
            #expect(report.inputs[0].shape == "cloudwatch-envelopes")
            #expect(report.lines == 10)
            #expect(report.accepted == 10)
            #expect(collectors[0].requestIDs == r[0].requestIDs)
            #expect(collectors[0].accounts == r[0].accounts)
        }
        #expect(members.inputs[0].gzipMembers == 3)
    }

    @Test("envelopes: control messages skipped, envelopes joined with no newline, messages holding pretty JSON or plain text")
    func envelopeVariants() throws {
        func message(_ json: String) -> String {
            let data = try! JSONSerialization.data(withJSONObject: ["id": "1", "timestamp": 1, "message": json], options: [.fragmentsAllowed])
            return String(decoding: data, as: UTF8.self)
        }
        let control = #"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#
        let data = #"{"messageType":"DATA_MESSAGE","owner":"1","logEvents":["#
            + [message(logLine(account: "a")), message("{\n  \"ts\": \"2026-04-22T13:45:01Z\",\n  \"account_id\": \"b\"\n}"),
               message("plain text, not a record")].joined(separator: ",") + "]}"
        let dir = try TemporaryDirectory()
        let path = try dir.write("firehose", text: control + data + data + "\n" + control)
        let (report, collectors) = try scan([path])
        #expect(report.inputs[0].shape == "cloudwatch-envelopes")
        #expect(report.accepted == 4)
        #expect(collectors[0].accounts == ["a", "b", "a", "b"])
        #expect(report.rejectedByReason == [.invalidJSON: 2])
        #expect(report.samples.map(\.line) == [3, 6])
        #expect(report.samples.allSatisfy { $0.streamOffset != nil })
    }

    @Test("an S3 directory: unnamed and oddly named log files are read by content; every skipped file is listed with its reason")
    func s3Directory() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("s3")
        try FileManager.default.copyItem(atPath: formatFixture("21_s3_dir"), toPath: root)
        try dir.write("s3/firehose/_SUCCESS", bytes: [])
        try dir.write("s3/notes.txt", text: "export notes\n")
        try dir.write("s3/exportedlogs/aws-logs-write-test", text: "Permission Check Successful")
        try dir.write("s3/blob.gz", bytes: try systemGzip([0x00, 0x01, 0x02]))
        let (inputs, skipped) = try InputDiscovery.discover([root])
        #expect(inputs.map { ($0.displayName as NSString).lastPathComponent }
            == ["000000.gz", "bedrock-stream-1-2024-06-01-10-00-00-0f8e6a2b"])
        #expect(skipped.map { ($0.file as NSString).lastPathComponent } == ["blob.gz", "aws-logs-write-test", "_SUCCESS", "notes.txt"])
        #expect(skipped[0].reason.contains("gzip content is not JSON"))
        #expect(skipped[2].reason.contains("empty"))

        var options = ScanOptions()
        options.fieldMappings = bedrockMappings
        let summary = try LogCheck.run(paths: [root], options: options, maxRejectRate: 0.01)
        #expect(summary.recordsAccepted == 20)
        #expect(summary.inputs.map(\.shape) == ["cloudwatch-export", "jsonl"])
        #expect(summary.skippedFiles == skipped)
        #expect(summary.exitCode == 0)
        let text = LogCheck.render(summary)
        #expect(text.contains("skipped in directories (not read): 4 file(s)"))
        for file in skipped { #expect(text.contains("\(file.file): \(file.reason)")) }
        #expect(text.contains("cloudwatch-export"))
        let json = String(decoding: try summary.jsonData(), as: UTF8.self)
        #expect(json.contains("\"skipped_files\""))
        #expect(json.contains("\"shape\" : \"cloudwatch-export\""))
    }

    @Test("a 1.47 MB line with a base64 image keeps its record: the oversized value dropped and counted, on every read path",
          arguments: [(1, 4 << 20, false), (1, 64 << 10, false), (2, 4 << 20, true), (3, 100 << 10, true)])
    func oversizedValue(threads: Int, chunk: Int, routed: Bool) throws {
        let file = formatFixture("07b_openai_huge_base64_image.jsonl")
        let dir = try TemporaryDirectory()
        let gz = try dir.write("07b.jsonl.gz", bytes: try systemGzip(Array(try Data(contentsOf: URL(fileURLWithPath: file)))))
        for path in [file, gz] {
            var options = ScanOptions()
            options.threads = threads
            options.chunkSize = chunk
            let report: ScanReport
            let accounts: [String]
            let prompts: [String?]
            if routed {
                let (r, c) = LogScanner.scan(try InputDiscovery.expand([path]), options: options) { _ in RoutedRecordCollector() }
                (report, accounts, prompts) = (r, c.flatMap(\.accounts), c.flatMap(\.prompts))
            } else {
                let (r, c) = LogScanner.scan(try InputDiscovery.expand([path]), options: options) { _ in RecordCollector() }
                (report, accounts, prompts) = (r, c.flatMap(\.accounts), c.flatMap(\.prompts))
            }
            #expect(report.accepted == 5)
            #expect(report.rejectedByReason.isEmpty)
            #expect(report.oversizedValues == 1)
            #expect(report.inputs[0].oversizedValues == 1)
            #expect(accounts.sorted() == ["acct-0", "acct-0", "acct-1", "acct-1", "acct-2"])
            #expect(prompts.contains("What is in this screenshot number 10?"))
        }
    }

    @Test("a line still over the limit once compacted is rejected line_too_long; the lines around it are kept",
          arguments: [4 << 20, 50 << 10])
    func stillTooLong(chunk: Int) throws {
        let dir = try TemporaryDirectory()
        // Twenty 60 KiB strings: none is oversized, together they pass a 256 KiB limit.
        let filler = (0..<20).map { "\"f\($0)\":\"\(String(repeating: "x", count: 60 << 10))\"" }.joined(separator: ",")
        let big = "\"img\":\"\(String(repeating: "A", count: 300 << 10))\""
        let text = [logLine(account: "a"), logLine(account: "b", filler), logLine(account: "c", big), logLine(account: "d")]
            .joined(separator: "\n") + "\n"
        let path = try dir.write("long.jsonl", text: text)
        let (report, collectors) = try scan([path], threads: 2, chunkSize: chunk, lineLimit: 256 << 10)
        #expect(collectors.flatMap(\.accounts).sorted() == ["a", "c", "d"])
        #expect(report.rejectedByReason == [.lineTooLong: 1])
        #expect(report.samples.first?.line == 2)
        #expect(report.oversizedValues == 1)
    }

    @Test("framed records over the limit are compacted or rejected with their record number and stream offset")
    func framedOversized() throws {
        let dir = try TemporaryDirectory()
        let image = "\"img\":\"\(String(repeating: "A", count: 300 << 10))\""
        let filler = (0..<20).map { "\"f\($0)\":\"\(String(repeating: "x", count: 60 << 10))\"" }.joined(separator: ",")
        let records = [logLine(account: "a"), logLine(account: "b", image), logLine(account: "c", filler), logLine(account: "d")]
        let text = "[\n" + records.joined(separator: ",\n") + "\n]\n"
        let path = try dir.write("array.json", text: text)
        for chunk in [4 << 20, 1000] {
            let (report, collectors) = try scan([path], chunkSize: chunk, lineLimit: 256 << 10)
            #expect(report.inputs[0].shape == "json-array")
            #expect(collectors[0].accounts == ["a", "b", "d"])
            #expect(report.oversizedValues == 1)
            #expect(report.rejectedByReason == [.lineTooLong: 1])
            let sample = try #require(report.samples.first)
            #expect(sample.line == 3)
            let offset = Array(text.utf8).count - Array((records[2] + ",\n" + records[3] + "\n]\n").utf8).count
            #expect(sample.streamOffset == offset)
        }
    }

    @Test("bad records in framed files are rejected with where they start; a cut gzip array keeps every record before the cut")
    func framedRejects() throws {
        let dir = try TemporaryDirectory()
        let good = (0..<50).map { logLine(account: "u\($0)") }
        let bad = "{\n  \"ts\": \"bad\",\n  \"account_id\": \"x\"\n}"
        let text = good[0..<2].joined() + "\n" + bad + good[2...].joined()
        let path = try dir.write("values.json", text: text)
        let (report, _) = try scan([path])
        #expect(report.accepted == 50)
        #expect(report.rejectedByReason == [.badTimestamp: 1])
        #expect(report.samples.first?.line == 3)
        #expect(report.samples.first?.streamOffset == Array((good[0..<2].joined() + "\n").utf8).count)
        let summary = RunSummary(command: "check", report: report, options: ScanOptions(), maxRejectRate: 1, accountsSeen: 0)
        #expect(LogCheck.render(summary).contains("values.json: record 3 at decompressed byte"))

        let array = Array(("[" + good.joined(separator: ",") + "]").utf8)
        let whole = try systemGzip(array)
        let cut = try dir.write("cut.json.gz", bytes: Array(whole.prefix(whole.count / 2)))
        let (partial, _) = try scan([cut])
        #expect(partial.inputs[0].shape == "json-array")
        #expect(partial.inputs[0].cut?.kind == "truncated")
        #expect(partial.accepted > 0 && partial.accepted < 50)
        #expect(partial.rejectedByReason[.truncated] == 1)
    }
}
