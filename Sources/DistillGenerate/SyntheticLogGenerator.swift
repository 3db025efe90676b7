// `generate`: daily gzip JSON Lines files of synthetic API traffic with labelled campaigns,
// written in parallel (one day per thread) and identical for a seed whatever the threads.
import DistillDetect
import Foundation

public struct GeneratorConfig: Sendable {
    public var exchanges = 200_000
    public var days = 7
    /// First day, `YYYY-MM-DD` (UTC).
    public var startDay = "2026-04-20"
    public var seed: UInt64 = 1
    public var style: LogStyle = .canonical
    public var campaigns: [CampaignVariant] = CampaignVariant.allCases
    public var lookalikes = true
    /// Bad lines to inject (cycling through the reject reasons); listed in bad-lines.csv.
    public var badLines = 0
    /// The first N files are written as two gzip members, as rotated logs joined with `cat`.
    public var multiMemberFiles = 0
    public var gzipLevel = 1
    public var threads = 2
    /// Leave prompt, messages and system out of every record (logs kept as metadata only).
    public var noContent = false

    public init() {}

    public init(
        exchanges: Int, days: Int, seed: UInt64, style: LogStyle = .canonical,
        campaigns: [CampaignVariant] = CampaignVariant.allCases, lookalikes: Bool = true
    ) {
        self.exchanges = exchanges
        self.days = days
        self.seed = seed
        self.style = style
        self.campaigns = campaigns
        self.lookalikes = lookalikes
    }

    var startMilliseconds: Int64 { Timestamp.parseMilliseconds(startDay) ?? 1_776_643_200_000 }
}

public struct GeneratedCampaign: Sendable, Codable {
    public var id: String
    public var variant: CampaignVariant
    public var accounts: Int
    public var exchanges: Int
}

public struct GeneratorResult: Sendable, Codable {
    public var files: [String]
    public var exchanges: Int
    public var badLines: Int
    public var accounts: Int
    public var accountsByKind: [String: Int]
    public var campaigns: [GeneratedCampaign]
}

/// A line deliberately broken by `generate`, with the reason `check` must give.
public struct InjectedBadLine: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var reason: RejectReason
}

public enum SyntheticLogGenerator {
    static let badReasons: [RejectReason] = [
        .invalidJSON, .notObject, .missingTimestamp, .badTimestamp, .missingAccountID, .invalidUTF8, .lineTooLong,
    ]

    /// One exchange to render.
    struct Event {
        var ts: Int64
        var account: Int32
        var index: Int32
        var sessionHead: Int32
        var turn: Int16
        var special: Bool
    }

    public static func run(config: GeneratorConfig, outputDirectory: String) throws -> GeneratorResult {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let population = SyntheticPopulation(config: config)
        let files = (0..<config.days).map { day -> String in
            let (y, m, d) = Timestamp.civilFromDays(Int(config.startMilliseconds / 86_400_000) + day)
            return String(format: "api-%04d-%02d-%02d.jsonl.gz", y, m, d)
        }
        // Bad lines per day, round robin.
        let badPerDay = (0..<config.days).map { day in
            (0..<config.badLines).filter { $0 % config.days == day }.map { badReasons[$0 % badReasons.count] }
        }
        let results = ResultSlots<Result<[InjectedBadLine], Error>>(count: config.days)
        let counter = WorkCounter(limit: config.days)
        let shared = UncheckedSendable(population)
        runOnThreads(max(1, min(config.threads, config.days))) { _ in
            while let day = counter.claim() {
                let path = (outputDirectory as NSString).appendingPathComponent(files[day])
                results.set(day, Result {
                    try writeDay(day, population: shared.value, config: config, path: path, fileName: files[day], bad: badPerDay[day])
                })
            }
        }
        var injected: [InjectedBadLine] = []
        for day in 0..<config.days { injected += try results.get(day).get() }

        // labels.csv
        var labels = "account_id,campaign_id,kind\n"
        var byKind: [String: Int] = [:]
        for account in population.accounts.sorted(by: { $0.id < $1.id }) {
            let campaign = account.campaign >= 0 ? population.campaigns[account.campaign].id : ""
            labels += "\(account.id),\(campaign),\(account.kind.rawValue)\n"
            byKind[account.kind.rawValue, default: 0] += 1
        }
        try labels.write(toFile: (outputDirectory as NSString).appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
        if config.badLines > 0 {
            var text = "file,line,reason\n"
            for bad in injected { text += "\(bad.file),\(bad.line),\(bad.reason.rawValue)\n" }
            try text.write(toFile: (outputDirectory as NSString).appendingPathComponent("bad-lines.csv"), atomically: true, encoding: .utf8)
        }
        let campaigns = population.campaigns.map { c in
            GeneratedCampaign(
                id: c.id, variant: c.variant, accounts: c.accounts.count,
                exchanges: c.accounts.reduce(0) { $0 + population.accounts[$1].dayCounts.reduce(0, +) })
        }
        let written = population.accounts.reduce(0) { $0 + $1.dayCounts.reduce(0, +) + $1.specialCounts.reduce(0, +) }
        return GeneratorResult(
            files: files, exchanges: written, badLines: injected.count, accounts: population.accounts.count,
            accountsByKind: byKind, campaigns: campaigns)
    }

    /// Reads bad-lines.csv back (for tests and for users checking the reader).
    public static func readInjectedBadLines(_ path: String) throws -> [InjectedBadLine] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { row in
            let parts = row.split(separator: ",")
            guard parts.count == 3, let line = Int(parts[1]), let reason = RejectReason(rawValue: String(parts[2])) else { return nil }
            return InjectedBadLine(file: String(parts[0]), line: line, reason: reason)
        }
    }

