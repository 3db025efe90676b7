import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

@Suite("generate → check round trip")
struct GeneratorTests {
    static func config(style: LogStyle, threads: Int = 2) -> GeneratorConfig {
        var config = GeneratorConfig()
        config.exchanges = 4000
        config.days = 3
        config.seed = 11
        config.style = style
        config.badLines = 16
        config.multiMemberFiles = 1
        config.threads = threads
        return config
    }

    @Test("every generated exchange is accepted and every injected bad line is rejected at its line with its reason",
          arguments: [LogStyle.canonical, .gateway, .mixed])
    func roundTrip(_ style: LogStyle) throws {
        let dir = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(style: style), outputDirectory: dir.path)
        let injected = try SyntheticLogGenerator.readInjectedBadLines(dir.file("bad-lines.csv"))
        #expect(injected.count == 16)
        #expect(Set(injected.map(\.reason)) == Set(SyntheticLogGenerator.badReasons))
        let (report, collectors) = try scan([dir.path], threads: 2, samples: 100)
        #expect(report.accepted == result.exchanges)
        #expect(report.rejected == injected.count)
        #expect(report.inputs[0].gzipMembers == 2)
        let got = report.samples.map { InjectedBadLine(file: ($0.file as NSString).lastPathComponent, line: $0.line, reason: $0.reason) }
        #expect(Set(got.map { "\($0.file):\($0.line):\($0.reason.rawValue)" }) == Set(injected.map { "\($0.file):\($0.line):\($0.reason.rawValue)" }))
        // Every labelled account appears in the logs, and nothing else does.
        let labels = try String(contentsOfFile: dir.file("labels.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[0]) }
        let seen = Set(collectors.flatMap(\.accounts))
        #expect(seen == Set(labels))
        #expect(collectors.allSatisfy { $0.prompts.allSatisfy { $0 != nil && !$0!.isEmpty } })
    }

    @Test("the same seed gives byte-identical files whatever the thread count")
    func deterministic() throws {
        let a = try TemporaryDirectory()
        let b = try TemporaryDirectory()
        let ra = try SyntheticLogGenerator.run(config: Self.config(style: .mixed, threads: 1), outputDirectory: a.path)
        _ = try SyntheticLogGenerator.run(config: Self.config(style: .mixed, threads: 3), outputDirectory: b.path)
        for file in ra.files + ["labels.csv", "bad-lines.csv"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.file(file)))
            let y = try Data(contentsOf: URL(fileURLWithPath: b.file(file)))
            #expect(x == y, "\(file)")
        }
        var other = Self.config(style: .mixed)
        other.seed = 12
        let c = try TemporaryDirectory()
        _ = try SyntheticLogGenerator.run(config: other, outputDirectory: c.path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.file("labels.csv"))) != Data(contentsOf: URL(fileURLWithPath: c.file("labels.csv"))))
    }

    @Test("labels name campaigns and look-alikes")
    func labels() throws {
        let dir = try TemporaryDirectory()
        let result = try SyntheticLogGenerator.run(config: Self.config(style: .canonical), outputDirectory: dir.path)
        #expect(result.campaigns.map(\.variant) == CampaignVariant.allCases)
        #expect(result.campaigns.allSatisfy { $0.accounts >= 12 && $0.exchanges > 0 })
        for kind in [AccountKind.integration, .classroom, .benchmark, .popularQuestion, .benign, .codingAgent, .campaign] {
            #expect(result.accountsByKind[kind.rawValue, default: 0] > 0, "\(kind)")
        }
        let rows = try String(contentsOfFile: dir.file("labels.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "account_id,campaign_id,kind")
        #expect(rows.dropFirst().allSatisfy { row in
            let cols = row.split(separator: ",", omittingEmptySubsequences: false)
            return cols.count == 3 && (cols[2] == "campaign") == !cols[1].isEmpty
        })
    }
}
