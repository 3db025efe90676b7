import CSupport
import Foundation
// Stage 4 of the pipeline: each decode worker turns its records into per-exchange features
// and folds them into its own table of account states. Workers are handed the lines of their
// own accounts (`AccountRouter`), so an account's state is normally in one table; whatever the
// routing, the tables are then merged by account-hash shard on all cores, and merges are
// exact, so any thread count gives the same result. Accounts are told apart by their id bytes
// (`AccountIndex`), never by a hash alone.

public final class AccountAccumulator: ExchangeConsumer {
    public let taxonomy: CompiledTaxonomy
    /// Keeps one state per account and UTC day (the nightly job stores days separately).
    public let byDay: Bool
    // Touched for every exchange by the one worker that owns this accumulator: no dynamic
    // exclusivity checks (they cost about 2% of the pipeline's instructions).
    @exclusivity(unchecked) private var analyzer: PromptAnalyzer
    /// Analyses tool-result text: its template and shingles link accounts that replay tool
    /// loops with the same synthetic tool outputs, as shared prompt templates do.
    @exclusivity(unchecked) private var resultAnalyzer = PromptAnalyzer(taxonomy: nil)
    /// Account id (and day, when `byDay`) → index in `states`: equal ids, not equal hashes.
    @exclusivity(unchecked) private var index = AccountIndex()
    /// Each account's rarely touched state; its per-exchange part is in `hot`.
    @exclusivity(unchecked) private(set) var states: [AccountState] = []
    /// Per-exchange parts of the states of accounts seen more than once (a first exchange
    /// goes straight into the account's state: a one-exchange account then costs no 2 KB hot
    /// part), `segmentSize` per allocation: appending never moves them, and `takeStates`
    /// frees them one segment at a time.
    @exclusivity(unchecked) private var hot: [UnsafeMutablePointer<HotAccountState>] = []
    /// Per slot: its hot part's index, or -1 while it has none.
    @exclusivity(unchecked) private var hotIndex: [Int32] = []
    /// Per hot part: its slot.
    @exclusivity(unchecked) private var hotOwner: [Int32] = []
    /// Folds of the fields the hot fold does not keep (`AccountState.Fields.schema`).
    private let extraFolds = AccountState.Fields.extraFolds
    static let segmentShift = 12
    static let segmentSize = 1 << segmentShift

    public init(taxonomy: CompiledTaxonomy, byDay: Bool = false) {
        precondition(AccountState.vocabularyBins == 128 && AccountState.synchronyBins == 64)
        self.taxonomy = taxonomy
        self.byDay = byDay
        analyzer = PromptAnalyzer(taxonomy: taxonomy)
    }

    deinit {
        releaseHot(from: 0)
    }

    /// Workers split lines by account (see `AccountRouter`), so each keeps its own accounts.
    public static var routesByAccount: Bool { true }

    @inline(__always)
    private func hotState(_ h: Int) -> UnsafeMutablePointer<HotAccountState> {
        hot[h >> Self.segmentShift] + (h & (Self.segmentSize - 1))
    }

    public func consume(_ record: borrowing DecodedExchange) {
        let tag = byDay ? Timestamp.day(record.timestampMilliseconds) : 0
        let (slot, inserted) = record.withAccountIDBytes { index.slot(for: $0, tag: tag) }
        if inserted {
            states.append(AccountState(accountID: record.string(.accountID) ?? ""))
            hotIndex.append(-1)
            // The first exchange folds in through a hot part on the stack, finished at once.
            var first = HotAccountState()
            fold(record, into: &first, slot: slot)
            first.finish(into: &states[slot].fields)
            return
        }
        var h = Int(hotIndex[slot])
        if h < 0 {
            h = hotOwner.count
            hotOwner.append(Int32(slot))
            hotIndex[slot] = Int32(h)
            if h & (Self.segmentSize - 1) == 0 {
                hot.append(UnsafeMutablePointer<HotAccountState>.allocate(capacity: Self.segmentSize))
            }
            hotState(h).initialize(to: HotAccountState())
            hotState(h).pointee.syncExemplars(from: states[slot].fields)
        }
        let state = hotState(h)
        // The account's per-exchange state is rarely in cache (accounts interleave); ask for
        // it now, so it arrives while the prompt is analysed.
        dd_prefetch_for_write(state, MemoryLayout<HotAccountState>.size)
        fold(record, into: &state.pointee, slot: slot)
    }

