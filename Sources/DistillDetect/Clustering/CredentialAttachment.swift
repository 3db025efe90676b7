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
    /// of its holders). `tables` are the run's (`HolderTables`). O(members' credentials +
    /// accounts' credentials).
    static func candidates(for members: [Int], accounts: [AccountState], tables: HolderTables, taken: Set<Int>) -> [Int] {
        var inside: [Int32: Int32] = [:]
        for m in members { for id in tables.credentials(m) { inside[id, default: 0] += 1 } }
        var own = [Bool](repeating: false, count: tables.idCount)
        var owned = 0
        for (id, count) in inside where count >= 2 && 2 * count >= tables.holders[Int(id)] {
            own[Int(id)] = true
            owned += 1
        }
        guard owned > 0 else { return [] }
        var inCluster = [Bool](repeating: false, count: accounts.count)
        for m in members { inCluster[m] = true }
        return accounts.indices.filter { i in
            !inCluster[i] && tables.credentials(i).contains { own[Int($0)] } && !taken.contains(i)
        }
    }
}