    // MARK: Scheduling

    static func events(day: Int, population: SyntheticPopulation, config: GeneratorConfig) -> [Event] {
        var events: [Event] = []
        let dayStart = config.startMilliseconds + Int64(day) * 86_400_000
        for (a, account) in population.accounts.enumerated() {
            var rng = SeededRandom(seed: config.seed, 2, UInt64(day), UInt64(a))
            let count = account.dayCounts[day]
            var index: Int32 = 0
            func add(_ offsetMs: Double, head: Int32, turn: Int16, special: Bool) {
                let clamped = min(max(offsetMs, 0), 86_399_999)
                events.append(Event(ts: dayStart + Int64(clamped), account: Int32(a), index: index, sessionHead: head, turn: turn, special: special))
                index += 1
            }
            switch account.kind {
            case .benign, .popularQuestion, .classroom, .cgnat:
                // Human sessions in local daytime with follow-up turns.
                var left = count
                while left > 0 {
                    let turns = min(left, rng.chance(0.55) ? 1 : rng.int(2...5))
                    let localHour = humanHour(&rng)
                    var t = (localHour - Double(account.utcOffsetHours)) * 3_600_000
                    t = t.truncatingRemainder(dividingBy: 86_400_000)
                    if t < 0 { t += 86_400_000 }
                    let head = index
                    for turn in 0..<turns {
                        add(t, head: head, turn: Int16(turn), special: false)
                        t += rng.logNormal(median: 90_000, sigma: 0.7)
                    }
                    left -= turns
                }
                if account.kind == .classroom && account.specialCounts[day] > 0 {
                    // Class time: 14:00–15:30 local.
                    for _ in 0..<account.specialCounts[day] {
                        let t = (14 - Double(account.utcOffsetHours) + rng.unit() * 1.5) * 3_600_000
                        add(t.truncatingRemainder(dividingBy: 86_400_000), head: index, turn: 0, special: true)
                    }
                }
            case .codingAgent:
                // Working sessions: a task, then one request per tool round seconds apart.
                var left = count
                while left > 0 {
                    let steps = min(left, max(2, Int(rng.logNormal(median: 9, sigma: 0.6))))
                    let localHour = 8 + rng.unit() * 11
                    var t = (localHour - Double(account.utcOffsetHours)) * 3_600_000
                    t = t.truncatingRemainder(dividingBy: 86_400_000)
                    if t < 0 { t += 86_400_000 }
                    let head = index
                    for step in 0..<steps {
                        add(t, head: head, turn: Int16(step), special: false)
                        t += rng.logNormal(median: 14_000, sigma: 0.6)
                    }
                    left -= steps
                }
            case .cronFleet:
                // The organisation's scheduler starts every account's job at the same minute each
                // night; each job sends its requests a few seconds apart.
                var t = Double(account.cronMinute) * 60_000 + rng.unit() * 40_000
                for _ in 0..<count {
                    add(t, head: index, turn: 0, special: false)
                    t += 1_500 + rng.unit() * 4_500
                }
            case .integration:
                for _ in 0..<count {
                    let business = rng.chance(0.6)
                    let hour = business ? 13 + rng.unit() * 9 : rng.unit() * 24
                    add(hour * 3_600_000, head: index, turn: 0, special: false)
                }
            case .benchmark:
                let start = Double(8 + rng.int(0...6)) * 3_600_000
                let specials = account.specialCounts[day]
                for k in 0..<specials {
                    add(start + Double(k) * (4 * 3_600_000 / Double(max(1, specials))) + rng.unit() * 2000, head: index, turn: 0, special: true)
                }
            case .campaign:
                let campaign = population.campaigns[account.campaign]
                switch campaign.variant {
                case .basic:
                    // Round the clock in synchronized batches: the orchestrator starts a round
                    // for each of its worker pools at evenly spaced times, and every account of
                    // the pool fires within about a minute of the round's start.
                    let pools = max(1, campaign.accounts.count / SyntheticCampaign.basicPoolSize)
                    let pool = (a - campaign.accounts.lowerBound) % pools
                    var poolRng = SeededRandom(seed: config.seed, 8, UInt64(account.campaign), UInt64(day), UInt64(pool))
                    let phase = poolRng.unit()
                    for k in 0..<count {
                        add((Double(k) + phase) * 86_400_000 / Double(max(1, count)) + rng.unit() * 60_000, head: index, turn: 0, special: false)
                    }
                case .careful:
                    let windows = campaign.windows[day]
                    for _ in 0..<count {
                        let w = windows[rng.int(0..<windows.count)]
                        add((w.start + rng.unit() * w.hours) * 3_600_000, head: index, turn: 0, special: false)
                    }
                case .agentic:
                    for _ in 0..<count {
                        add((6 + rng.unit() * 16) * 3_600_000, head: index, turn: 0, special: false)
                    }
                }
            }
        }
        events.sort { ($0.ts, $0.account, $0.index) < ($1.ts, $1.account, $1.index) }
        return events
    }