    /// Folds one exchange into a hot part of the account in `slot`.
    @inline(__always)
    private func fold(_ record: borrowing DecodedExchange, into state: inout HotAccountState, slot: Int) {
        if let spans = record.promptSpans {
            analyzer.analyze(line: record.line, spans: record.textSpans[spans])
            state.add(record, prompt: analyzer.features, cold: &states[slot].fields) {
                self.analyzer.materializeText()
                return self.analyzer.promptText
            }
            analyzer.insertShingles(into: &state)
        } else {
            state.add(record, prompt: nil, cold: &states[slot].fields) { "" }
        }
        if let results = record.toolResultSpans {
            resultAnalyzer.analyze(line: record.line, spans: results)
            state.insertTemplate(StableHash.combine(resultAnalyzer.features.templateKey, Self.toolResultTag))
            resultAnalyzer.insertShingles(into: &state)
        }
        if !extraFolds.isEmpty {
            let prompt = record.promptSpans == nil ? nil : analyzer.features
            for fold in extraFolds { fold(&states[slot].fields, record, prompt) }
        }
        if record.toolSetKey != 0 {
            // The tool set joins the vocabulary as one more element: a custom tool set shared
            // by a network links it; a popular agent's, shared by thousands, weighs little
            // (`VocabularyRarity`).
            var key = StableHash.combine(record.toolSetKey, Self.toolResultTag)
            withUnsafePointer(to: &key) { state.insertVocabulary(UnsafeBufferPointer(start: $0, count: 1)) }
        }
    }

    /// Tags tool-result templates apart from prompt templates.
    static let toolResultTag: UInt64 = 0x746F_6F6C_7265_73

    /// Frees the hot segments from `segment` on (their states must be finished).
    private func releaseHot(from segment: Int) {
        for s in segment..<hot.count {
            let first = s << Self.segmentShift
            hot[s].deinitialize(count: min(Self.segmentSize, hotOwner.count - first))
            hot[s].deallocate()
        }
        hot.removeSubrange(segment...)
    }

    /// The worker has no more lines: finish the states now, on its own thread, while other
    /// workers may still be reading theirs.
    public func scanEnded() {
        finishHot()
    }

    /// Hands the per-exchange parts over to the states. Finishes the last segment first and
    /// frees it, so the hot parts and the finished states are never all in memory at once.
    private func finishHot() {
        while !hot.isEmpty {
            let segment = hot.count - 1
            let first = segment << Self.segmentShift
            for h in first..<min(first + Self.segmentSize, hotOwner.count) {
                hotState(h).pointee.finish(into: &states[Int(hotOwner[h])].fields)
            }
            releaseHot(from: segment)
            hotOwner.removeSubrange(min(first, hotOwner.count)...)
        }
        hotIndex = []
    }

    /// Hands over the states (and their placing hashes), leaving this accumulator empty.
    func takeStates() -> (keys: [UInt64], states: [AccountState]) {
        finishHot()
        defer {
            index = AccountIndex()
            states = []
        }
        return (index.hashes, states)
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
        // Each worker's table is finished (hot parts handed over) on a thread of its own.
        let taken = ResultSlots<(keys: [UInt64], states: [AccountState])>(count: accumulators.count)
        let shared = UncheckedSendable(accumulators)
        runOnThreads(accumulators.count) { i in taken.set(i, shared.value[i].takeStates()) }
        for i in accumulators.indices {
            var (keys, states) = taken.take(i)
            while let state = states.popLast(), let key = keys.popLast() {
                partition[Int(key % UInt64(shards))].append((key, state))
            }
        }
        for shard in 0..<shards { buckets.set(shard, partition[shard]) }
        partition = []
        let results = ResultSlots<[AccountState]>(count: shards)
        let byDay = accumulators.first?.byDay ?? false
        runOnThreads(shards) { shard in
            var bucket = buckets.take(shard)
            var index: [MergeKey: Int] = [:]
            var merged: [AccountState] = []
            while let (key, state) = bucket.popLast() {
                let k = MergeKey(hash: key, accountID: state.accountID, day: byDay ? Timestamp.day(state.firstSeen) : 0)
                if let at = index[k] {
                    merged[at].merge(state)
                } else {
                    index[k] = merged.count
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
        // Sort indices, then move each state once, following the permutation's cycles (states
        // are large; copying one would retain each of its buffers). Per-day states of one
        // account follow each other by day.
        let order = all.indices.sorted { (all[$0].accountID, all[$0].firstSeen) < (all[$1].accountID, all[$1].firstSeen) }
        var placed = [Bool](repeating: false, count: order.count)
        for start in order.indices where !placed[start] {
            var k = start
            placed[k] = true
            while order[k] != start {
                all.swapAt(k, order[k])
                k = order[k]
                placed[k] = true
            }
        }
        return all
    }
}

/// An account (and day) in the merge: placed by its hash, equal by its id.
private struct MergeKey: Hashable {
    var hash: UInt64
    var accountID: String
    var day: Int64

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    static func == (a: MergeKey, b: MergeKey) -> Bool { a.hash == b.hash && a.day == b.day && a.accountID == b.accountID }
}

extension PromptAnalyzer {
    /// Adds the last prompt's shingles to an account's vocabulary sketch.
    @inline(__always)
    func insertShingles(into hot: inout HotAccountState) {
        withShingles { hot.insertVocabulary($0) }
    }
}
