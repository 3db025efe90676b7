import ArgumentParser
import DistillDetect
import DistillGenerate
import DistillPipeline
import DistillReport
import Foundation

extension CampaignVariant: ExpressibleByArgument {}
extension LogStyle: ExpressibleByArgument {}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic access logs with labelled campaigns and benign traffic.",
        discussion: """
            Writes one api-YYYY-MM-DD.jsonl.gz per day, labels.csv (account_id,campaign_id,kind: \
            campaign_id empty for benign accounts; kind names the look-alikes that must never be \
            flagged: integration, classroom, benchmark, popular_question, coding_agent) and, with \
            --bad-lines, bad-lines.csv (file,line,reason). The same options and seed give \
            byte-identical files whatever --threads is.

            Styles: canonical and gateway write each exchange as a prompt or plain messages; \
            anthropic-messages (endpoint /v1/messages: system blocks, tools with input_schema, \
            messages with tool_use and tool_result blocks) and openai-responses (endpoint \
            /v1/responses: instructions, function tools, input with input_text, function_call and \
            function_call_output items) write the same exchanges as those APIs log them, with \
            coding-agent users and the agentic campaign as tool loops. For one seed every style \
            writes the same accounts, labels.csv, times and metadata, and the newest human-written \
            text of each exchange is the prompt the plain styles write.
            """
    )

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Exchanges to write; coding-agent users (about 4% more) and bad lines come on top.")
    var exchanges = 200_000

    @Option(help: "Days of traffic, one file each.")
    var days = 7

    @Option(help: "First day (UTC), YYYY-MM-DD.")
    var start = "2026-04-20"

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Record shape: canonical, gateway (aliases, epoch ms, content blocks), mixed (alternating days), anthropic-messages or openai-responses (API bodies, agentic traffic as tool loops).")
    var style: LogStyle = .canonical

    @Option(name: .customLong("campaign"), help: "Campaign variant to include: basic, careful, agentic (repeatable; default: all three).")
    var campaigns: [CampaignVariant] = []

    @Flag(name: .customLong("no-campaigns"), help: "Benign traffic and look-alikes only.")
    var noCampaigns = false

    @Flag(name: .customLong("no-lookalikes"), help: "Leave out the legitimate look-alike workloads.")
    var noLookalikes = false

    @Flag(name: .customLong("no-content"), help: "Leave prompt, messages and system out of every record (metadata-only logs).")
    var noContent = false

    @Option(name: .customLong("bad-lines"), help: "Broken lines to inject, one per reject reason in turn.")
    var badLines = 0

    @Option(name: .customLong("multi-member"), help: "Write the first N files as two gzip members each.")
    var multiMember = 0

    @Option(name: .customLong("gzip-level"), help: "gzip compression level, 1-9.")
    var gzipLevel = 1

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard exchanges >= 100 else { throw ValidationError("--exchanges must be at least 100") }
        guard (1...366).contains(days) else { throw ValidationError("--days must be 1...366") }
        guard Timestamp.parseMilliseconds(start) != nil, start.count == 10 else { throw ValidationError("--start must be YYYY-MM-DD") }
        guard (1...9).contains(gzipLevel) else { throw ValidationError("--gzip-level must be 1...9") }
        guard (threads ?? 1) >= 1, badLines >= 0, multiMember >= 0 else { throw ValidationError("counts must not be negative") }
    }

    func run() throws {
        var config = GeneratorConfig(
            exchanges: exchanges, days: days, seed: seed, style: style,
            campaigns: noCampaigns ? [] : (campaigns.isEmpty ? CampaignVariant.allCases : campaigns),
            lookalikes: !noLookalikes)
        config.startDay = start
        config.badLines = badLines
        config.multiMemberFiles = multiMember
        config.gzipLevel = gzipLevel
        config.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        config.noContent = noContent
        let started = monotonicSeconds()
        let result: GeneratorResult
        do {
            result = try SyntheticLogGenerator.run(config: config, outputDirectory: out)
        } catch {
            throw fail("\(error)")
        }
        print("wrote \(result.files.count) files, \(result.exchanges) exchanges, \(result.badLines) bad lines, \(result.accounts) accounts to \(out) in \(String(format: "%.1f", monotonicSeconds() - started)) s")
        for (kind, count) in result.accountsByKind.sorted(by: { $0.key < $1.key }) { print("  \(kind): \(count) accounts") }
        for campaign in result.campaigns {
            print("  campaign \(campaign.id): \(campaign.accounts) accounts, \(campaign.exchanges) exchanges")
        }
    }
}
