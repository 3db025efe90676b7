// The run's networks and credentials as dense ids with their holders, for the attachments of
// reported clusters (`NetworkPoolAttachment`, `CredentialAttachment`, `EvidenceAttachment`).
// The null model's index (`PopulationIndex`) has given every account's keys dense ids and
// counted their holders already: the attachments read those instead of hashing every
// account's networks and credentials into dictionaries of their own, once per run and again
// per cluster.

struct HolderTables: Sendable {
    /// Account i's network ids are `networkIDs[networkOffsets[i]..<networkOffsets[i + 1]]`, in
    /// the order of `networks.values.hashes`; its credential ids likewise.
    private let networkOffsets: [UInt32]
    private let networkIDs: [Int32]
    private let credentialOffsets: [UInt32]
    private let credentialIDs: [Int32]
    /// Accounts holding each id (of any kind): for a network, a payment fingerprint or an API
    /// key, the accounts whose sets keep it.
    let holders: [Int32]
    /// Per network id, its holders each weighted by 1 / coverage of its network set
    /// (`EvidenceAttachment.coverage`, Horvitz–Thompson), summed in account order; 0 for ids
    /// of other kinds.
    let estimatedHolders: [Double]

    /// `holders`: accounts holding each id. `addresses(i)`: account i's address ids, those of
    /// its networks first (in the order of `networks.values.hashes`), then any others (its
    /// IPs). `credentials(i)`: the ids of its payment fingerprints and API keys. O(accounts'
    /// networks and credentials).
    init(
        _ accounts: [AccountState], holders: [Int32], addresses: (Int) -> ArraySlice<Int32>,
        credentials: (Int) -> ArraySlice<Int32>
    ) {
        var networkOffsets: [UInt32] = [0]
        var networkIDs: [Int32] = []
        var credentialOffsets: [UInt32] = [0]
        var credentialIDs: [Int32] = []
        networkOffsets.reserveCapacity(accounts.count + 1)
        credentialOffsets.reserveCapacity(accounts.count + 1)
        var estimated = [Double](repeating: 0, count: holders.count)
        for i in accounts.indices {
            let networks = accounts[i].networks.values
            let w = 1 / EvidenceAttachment.coverage(networks)
            for id in addresses(i).prefix(networks.count) {
                networkIDs.append(id)
                estimated[Int(id)] += w
            }
            networkOffsets.append(UInt32(networkIDs.count))
            credentialIDs += credentials(i)
            credentialOffsets.append(UInt32(credentialIDs.count))
        }
        self.networkOffsets = networkOffsets
        self.networkIDs = networkIDs
        self.credentialOffsets = credentialOffsets
        self.credentialIDs = credentialIDs
        self.holders = holders
        estimatedHolders = estimated
    }

    /// Number of ids: the size of a table indexed by id.
    var idCount: Int { holders.count }

    /// Account i's network ids (one per kept /24 or /48 network).
    func networks(_ i: Int) -> ArraySlice<Int32> { networkIDs[Int(networkOffsets[i])..<Int(networkOffsets[i + 1])] }

    /// Account i's payment fingerprint and API key ids.
    func credentials(_ i: Int) -> ArraySlice<Int32> { credentialIDs[Int(credentialOffsets[i])..<Int(credentialOffsets[i + 1])] }
}
