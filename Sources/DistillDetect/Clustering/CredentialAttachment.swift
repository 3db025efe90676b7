// Attaches accounts paid for or driven with a reported cluster's own credentials. An operator
// that buys a handful of cards and spreads them over its accounts puts some of those accounts
// on its subnets (a network block finds them) and others behind rotating proxies (no block
// does); the cards tie the second kind to the first. A card or API key counts as the
// cluster's when members hold at least half of its holders, and two members at least: a card
// that a family shares, or that one member shares with an unrelated household, is not the
// cluster's and attaches nobody.

public enum CredentialAttachment {
    /// Accounts (indices, ascending) outside `members` and `taken` that hold a payment
    /// fingerprint or API key of the cluster (held by two or more members, who are at least half
    /// of its holders). `holders` is `holders(_:)` of the run. O(members' credentials + accounts'
    /// credentials).
    static func candidates(for members: [Int], accounts: [AccountState], holders: [UInt64: Int], taken: Set<Int>) -> [Int] {
        var inside: [UInt64: Int] = [:]
        for m in members { for h in credentials(accounts[m]) { inside[h, default: 0] += 1 } }
        let own = Set(inside.filter { $0.value >= 2 && 2 * $0.value >= holders[$0.key, default: $0.value] }.map(\.key))
        guard !own.isEmpty else { return [] }
        let inCluster = Set(members)
        return accounts.indices.filter { i in
            !inCluster.contains(i) && !taken.contains(i) && credentials(accounts[i]).contains { own.contains($0) }
        }
    }

    /// Accounts holding each payment fingerprint and API key (tagged apart), counted once per run.
    static func holders(_ accounts: [AccountState]) -> [UInt64: Int] {
        var holders: [UInt64: Int] = [:]
        for i in accounts.indices { for h in credentials(accounts[i]) { holders[h, default: 0] += 1 } }
        return holders
    }

    /// An account's payment fingerprints and API keys, tagged by kind.
    static func credentials(_ account: borrowing AccountState) -> [UInt64] {
        account.payments.values.hashes.map { StableHash.combine(CredentialBlocks.Kind.payment.rawValue, $0) }
            + account.apiKeys.hashes.map { StableHash.combine(CredentialBlocks.Kind.apiKey.rawValue, $0) }
    }
}
