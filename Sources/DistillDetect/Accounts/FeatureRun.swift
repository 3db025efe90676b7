// The accounts stage run as a whole: inputs → ingest → decode → per-exchange features → merged
// account states, for `features`, `analyze`, `state build` and `nightly` (Sources/DistillPipeline).
// It stays in the core so the generic scanner is specialised for the account fold here.

public struct FeatureRunResult: Sendable {
    public var report: ScanReport
    public var accounts: [AccountState]
    public var topicNames: [String]
    public var stageSeconds: [String: Double]
}

public enum FeatureRun {
    /// Reads `inputs` (which may be empty) and merges in `priorStates`, all of one taxonomy.
    /// With `keepContent`, content is kept even when a placeholder fills most records (for
    /// state saved to be merged with other splits: the rule is applied once all are together).
    /// With `byDay`, one state per account and UTC day, sorted by (id, day) (no `priorStates`).
    public static func run(
        inputs: [InputSource], options: ScanOptions, taxonomy: CompiledTaxonomy, priorStates: [[AccountState]] = [],
        keepContent: Bool = false, byDay: Bool = false
    ) -> FeatureRunResult {
        let started = monotonicSeconds()
        let (report, accumulators) = LogScanner.scan(inputs, options: options) { _ in AccountAccumulator(taxonomy: taxonomy, byDay: byDay) }
        let scanned = monotonicSeconds()
        var accounts = AccountAccumulator.merge(accumulators, threads: options.threads)
        if !priorStates.isEmpty {
            accounts = mergeSorted([accounts] + priorStates)
        }
        if !keepContent { applyContentRule(&accounts, report: report) }
        let merged = monotonicSeconds()
        return FeatureRunResult(
            report: report, accounts: accounts, topicNames: taxonomy.topicNames,
            stageSeconds: ["ingest_decode_features": scanned - started, "merge": merged - scanned])
    }

    /// One prompt value (a redaction placeholder) fills most records: its template and
    /// vocabulary would link every account, so content is left out of detection.
    public static func applyContentRule(_ accounts: inout [AccountState], report: ScanReport) {
        guard report.promptIsPlaceholder else { return }
        for i in accounts.indices { accounts[i].dropContent() }
    }

    /// Merges lists of account states (each sorted by id) into one sorted list.
    public static func mergeSorted(_ lists: [[AccountState]]) -> [AccountState] {
        var byID: [String: AccountState] = [:]
        for list in lists {
            for state in list {
                if byID[state.accountID] != nil {
                    byID[state.accountID]!.merge(state)
                } else {
                    byID[state.accountID] = state
                }
            }
        }
        return byID.values.sorted { $0.accountID < $1.accountID }
    }
}
