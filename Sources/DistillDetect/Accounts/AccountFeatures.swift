// Figures derived from an account's state, in the problem's words: what `features` writes and
// what linkage and scoring read.
import Foundation

extension AccountState {
    public var outputInputRatio: Double { inputTokens == 0 ? 0 : Double(outputTokens) / Double(inputTokens) }
    public var errorShare: Double { share(errors) }
    public var singleTurnShare: Double { share(singleTurn) }
    public var promptShare: Double { share(withPrompt) }
    public var chainOfThoughtShare: Double { withPrompt == 0 ? 0 : Double(chainOfThought) / Double(withPrompt) }
    public var activeDayCount: Int { activeDays.keys.count }
    public var activeHourCount: Int { activeHours.hours }

    func share(_ n: Int) -> Double { exchanges == 0 ? 0 : Double(n) / Double(exchanges) }

    /// The most frequent topic (lowest index on ties) and its share of prompts.
    public var topTopic: (index: Int, share: Double)? {
        guard let best = zip(topics.keys, topics.counts).max(by: { ($0.1, -Int($0.0)) < ($1.1, -Int($1.0)) }) else { return nil }
        return (Int(best.0), Double(best.1) / Double(max(1, topics.total)))
    }

    public func topicShare(_ topic: Int) -> Double {
        topics.total == 0 ? 0 : Double(topics.count(UInt16(topic))) / Double(topics.total)
    }

    /// Shannon entropy of the topic histogram divided by log(topic count): 0 = one topic only.
    public func topicEntropy(topicCount: Int) -> Double {
        let total = Double(topics.total)
        guard total > 0, topicCount > 1 else { return 0 }
        var h = 0.0
        for c in topics.counts where c > 0 {
            let p = Double(c) / total
            h -= p * log(p)
        }
        return h / log(Double(topicCount))
    }

    /// Herfindahl–Hirschman index of the topic histogram (1 = one topic only).
    public var topicConcentration: Double {
        let total = Double(topics.total)
        guard total > 0 else { return 0 }
        return topics.counts.reduce(0) { $0 + pow(Double($1) / total, 2) }
    }

    /// Gaps between requests, in seconds, from the timestamp sample. When the sample holds
    /// fewer than all exchanges, gaps are scaled by (sampled − 1) / (exchanges − 1).
    public var interarrivalSeconds: [Double] {
        let t = times.times
        guard t.count > 1 else { return [] }
        let scale = exchanges > t.count ? Double(t.count - 1) / Double(exchanges - 1) : 1
        return (1..<t.count).map { Double(t[$0] - t[$0 - 1]) / 1000 * scale }
    }

    public var interarrivalMedianSeconds: Double? { interarrival.median }

    /// Coefficient of variation of the gaps: near 0 for a metronome, about 1 for random
    /// (Poisson) traffic, above 1 for bursts.
    public var interarrivalCV: Double? { interarrival.cv }

    /// Median and coefficient of variation of the gaps, from one pass over the sample.
    public var interarrival: (median: Double?, cv: Double?) {
        let gaps = interarrivalSeconds
        guard !gaps.isEmpty else { return (nil, nil) }
        let sorted = gaps.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        guard gaps.count > 1 else { return (median, nil) }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        guard mean > 0 else { return (median, 0) }
        let variance = gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count - 1)
        return (median, variance.squareRoot() / mean)
    }

    /// Share of exchanges between 00:00 and 06:00 UTC.
    public var nightShare: Double {
        var night: UInt64 = 0
        for (k, c) in zip(hourOfWeek.keys, hourOfWeek.counts) where Int(k) % 24 < 6 { night += UInt64(c) }
        return exchanges == 0 ? 0 : Double(night) / Double(exchanges)
    }
}

/// A column of `features` output that a field of the state declares (`AccountState.Fields.schema`).
struct AccountFeatureColumn: Sendable {
    enum Value {
        case integer(Int)
        case decimal(Double)
        case text(String)
    }

    let name: String
    /// The account's value; nil leaves the cell empty.
    let value: @Sendable (AccountState) -> Value?
}

