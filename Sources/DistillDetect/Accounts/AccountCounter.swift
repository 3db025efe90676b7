// The consumer of `check`: the scan without features, counting distinct accounts.

/// Counts distinct accounts: distinct id bytes (a hash only places an id).
public final class AccountCounter: ExchangeConsumer {
    private(set) var accounts = AccountIndex()

    public init() {}

    public func consume(_ record: borrowing DecodedExchange) {
        _ = record.withAccountIDBytes { accounts.slot(for: $0) }
    }

    /// Reads `inputs` as `analyze` would, counting records and distinct accounts only (`check`).
    public static func scan(_ inputs: [InputSource], options: ScanOptions) -> (report: ScanReport, accounts: Int) {
        let (report, counters) = LogScanner.scan(inputs, options: options) { _ in AccountCounter() }
        return (report, distinctAccounts(counters))
    }

    /// Distinct accounts seen by all the counters (workers see overlapping accounts).
    public static func distinctAccounts(_ counters: [AccountCounter]) -> Int {
        guard var all = counters.first?.accounts else { return 0 }
        for counter in counters.dropFirst() {
            for slot in 0..<counter.accounts.count {
                _ = counter.accounts.id(slot).withUnsafeBytes { all.slot(for: $0) }
            }
        }
        return all.count
    }
}
