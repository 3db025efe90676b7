// The run's networks and credentials as dense ids with their holders, for the attachments of
// reported clusters (`NetworkPoolAttachment`, `CredentialAttachment`, `EvidenceAttachment`).
// The null model's index (`PopulationIndex`) has given every account's keys dense ids and
// counted their holders already: the attachments read those instead of hashing every
// account's networks and credentials into dictionaries of their own, once per run and again
// per cluster.

struct HolderTables: Sendable {
    /// Account i's network ids are `networkIDs[networkOffsets[i]..<networkOffsets[i + 1]]`, in
    /// the order of `networks.values.hashes`.
    private let networkOffsets: [UInt32]
    private let networkIDs: [Int32]
    /// Accounts holding each id (of any kind): for a network, a payment fingerprint or an API
    /// key, the accounts whose sets keep it.
    let holders: [Int32]
    /// Per network id, its holders each weighted by 1 / coverage of its network set
    /// (`EvidenceAttachment.coverage`, Horvitz–Thompson), summed in account order; 0 for ids
    /// of other kinds.
    let estimatedHolders: [Double]
    private let index: PopulationIndex

    /// O(accounts' networks). `index` must index `accounts` (not be the empty index).
    init(_ accounts: [AccountState], index: PopulationIndex) {
        precondition(index.count == accounts.count, "the index must index the accounts")
        var offsets: [UInt32] = [0]
        offsets.reserveCapacity(accounts.count + 1)
        var ids: [Int32] = []
        var estimated = [Double](repeating: 0, count: index.users.count)
        for i in accounts.indices {
            // The index lists an account's networks first among its addresses, then its IPs.
            let networks = accounts[i].networks.values
            let w = 1 / EvidenceAttachment.coverage(networks)
            for id in index.addresses.keys(i).prefix(networks.count) {
                ids.append(id)
                estimated[Int(id)] += w
            }
            offsets.append(UInt32(ids.count))
        }
        networkOffsets = offsets
        networkIDs = ids
        holders = index.users
        estimatedHolders = estimated
        self.index = index
    }

    /// Number of ids: the size of a table indexed by id.
    var idCount: Int { holders.count }

    /// Account i's network ids (one per kept /24 or /48 network).
    func networks(_ i: Int) -> ArraySlice<Int32> { networkIDs[Int(networkOffsets[i])..<Int(networkOffsets[i + 1])] }

    /// Account i's payment fingerprint and API key ids.
    func credentials(_ i: Int) -> ArraySlice<Int32> { index.identities.keys(i) }
}