    /// Local hour of a human session: rare at night, peaks late morning and evening.
    static func humanHour(_ rng: inout SeededRandom) -> Double {
        let weights: [Double] = [1, 0.6, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 5, 6, 6, 5, 3, 2]
        return Double(rng.weighted(weights)) + rng.unit()
    }

    // MARK: Writing

    static func writeDay(
        _ day: Int, population: SyntheticPopulation, config: GeneratorConfig, path: String, fileName: String,
        bad: [RejectReason]
    ) throws -> [InjectedBadLine] {
        let events = events(day: day, population: population, config: config)
        let style: LogStyle = config.style == .mixed ? (day % 2 == 0 ? .canonical : .gateway) : config.style
        var placement = SeededRandom(seed: config.seed, 4, UInt64(day))
        // Positions of the bad lines among the events of every account but the coding agents
        // (before the k-th such event), so that adding those accounts moved no bad line.
        let placed = events.map { population.accounts[Int($0.account)].kind != .codingAgent }
        let badPositions = bad.map { _ in placement.int(0...max(0, placed.count { $0 })) }.sorted()
        var injected: [InjectedBadLine] = []
        let writer = try GzipFileWriter(path: path, level: config.gzipLevel)
        let splitAt = day < config.multiMemberFiles ? events.count / 2 : -1
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var line = 0
        var badIndex = 0
        var placedSoFar = 0
        let renderer = LineRenderer(population: population, config: config, day: day, style: style)
        for k in 0...events.count {
            while (k == events.count || placed[k]) && badIndex < badPositions.count && badPositions[badIndex] == placedSoFar {
                renderer.renderBadLine(bad[badIndex], sequence: badIndex, into: &buffer)
                line += 1
                injected.append(InjectedBadLine(file: fileName, line: line, reason: bad[badIndex]))
                badIndex += 1
            }
            if k == splitAt {
                try writer.write(buffer)
                buffer.removeAll(keepingCapacity: true)
                try writer.finishMember()
            }
            guard k < events.count else { break }
            if placed[k] { placedSoFar += 1 }
            renderer.render(events[k], into: &buffer)
            line += 1
            if buffer.count >= 1 << 20 {
                try writer.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try writer.write(buffer)
        try writer.finishMember()
        return injected
    }
}

