// The second half of the infrastructure graph: what accounts share besides addresses. Payment
// fingerprints, API keys, user agents few accounts send (browsers' excepted), and creation
// bursts (accounts registered in the same sitting, `CreationBursts`) are the identifiers of an
// account × identifier graph, peeled for its densest blocks by `DenseBlocks` exactly as the
// networks are: each identifier's edges weigh 1 / ln(holders + 5), so a card a household shares
// or a client library a thousand developers use adds little, and an account that shares only one
// identifier with a block is peeled before the accounts that share several (Fraudar's density:
// Hooi et al., KDD 2016). Accounts that share a card, a key and a sign-up hour with the same
// others are what an operator paying for and registering accounts in bulk leaves behind.
//
// Addresses are left to the network graph (an IP lies inside its /24 or /48, which that graph
// holds), so a block of this graph is tested on its addresses and a network block on its
// credentials: neither is significant by construction on what formed it.

public enum CredentialBlocks {
    /// Identifier kinds, hashed apart.
    enum Kind: UInt64 {
        case payment = 0x5041_594D
        case apiKey = 0x4B45_59
        case userAgent = 0x5541
        case creationBurst = 0x4255_5253_54
    }

    /// The credential identifiers of each account (tagged by kind): its payment fingerprints, its
    /// API keys, its user agents held by at most `maxAgentHolders` accounts, browsers' excepted
    /// (`BrowserAgents`), and its creation burst. A user agent many accounts send is a popular
    /// client, not a shared identity, and would join thousands of unrelated accounts into one
    /// component. O(total identifiers).
    static func identifiers(_ accounts: [AccountState], bursts: CreationBursts, maxAgentHolders: Int) -> [ArraySlice<UInt64>] {
        let browsers = BrowserAgents.hashes(accounts)
        var agentHolders: [UInt64: Int] = [:]
        for i in accounts.indices { accounts[i].userAgents.values.forEach { agentHolders[$0, default: 0] += 1 } }
        // One flat list, each account's identifiers a slice of it (no array per account).
        var flat: [UInt64] = []
        var ends: [Int] = []
        ends.reserveCapacity(accounts.count)
        for i in accounts.indices {
            accounts[i].payments.values.forEach { flat.append(StableHash.combine(Kind.payment.rawValue, $0)) }
            accounts[i].apiKeys.forEach { flat.append(StableHash.combine(Kind.apiKey.rawValue, $0)) }
            accounts[i].userAgents.values.forEach { h in
                if agentHolders[h, default: 0] <= maxAgentHolders && !browsers.contains(h) { flat.append(StableHash.combine(Kind.userAgent.rawValue, h)) }
            }
            if let b = bursts.burstOf[i] { flat.append(StableHash.combine(Kind.creationBurst.rawValue, UInt64(b))) }
            ends.append(flat.count)
        }
        return accounts.indices.map { i in flat[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }
    }
}