/// The columns of `features` output: one row per account, sketches left out.
public enum AccountFeatureTable {
    public static func header(topicNames: [String]) -> [String] {
        [
            "account_id", "exchanges", "input_tokens", "output_tokens", "output_input_ratio", "error_share",
            "first_seen", "last_seen", "active_days", "active_hours", "account_created", "single_turn_share",
            "prompt_share", "interarrival_median_s", "interarrival_cv", "night_share", "distinct_ips",
            "distinct_networks", "distinct_user_agents", "distinct_api_keys", "distinct_orgs",
            "distinct_payment_fingerprints", "distinct_models", "distinct_system_prompts", "distinct_templates",
            "top_topic", "top_topic_share", "topic_entropy", "topic_hhi", "cot_share", "code_block_share",
        ] + topicNames.map { "topic_\($0)_share" } + [
            "ips", "networks", "payment_fingerprints", "orgs", "user_agents", "models", "exemplar_prompt",
        ] + schemaColumns.map(\.name)
    }

    /// The columns fields declare in `AccountState.Fields.schema`, after the built-in ones.
    static let schemaColumns = AccountState.Fields.schema.flatMap(\.columns)

    public static func row(_ a: AccountState, topicNames: [String]) -> [CSVField] {
        func count(_ d: Double) -> CSVField { .int(Int(d.rounded())) }
        let interarrival = a.interarrival
        var row: [CSVField] = [
            .text(a.accountID), .integer(a.exchanges), .integer(a.inputTokens), .integer(a.outputTokens),
            .decimal(a.outputInputRatio), .decimal(a.errorShare),
            .text(a.exchanges > 0 ? Timestamp.format(milliseconds: a.firstSeen) : ""),
            .text(a.exchanges > 0 ? Timestamp.format(milliseconds: a.lastSeen) : ""),
            .integer(a.activeDayCount), .integer(a.activeHourCount),
            .text(a.createdAt.map { Timestamp.format(milliseconds: $0) } ?? ""),
            .decimal(a.singleTurnShare), .decimal(a.promptShare),
            interarrival.median.map { .decimal($0) } ?? .empty,
            interarrival.cv.map { .decimal($0) } ?? .empty,
            .decimal(a.nightShare), count(a.ips.distinctCount), count(a.networks.distinctCount),
            count(a.userAgents.distinctCount), count(a.apiKeys.distinctCount), count(a.orgs.distinctCount),
            count(a.payments.distinctCount), count(a.models.distinctCount), count(a.systemPrompts.distinctCount),
            count(a.templates.distinctCount),
        ]
        if let top = a.topTopic {
            row += [.text(topicNames[top.index]), .decimal(top.share)]
        } else {
            row += [.empty, .empty]
        }
        row += [
            .decimal(a.topicEntropy(topicCount: topicNames.count)), .decimal(a.topicConcentration),
            .decimal(a.chainOfThoughtShare), .decimal(a.withPrompt == 0 ? 0 : Double(a.codeBlocks) / Double(a.withPrompt)),
        ]
        // Topic shares from one pass over the histogram (same figures as `topicShare`).
        var topicCounts = [UInt32](repeating: 0, count: topicNames.count)
        var topicTotal: UInt64 = 0
        for e in a.topics.entries {
            topicTotal += UInt64(e.count)
            if Int(e.key) < topicCounts.count { topicCounts[Int(e.key)] = e.count }
        }
        row += topicCounts.map { .decimal(topicTotal == 0 ? 0 : Double($0) / Double(topicTotal)) }
        row += [
            .text(a.ips.labels.joined(separator: " ")), .text(a.networks.labels.joined(separator: " ")),
            .text(a.payments.labels.joined(separator: " ")), .text(a.orgs.labels.joined(separator: " ")),
            .text(a.userAgents.labels.joined(separator: " | ")), .text(a.models.labels.joined(separator: " ")),
            .text(a.exemplars.first?.text ?? ""),
        ]
        for column in schemaColumns {
            switch column.value(a) {
            case .integer(let v): row.append(.integer(v))
            case .decimal(let v): row.append(.decimal(v))
            case .text(let v): row.append(.text(v))
            case nil: row.append(.empty)
            }
        }
        return row
    }
}
