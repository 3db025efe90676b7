import Foundation
import CISAL
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

private func lines(_ count: Int, prefix: String = "r") -> [String] {
    (0..<count).map { i in
        logLine(account: "acct_\(i % 7)", "\"request_id\":\"\(prefix)\(i)\",\"prompt\":\"line \(i) \(String(repeating: "x", count: i % 50))\"")
    }
}

@Suite("Reading files")
struct IngestTests {
    @Test("plain, CRLF and missing final newline all yield every line")
    func lineEndings() throws {
        let dir = try TemporaryDirectory()
        let rows = lines(50)
        let lf = try dir.write("lf.jsonl", text: rows.joined(separator: "\n") + "\n")
        let crlf = try dir.write("crlf.jsonl", text: rows.joined(separator: "\r\n") + "\r\n")
        let noFinal = try dir.write("nofinal.jsonl", text: rows.joined(separator: "\n"))
        for path in [lf, crlf, noFinal] {
            let (report, collectors) = try scan([path])
            #expect(report.accepted == 50, "\(path)")
            #expect(report.rejected == 0, "\(path)")
            #expect(collectors[0].requestIDs == (0..<50).map { "r\($0)" }, "\(path)")
            #expect(report.inputs[0].lines == 50)
        }
    }

    @Test("an empty file, plain or gzip, reads as zero lines without error")
    func emptyFiles() throws {
        let dir = try TemporaryDirectory()
        let plain = try dir.write("empty.jsonl", text: "")
        let gz = try dir.writeGzip("empty.jsonl.gz", members: [[]])
        let (report, _) = try scan([plain, gz])
        #expect(report.accepted == 0 && report.rejected == 0)
        #expect(report.inputs.allSatisfy { $0.error == nil && $0.cut == nil && $0.lines == 0 })
        #expect(RunSummary.exitCode(report: report, maxRejectRate: 0.01) == .success)
    }

