import Foundation
// Stage 4 of the pipeline: each decode worker turns its records into per-exchange features
// and folds them into its own table of account states; the tables are then merged by
// account-hash shard on all cores. Merges are exact, so any thread count gives the same result.

public final class AccountAccumulator: ExchangeConsumer {
    public let taxonomy: CompiledTaxonomy
    /// Keeps one state per account and UTC day (the nightly job stores days separately).
    public let byDay: Bool
    private var analyzer: PromptAnalyzer
    /// Account-id hash → index in `states`.
    private(set) var index: [UInt64: Int] = [:]
    private(set) var states: [AccountState] = []
    private(set) var keys: [UInt64] = []

    public init(taxonomy: CompiledTaxonomy, byDay: Bool = false) {
        self.taxonomy = taxonomy
        self.byDay = byDay
        analyzer = PromptAnalyzer(taxonomy: taxonomy)
    }

    /// Hash of an account id; ids are compared by this 64-bit hash (a collision among a
    /// million accounts has a chance of about 3e-8).
    @inline(__always)
    static func accountKey(_ record: borrowing DecodedExchange) -> UInt64 {
        if let raw = record.rawBytes(.accountID) { return StableHash.hash(raw, seed: 0x6163) }
        return StableHash.hash(record.string(.accountID) ?? "", seed: 0x6163)
    }

    public func consume(_ record: borrowing DecodedExchange) {
        var key = Self.accountKey(record)
        if byDay { key = StableHash.combine(key, UInt64(bitPattern: Timestamp.day(record.timestampMilliseconds))) }
        let slot: Int
        if let existing = index[key] {
            slot = existing
        } else {
            slot = states.count
            index[key] = slot
            keys.append(key)
            states.append(AccountState(accountID: record.string(.accountID) ?? ""))
        }
        if let spans = record.promptSpans {
            analyzer.analyze(line: record.line, spans: record.textSpans[spans])
            states[slot].add(record, prompt: analyzer.features, shingles: analyzer.shingles) {
                self.analyzer.materializeText()
                return self.analyzer.promptText
            }
        } else {
            states[slot].add(record, prompt: nil, shingles: []) { "" }
        }
    }

    /// Hands over the states (and their keys), leaving this accumulator empty.
    func takeStates() -> (keys: [UInt64], states: [AccountState]) {
        defer {
            index = [:]
            keys = []
            states = []
        }
        return (keys, states)
    }

    /// Merges the workers' tables into one list of accounts sorted by account id, using
    /// `threads` threads (one shard of the account-hash space each). The accumulators are
    /// emptied: their states move into the result, so no state is copied and merged in place.
    public static func merge(_ accumulators: [AccountAccumulator], threads: Int) -> [AccountState] {
        let shards = max(1, threads)
        let buckets = ResultSlots<[(key: UInt64, state: AccountState)]>(count: shards)
        var partition = Array(repeating: [(key: UInt64, state: AccountState)](), count: shards)
        // popLast moves elements out without copying, so every state stays uniquely
        // referenced and merges mutate it in place (no copy-on-write).
        for accumulator in accumulators {
            var (keys, states) = accumulator.takeStates()
            while let state = states.popLast(), let key = keys.popLast() {
                partition[Int(key % UInt64(shards))].append((key, state))
            }
        }
        for shard in 0..<shards { buckets.set(shard, partition[shard]) }
        partition = []
        let results = ResultSlots<[AccountState]>(count: shards)
        runOnThreads(shards) { shard in
            var bucket = buckets.take(shard)
            var index: [UInt64: Int] = [:]
            var merged: [AccountState] = []
            while let (key, state) = bucket.popLast() {
                if let at = index[key] {
                    merged[at].merge(state)
                } else {
                    index[key] = merged.count
                    merged.append(state)
                }
            }
            results.set(shard, merged)
        }
        var all: [AccountState] = []
        for shard in 0..<shards {
            var part = results.take(shard)
            while let state = part.popLast() { all.append(state) }
        }
        // Sort indices, then move each state once: states are large, swapping them is not free.
        // Per-day states of one account follow each other by day.
        let order = all.indices.sorted { (all[$0].accountID, all[$0].firstSeen) < (all[$1].accountID, all[$1].firstSeen) }
        return order.map { all[$0] }
    }
}