    @Test("blank lines are skipped and counted, not rejected")
    func blankLines() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("blank.jsonl", text: "\n" + logLine() + "\n   \n\r\n" + logLine() + "\n\n")
        let (report, _) = try scan([path])
        #expect(report.accepted == 2)
        #expect(report.rejected == 0)
        #expect(report.inputs[0].blankLines == 4)
    }

    @Test("lines over the limit are rejected with their line number; the lines around them are kept", arguments: [64, 4 << 20])
    func lineLimit(_ chunkSize: Int) throws {
        let dir = try TemporaryDirectory()
        let long = logLine("\"prompt\":\"" + String(repeating: "y", count: 5000) + "\"")
        let veryLong = logLine("\"prompt\":\"" + String(repeating: "z", count: 300_000) + "\"")
        let text = [logLine(), long, logLine(), veryLong, logLine(), veryLong].joined(separator: "\n")
        let plain = try dir.write("long.jsonl", text: text)
        let gz = try dir.writeGzip("long.jsonl.gz", members: [Array(text.utf8)])
        for path in [plain, gz] {
            let (report, _) = try scan([path], chunkSize: chunkSize, lineLimit: 1024, samples: 10)
            #expect(report.accepted == 3)
            #expect(report.rejectedByReason == [.lineTooLong: 3])
            #expect(report.samples.map(\.line) == [2, 4, 6])
            #expect(report.inputs[0].lines == 6)
        }
    }

    @Test("multi-member gzip (rotated logs joined with cat) reads every member")
    func multiMember() throws {
        let dir = try TemporaryDirectory()
        let rows = lines(300)
        let a = try systemGzip(Array((rows[0..<100].joined(separator: "\n") + "\n").utf8))
        let b = try systemGzip(Array((rows[100..<250].joined(separator: "\n") + "\n").utf8))
        let c = try systemGzip(Array(rows[250...].joined(separator: "\n").utf8))
        let path = try dir.write("rotated.jsonl.gz", bytes: a + b + c)
        let (report, collectors) = try scan([path], chunkSize: 1000)
        #expect(report.accepted == 300)
        #expect(report.inputs[0].gzipMembers == 3)
        #expect(report.inputs[0].cut == nil)
        #expect(collectors[0].requestIDs == (0..<300).map { "r\($0)" })
    }

    @Test("a gzip member cut short keeps every complete line and reports the byte offset")
    func truncatedGzip() throws {
        let dir = try TemporaryDirectory()
        let rows = lines(2000)
        let full = try systemGzip(Array((rows.joined(separator: "\n") + "\n").utf8))
        for fraction in [0.3, 0.77] {
            let cutAt = Int(Double(full.count) * fraction)
            let path = try dir.write("cut-\(fraction).jsonl.gz", bytes: Array(full.prefix(cutAt)))
            let (report, collectors) = try scan([path], chunkSize: 4096)
            let cut = try #require(report.inputs[0].cut)
            #expect(cut.offset == cutAt)
            #expect(cut.kind == "truncated")
            let kept = collectors[0].requestIDs
            #expect(kept.count > 100)
            #expect(kept == (0..<kept.count).map { "r\($0)" }, "complete lines are the file's first lines, in order")
            // At most one partial line is lost, and it is counted.
            #expect(report.rejectedByReason[.truncated, default: 0] <= 1)
            #expect(report.accepted + report.rejected == report.inputs[0].lines)
            let summary = RunSummary(command: "check", report: report, options: ScanOptions(), maxRejectRate: 0.01, accountsSeen: 0)
            #expect(summary.truncatedInputs == [TruncatedInput(file: path, offset: cutAt, kind: "truncated", detail: cut.detail)])
        }
    }

    @Test("corrupt gzip data stops that input with an offset; other inputs are unaffected")
    func corruptGzip() throws {
        let dir = try TemporaryDirectory()
        let rows = lines(3000)
        var bytes = try systemGzip(Array((rows.joined(separator: "\n") + "\n").utf8))
        for i in (bytes.count / 2)..<(bytes.count / 2 + 64) { bytes[i] ^= 0x5A }
        let bad = try dir.write("corrupt.jsonl.gz", bytes: bytes)
        let good = try dir.write("good.jsonl", text: lines(10, prefix: "g").joined(separator: "\n"))
        let (report, _) = try scan([bad, good], threads: 2)
        let cut = try #require(report.inputs[0].cut)
        #expect(cut.kind == "corrupt" || cut.kind == "truncated")
        #expect(cut.offset > 0 && cut.offset <= bytes.count)
        #expect(report.inputs[0].accepted > 0)
        #expect(report.inputs[1].accepted == 10)
    }

    @Test("bytes after the last member that are not gzip are ignored and reported")
    func trailingGarbage() throws {
        let dir = try TemporaryDirectory()
        let gz = try systemGzip(Array((lines(20).joined(separator: "\n") + "\n").utf8))
        let path = try dir.write("padded.jsonl.gz", bytes: gz + [UInt8](repeating: 0, count: 100))
        let (report, _) = try scan([path])
        #expect(report.accepted == 20)
        #expect(report.inputs[0].trailingBytesIgnored == 100)
        #expect(report.inputs[0].cut == nil)
    }

    @Test("compression is detected from magic bytes, not the file name")
    func magicBytes() throws {
        let dir = try TemporaryDirectory()
        let text = lines(10).joined(separator: "\n")
        let gzNamedPlain = try dir.write("actually-gzip.jsonl", bytes: try systemGzip(Array(text.utf8)))
        let plainNamedGz = try dir.write("actually-plain.jsonl.gz", text: text)
        let (report, _) = try scan([gzNamedPlain, plainNamedGz])
        #expect(report.inputs.map(\.accepted) == [10, 10])
        #expect(report.inputs.map(\.gzip) == [true, false])
    }

    @Test("directories are read recursively, log files only, in path order")
    func directories() throws {
        let dir = try TemporaryDirectory()
        try dir.write("logs/b/day2.jsonl.gz", bytes: try systemGzip(Array(logLine(account: "b").utf8)))
        try dir.write("logs/a/day1.ndjson", text: logLine(account: "a"))
        try dir.write("logs/a/notes.txt", text: "not a log")
        try dir.write("logs/c.log", text: logLine(account: "c"))
        try dir.write("logs/d.json", text: logLine(account: "d"))
        let inputs = try InputDiscovery.expand([dir.file("logs")])
        #expect(inputs.map { ($0.displayName as NSString).lastPathComponent } == ["day1.ndjson", "day2.jsonl.gz", "c.log", "d.json"])
        // A missing path or an empty directory is listed (and reported by the scan), not fatal.
        #expect(try InputDiscovery.expand([dir.file("missing")]) == [.file(dir.file("missing"))])
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        let empty = try InputDiscovery.expand([dir.file("empty")])
        guard case .skipped(dir.file("empty"), _) = empty.first?.kind else { Issue.record("\(empty)"); return }
    }

    @Test("an unreadable input is reported and the others still read; none readable exits 1")
    func unreadableInput() throws {
        let dir = try TemporaryDirectory()
        let good = try dir.write("good.jsonl", text: logLine())
        let locked = try dir.write("locked.jsonl", text: logLine())
        chmod(locked, 0o000)
        defer { chmod(locked, 0o644) }
        guard access(locked, R_OK) != 0 else { return }  // root can read anything; nothing to test
        let (report, _) = try scan([good, locked])
        #expect(report.inputs[1].error != nil)
        #expect(report.accepted == 1)
        let (none, _) = try scan([locked])
        #expect(RunSummary.exitCode(report: none, maxRejectRate: 0.01) == .failure)
    }

    @Test("results do not depend on threads or chunk size")
    func deterministic() throws {
        let dir = try TemporaryDirectory()
        var text = lines(3000).joined(separator: "\n") + "\n"
        text += "broken\n{\"ts\":\"bad\",\"account_id\":\"x\"}\n" + lines(500, prefix: "s").joined(separator: "\r\n") + "\r\n"
        let a = try dir.writeGzip("a.jsonl.gz", members: [Array(text.utf8)])
        let b = try dir.write("b.jsonl", text: text)
        let c = try dir.writeGzip("c.jsonl.gz", members: [Array(text.utf8), Array(text.utf8)])
        var summaries: [Data] = []
        for (threads, chunk) in [(1, 4 << 20), (2, 5000), (4, 777), (3, 1 << 16)] {
            let (report, _) = try scan([a, b, c], threads: threads, chunkSize: chunk, samples: 3)
            var summary = RunSummary(command: "check", report: report, options: ScanOptions(), maxRejectRate: 0.01, accountsSeen: 0)
            summary.seconds = 0
            summary.megabytesPerSecond = 0
            summaries.append(try summary.jsonData())
            #expect(report.accepted == 4 * 3500)
        }
        #expect(Set(summaries).count == 1)
    }

    @Test("rejected share above --max-reject-rate gives exit code 2")
    func rejectRate() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("mixed.jsonl", text: (lines(98) + ["x", "y"]).joined(separator: "\n"))
        let (report, _) = try scan([path])
        #expect(RunSummary.exitCode(report: report, maxRejectRate: 0.01) == .rejectRateExceeded)
        #expect(RunSummary.exitCode(report: report, maxRejectRate: 0.05) == .success)
    }

    @Test("ISA-L and zlib give identical bytes, members, cuts and offsets")
    func inflatersAgree() throws {
        guard dd_isal_available() == 1 else { return }  // built without libisal-dev: nothing to compare
        let dir = try TemporaryDirectory()
        let text = lines(4000).joined(separator: "\n") + "\n"
        let one = try systemGzip(Array(text.utf8))
        let two = try systemGzip(Array(text.prefix(9000).utf8))
        var corrupt = one
        for i in (one.count / 2)..<(one.count / 2 + 40) { corrupt[i] ^= 0x33 }
        let cases: [(String, [UInt8])] = [
            ("multi.gz", one + two + one), ("cut.gz", Array(one.prefix(one.count * 2 / 3))),
            ("corrupt.gz", corrupt), ("trailing.gz", two + [0, 0, 0, 0, 7]), ("tiny.gz", try systemGzip([])),
        ]
        for (name, bytes) in cases {
            let path = try dir.write(name, bytes: bytes)
            let z = try InputSource.file(path).readAll(inflater: .zlib)
            let i = try InputSource.file(path).readAll(inflater: .isal)
            #expect(z.members == i.members, "\(name)")
            #expect(z.trailing == i.trailing, "\(name)")
            #expect(z.cut?.kind == i.cut?.kind, "\(name)")
            if name == "corrupt.gz" {
                // Both stop inside the damaged region; every line before it is intact in both.
                let common = min(z.bytes.count, i.bytes.count)
                #expect(Array(z.bytes.prefix(common)) == Array(i.bytes.prefix(common)))
            } else {
                #expect(z.bytes == i.bytes, "\(name)")
                #expect(z.cut?.offset == i.cut?.offset, "\(name)")
            }
        }
    }
}
