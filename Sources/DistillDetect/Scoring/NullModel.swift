// The null model of stage 7: how a group of n accounts drawn at random from the same run's
// population (matched on volume) looks, family by family. A cluster's evidence is how far its
// figures sit above those of such groups: an empirical p-value, sharpened by a normal tail
// where the random groups never reach the cluster's figure.
//
// Written by hand: a Monte Carlo null of group statistics over this project's account state
// (Good, "Permutation, Parametric, and Bootstrap Tests of Hypotheses", 2005, ch. 3) is not in
// any package.
import Foundation

/// The independent kinds of evidence a cluster is measured on.
public enum EvidenceFamily: Int, CaseIterable, Sendable {
    /// Shared prompt templates, each weighted by the share of its users inside the group.
    case content
    /// Concentration on the taxonomy's extraction targets, together and one by one.
    case capability
    /// IPs, /24 and /48 networks, payment fingerprints and API keys, and user agents other than
    /// browsers' shared within the cluster, each weighted by the share of its users that are
    /// members.
    case infrastructure
    /// Accounts created together, actions in the same 10-minute buckets (synchrony of
    /// near-duplicate prompts, and of metadata actions: network, model, endpoint, user agent),
    /// and traffic moved to a model within a day of its release (`ModelPivot`).
    case timing
    /// Equal volumes across accounts, and load spread round the clock (accounts each working
    /// all day, or taking turns).
    case loadBalancing

    /// Of `families` (each significant), how many count as independent evidence: with
    /// `textCountsOnce`, content and capability together count once (a content cluster whose
    /// text brings its topics with it: `ClusterScoring.score`).
    public static func independentCount(_ families: some Sequence<EvidenceFamily>, textCountsOnce: Bool) -> Int {
        var count = 0
        var text = false
        for f in families {
            if textCountsOnce && (f == .content || f == .capability) {
                if text { continue }
                text = true
            }
            count += 1
        }
        return count
    }

    public var name: String {
        switch self {
        case .content: "content"
        case .capability: "capability"
        case .infrastructure: "infrastructure"
        case .timing: "timing"
        case .loadBalancing: "load_balancing"
        }
    }
}

/// What formed a candidate cluster. Whatever formed it is significant by construction, so its
/// tests are shown but left out (`GroupFigures.tests`).
public enum CandidateFormation: String, Sendable {
    /// Rarity-weighted vocabulary similarity (which no test uses).
    case content
    /// A dense block of shared /24 and /48 networks (`DenseBlocks`): the address test is left out.
    case networks = "infrastructure"
    /// A dense block of shared payment fingerprints, API keys, rare user agents and creation
    /// bursts (`CredentialBlocks`): the credential and created-together tests are left out.
    case credentials
    /// Synchrony of metadata actions (`SynchronyLinkage`): the action-synchrony test is left out.
    case synchrony

    /// The families whose evidence formed the candidate.
    public var families: Set<EvidenceFamily> {
        switch self {
        case .content: []
        case .networks: [.infrastructure]
        case .credentials: [.infrastructure, .timing]
        case .synchrony: [.timing]
        }
    }
}

/// One family's figure for a cluster beside its null reference.
public struct FamilyEvidence: Sendable {
    public var family: EvidenceFamily
    /// The cluster's figure of the family's strongest test (a share or similarity, 0–1).
    public var statistic: Double
    /// Mean and standard deviation of that figure over the random groups.
    public var nullMean: Double
    public var nullSD: Double
    /// Family p-value: the smallest of its tests' p-values times their number (Bonferroni),
    /// at most 1. 1 when the family cannot be measured (no prompt text, no creation times).
    public var pValue: Double
    /// Whether the logs carry what the family needs.
    public var available: Bool
    /// What the figure is, in words ("shared networks").
    public var label: String
    /// Timing only: the metadata action synchrony figure and its mean over the random groups,
    /// whether tested or not (a cluster formed by synchrony shows it untested).
    public var actionSynchrony: Double? = nil
    public var actionSynchronyNullMean: Double? = nil
}

/// Per-account figures the null model reads, extracted once per run.
struct PopulationIndex: @unchecked Sendable {
    let count: Int
    /// Volume stratum (octave of exchanges) per account, and the accounts of each stratum.
    let stratum: [Int]
    let strata: [[Int]]
    let exchanges: [Double]
    let withPrompt: [Bool]
    let extractionShare: [Double]
    /// Names of the extraction-target topics, and per target the accounts' shares.
    let targetNames: [String]
    /// The label of each target's test ("share of prompts on …"), made once for every group.
    let targetLabels: [String]
    let targetShares: [[Double]]
    /// `Int64.min` where unknown.
    let createdAt: [Int64]
    /// Identifiers (tagged by kind) and template keys per account, as dense ids into `users`:
    /// addresses (networks and IPs), and the rest (payment fingerprints, user agents, keys).
    let addresses: FlatKeys
    let credentials: FlatKeys
    /// Payment fingerprints and API keys only (no user agents): the credential test of every
    /// cluster (ids of `credentials`). A content cluster has no user-agent test: its members
    /// were linked by their text, and a product's text (its system prompt, its tool set, its
    /// tool output) comes with the product's user agent: users of one coding agent share both by
    /// using it.
    let identities: FlatKeys
    /// User agents other than browsers' (`BrowserAgents`; ids of `credentials`): the user-agent
    /// test. Apart from the cards and keys, so that a group concentrated on a popular client
    /// library, which random groups share a little of too, does not blur a handful of shared
    /// cards, which random groups almost never share.
    let agents: FlatKeys
    /// /16 and /32 prefixes (`AccountState.prefixes`, the kept hashes): network rotation.
    let prefixes: FlatKeys
    let templates: FlatKeys
    /// Near-duplicate prompt keys (`AccountState.nearDuplicates`), tagged apart from templates.
    let nearDuplicates: FlatKeys
    /// Metadata action items per account: the filled (bin, value) entries of its action sketch.
    let actions: FlatKeys
    /// The client half of them (model · endpoint · user agent, bins `SynchronyRarity.half`
    /// and up; ids of `actions`): the action-synchrony test of a block of shared networks, whose
    /// members share (bucket, network) items by sharing networks and acting in the same hours.
    let clientActions: FlatKeys
    /// Accounts holding each identifier or template (by dense id).
    let users: [Int32]
    let vocabulary: VocabularyRarity
    /// Densified synchrony sketches, `synchronyBins` values each, of the accounts whose sketch
    /// fills two bins or more. A sketch of one filled bin densifies to that value in every
    /// bin (every probe ends there), so it is kept as the value alone: an account that sent
    /// one prompt costs no row.
    let synchrony: [UInt16]
    /// Per account: `noSynchrony`, `constantRow | value`, or its row in `synchrony`.
    let synchronyRow: [UInt32]
    static let noSynchrony = UInt32.max
    static let constantRow: UInt32 = 1 << 31

    func hasSynchrony(_ i: Int) -> Bool { synchronyRow[i] != Self.noSynchrony }

    /// Bins (of `synchronyBins`) on which the densified synchrony sketches of two accounts
    /// with sketches agree.
    func synchronyAgreement(_ x: Int, _ y: Int) -> Int {
        let bins = AccountState.synchronyBins
        let rx = synchronyRow[x]
        let ry = synchronyRow[y]
        switch (rx & Self.constantRow != 0, ry & Self.constantRow != 0) {
        case (true, true):
            return rx == ry ? bins : 0
        case (true, false), (false, true):
            let value = UInt16(truncatingIfNeeded: rx & Self.constantRow != 0 ? rx : ry)
            let row = Int(rx & Self.constantRow != 0 ? ry : rx) * bins
            return synchrony.withUnsafeBufferPointer { d in
                Self.agreement(d.baseAddress! + row, bins: bins) { _ in SIMD16(repeating: value) }
            }
        case (false, false):
            return synchrony.withUnsafeBufferPointer { d in
                let other = UnsafeRawPointer(d.baseAddress! + Int(ry) * bins)
                return Self.agreement(d.baseAddress! + Int(rx) * bins, bins: bins) {
                    other.loadUnaligned(fromByteOffset: $0 * 32, as: SIMD16<UInt16>.self)
                }
            }
        }
    }

    /// How many of the `bins` values at `row` (a multiple of 16) equal the lanes of
    /// `other(chunk)` for each chunk of 16 values: compared 16 at a time.
    @inline(__always)
    private static func agreement(_ row: UnsafePointer<UInt16>, bins: Int, _ other: (Int) -> SIMD16<UInt16>) -> Int {
        let raw = UnsafeRawPointer(row)
        var equal = SIMD16<UInt16>(repeating: 0)
        for chunk in 0..<(bins / 16) {
            let values = raw.loadUnaligned(fromByteOffset: chunk * 32, as: SIMD16<UInt16>.self)
            equal &+= SIMD16(repeating: 1).replacing(with: 0, where: values .!= other(chunk))
        }
        return Int(equal.wrappedSum())
    }

    /// Per account, its exchanges' share in each of the `dayBlocks` 4-hour blocks of the UTC day
    /// (all zero for an account with no timed exchange).
    let dayProfiles: [Float]
    /// Per account: distinct prefixes (`AccountState.prefixes`, estimated beyond the 16 kept;
    /// 0 without an address) and active days, for network rotation (`GroupFigures.rotating`).
    let prefixCount: [Float]
    let activeDays: [Float]
    /// Per account, its client: the model it sent most exchanges to (the smaller hash on ties)
    /// with its first user agent (the smallest hash), as an index into `clients`; and per client
    /// its accounts outside every candidate cluster, ascending. The reference of the
    /// action-synchrony test (`NullModel.clientMatchedGroup`).
    let client: [Int32]
    let clients: [[Int]]
    static let dayBlocks = 6
    /// Releases of the run and each account's share of traffic moved to them (`ModelPivot`),
    /// and the label of the timing test that reads them.
    let pivot: ModelPivot
    let pivotLabel: String

    /// What the index keeps of each account apart from its keys (`keyTables`).
    private struct AccountFigures {
        var exchanges: [Double]
        var withPrompt: [Bool]
        var extraction: [Double]
        var perTarget: [[Double]]
        var created: [Int64]
        var synchrony: [UInt16]
        var synchronyRow: [UInt32]
        var dayProfiles: [Float]
        var prefixCount: [Float]
        var activeDays: [Float]
        var client: [Int32]
        var clients: [[Int]]
        var stratum: [Int]
        var strata: [[Int]]
    }

    private static func accountFigures(_ accounts: [AccountState], targetList: [UInt16]) -> AccountFigures {
        var exchanges = [Double](repeating: 0, count: accounts.count)
        var withPrompt = [Bool](repeating: false, count: accounts.count)
        var extraction = [Double](repeating: 0, count: accounts.count)
        var isTarget = [Bool](repeating: false, count: Int(targetList.last ?? 0) + 1)
        for t in targetList { isTarget[Int(t)] = true }
        var perTarget = Array(repeating: [Double](repeating: 0, count: accounts.count), count: targetList.count)
        var created = [Int64](repeating: .min, count: accounts.count)
        var synchrony: [UInt16] = []
        var synchronyRow = [UInt32](repeating: Self.noSynchrony, count: accounts.count)
        let blocks = Self.dayBlocks
        var dayProfiles = [Float](repeating: 0, count: accounts.count * blocks)
        var prefixCount = [Float](repeating: 0, count: accounts.count)
        var activeDays = [Float](repeating: 0, count: accounts.count)
        var client = [Int32](repeating: 0, count: accounts.count)
        var clients: [[Int]] = []
        var clientID: [UInt64: Int32] = [:]
        for i in accounts.indices {
            var model: (hash: UInt64, count: UInt32) = (0, 0)
            for e in accounts[i].modelUse.entries where e.count > model.count { model = (e.model, e.count) }
            let signature = StableHash.combine(model.hash, accounts[i].userAgents.values.hashes.first ?? 0)
            if let id = clientID[signature] {
                client[i] = id
                clients[Int(id)].append(i)
            } else {
                client[i] = Int32(clients.count)
                clientID[signature] = client[i]
                clients.append([i])
            }
            prefixCount[i] = Float(accounts[i].prefixes.distinctCount)
            activeDays[i] = Float(accounts[i].activeDayCount)
            let total = accounts[i].hourOfWeek.total
            if total > 0 {
                for e in accounts[i].hourOfWeek.entries {
                    dayProfiles[i * blocks + Int(e.key) % 24 / (24 / blocks)] += Float(e.count) / Float(total)
                }
            }
            exchanges[i] = Double(accounts[i].exchanges)
            withPrompt[i] = accounts[i].withPrompt > 0
            var inTargets = 0
            for e in accounts[i].topics.entries where Int(e.key) < isTarget.count && isTarget[Int(e.key)] { inTargets += Int(e.count) }
            // As `topicShare`, the total summed once.
            let topicTotal = accounts[i].topics.total
            extraction[i] = topicTotal == 0 ? 0 : Double(inTargets) / Double(topicTotal)
            for (k, t) in targetList.enumerated() {
                perTarget[k][i] = topicTotal == 0 ? 0 : Double(accounts[i].topics.count(t)) / Double(topicTotal)
            }
            created[i] = accounts[i].createdAt ?? .min
            let sketch = accounts[i].synchronySketch
            if !sketch.isEmpty {
                var filled = 0
                var value: UInt16 = 0
                sketch.forEachFilledBin { _, v in
                    filled += 1
                    value = v
                }
                if filled == 1 {
                    synchronyRow[i] = Self.constantRow | UInt32(value)
                } else {
                    synchronyRow[i] = UInt32(synchrony.count / AccountState.synchronyBins)
                    synchrony += sketch.densified()
                }
            }
        }
        // Volume strata: octaves of exchanges (1, 2–3, 4–7, ...), so accounts of one stratum
        // differ in volume by less than a factor of two at every volume.
        var stratum = [Int](repeating: 0, count: accounts.count)
        var strata = Array(repeating: [Int](), count: 64)
        for i in 0..<accounts.count {
            let s = Int.bitWidth - 1 - max(1, accounts[i].exchanges).leadingZeroBitCount
            stratum[i] = s
            strata[s].append(i)
        }
        return AccountFigures(
            exchanges: exchanges, withPrompt: withPrompt, extraction: extraction, perTarget: perTarget, created: created,
            synchrony: synchrony, synchronyRow: synchronyRow, dayProfiles: dayProfiles, prefixCount: prefixCount,
            activeDays: activeDays, client: client, clients: clients, stratum: stratum, strata: strata)
    }

    /// Each kind of key of every account as dense ids, and each id's holders.
    private struct KeyTables {
        var addresses, credentials, identities, agents, prefixes, templates, nearDuplicates, actions, clientActions: FlatKeys
        var users: [Int32]
    }

    /// One space of dense ids: a group's counts go into a flat table instead of a dictionary
    /// or a sort.
    private struct KeySpace {
        var ids = DenseIDTable()
        /// Accounts holding each id.
        var users: [Int32] = []

        /// Appends the id of `key` to `flat`; `counting: false` for a second view of keys
        /// already counted (their holders once).
        @inline(__always)
        mutating func add(_ key: UInt64, to flat: inout FlatKeys, counting: Bool = true) {
            let next = Int32(users.count)
            let id = ids.id(for: key, next: next)
            if id == next {
                users.append(1)
            } else if counting {
                users[Int(id)] += 1
            }
            flat.values.append(id)
        }
    }

    @inline(__always)
    private static func tagged(_ kind: UInt64, _ key: UInt64) -> UInt64 { StableHash.combine(kind &+ 0x1D, key) }

    /// Identifiers, tagged by kind: addresses (networks and IPs), credentials (payment
    /// fingerprints, user agents other than browsers' (`BrowserAgents`), API keys) and
    /// identities (payment fingerprints and API keys again: ids of `credentials`, counted
    /// there). One pass over the states, each kind into its own flat list (no per-account
    /// arrays: with a million small accounts those were the peak).
    private static func identifierKeys(_ accounts: [AccountState]) -> (KeySpace, addresses: FlatKeys, credentials: FlatKeys, identities: FlatKeys, agents: FlatKeys, prefixes: FlatKeys) {
        let browsers = BrowserAgents.hashes(accounts)
        var space = KeySpace()
        var addresses = FlatKeys()
        var credentials = FlatKeys()
        var identities = FlatKeys()
        var agents = FlatKeys()
        var prefixes = FlatKeys()
        for i in accounts.indices {
            accounts[i].networks.values.forEach { space.add(tagged(0, $0), to: &addresses) }
            accounts[i].prefixes.hashes.forEach { space.add(tagged(5, $0), to: &prefixes) }
            accounts[i].ips.values.forEach { space.add(tagged(1, $0), to: &addresses) }
            let payments = accounts[i].payments.values
            let keys = accounts[i].apiKeys
            payments.forEach { space.add(tagged(2, $0), to: &credentials) }
            accounts[i].userAgents.values.forEach { h in
                guard !browsers.contains(h) else { return }
                space.add(tagged(3, h), to: &credentials)
                space.add(tagged(3, h), to: &agents, counting: false)
            }
            keys.forEach { space.add(tagged(4, $0), to: &credentials) }
            payments.forEach { space.add(tagged(2, $0), to: &identities, counting: false) }
            keys.forEach { space.add(tagged(4, $0), to: &identities, counting: false) }
            addresses.endAccount()
            credentials.endAccount()
            identities.endAccount()
            agents.endAccount()
            prefixes.endAccount()
        }
        return (space, addresses, credentials, identities, agents, prefixes)
    }

    /// Template keys, near-duplicate keys (tagged apart) and metadata action items (tagged by
    /// bin), as `identifierKeys`.
    private static func textAndActionKeys(_ accounts: [AccountState]) -> TextKeys {
        var space = KeySpace()
        var templates = FlatKeys()
        var nearDuplicates = FlatKeys()
        var actions = FlatKeys()
        var clientActions = FlatKeys()
        for i in accounts.indices {
            accounts[i].templates.forEach { space.add($0, to: &templates) }
            accounts[i].nearDuplicates.forEach { space.add(StableHash.combine(0x4E45_4152, $0), to: &nearDuplicates) }
            nearDuplicates.endAccount()
            accounts[i].actionSketch.forEachFilledBin { b, v in
                let item = StableHash.combine(0x4143_5449_4F4E &+ UInt64(b), UInt64(v))
                space.add(item, to: &actions)
                if b >= SynchronyRarity.half { space.add(item, to: &clientActions, counting: false) }
            }
            clientActions.endAccount()
            templates.endAccount()
            actions.endAccount()
        }
        return (space, templates, nearDuplicates, actions, clientActions)
    }

    private typealias TextKeys = (KeySpace, templates: FlatKeys, nearDuplicates: FlatKeys, actions: FlatKeys, clientActions: FlatKeys)

    /// The two spaces of keys as one: the second's ids follow the first's. Templates and
    /// identifiers hash apart (identifiers are tagged by kind), so the two spaces share no key
    /// and the ids are those one space over both would give.
    private static func keyTables(
        _ identifiers: (KeySpace, addresses: FlatKeys, credentials: FlatKeys, identities: FlatKeys, agents: FlatKeys, prefixes: FlatKeys),
        _ text: TextKeys
    ) -> KeyTables {
        let offset = Int32(identifiers.0.users.count)
        var templates = text.templates
        var nearDuplicates = text.nearDuplicates
        var actions = text.actions
        var clientActions = text.clientActions
        for k in clientActions.values.indices { clientActions.values[k] += offset }
        for k in templates.values.indices { templates.values[k] += offset }
        for k in nearDuplicates.values.indices { nearDuplicates.values[k] += offset }
        for k in actions.values.indices { actions.values[k] += offset }
        return KeyTables(
            addresses: identifiers.addresses, credentials: identifiers.credentials, identities: identifiers.identities, agents: identifiers.agents,
            prefixes: identifiers.prefixes, templates: templates, nearDuplicates: nearDuplicates, actions: actions, clientActions: clientActions, users: identifiers.0.users + text.0.users)
    }

    /// `threads`: with two or more, the identifiers' keys, the text and action keys and the other
    /// figures are built at once (each reads the states on its own; the result is the same).
    /// `alongside`: other work that reads the states (the run's `PopulationBaseline`), run on
    /// the same threads once one of them is free. `pivotWindowHours`:
    /// `DetectionConfig.pivotWindowHours`.
    init(
        _ accounts: [AccountState], taxonomy: CompiledTaxonomy, rarity: VocabularyRarity, pivotWindowHours: Double = 24,
        candidates: [[Int]] = [], threads: Int = 1, alongside: (@Sendable () -> Void)? = nil
    ) {
        count = accounts.count
        let targets = Set(taxonomy.taxonomy.topics.enumerated().filter { $0.element.extractionTarget }.map { UInt16($0.offset) })
        let targetList = targets.sorted()
        // Independent passes over the states, claimed by the threads in turn, the longest first.
        let identifierSlot = ResultSlots<UncheckedSendable<(KeySpace, addresses: FlatKeys, credentials: FlatKeys, identities: FlatKeys, agents: FlatKeys, prefixes: FlatKeys)>>(count: 1)
        let textSlot = ResultSlots<UncheckedSendable<TextKeys>>(count: 1)
        let figureSlot = ResultSlots<UncheckedSendable<AccountFigures>>(count: 1)
        let pivotSlot = ResultSlots<ModelPivot>(count: 1)
        let shared = UncheckedSendable(accounts)
        let jobs = alongside == nil ? 4 : 5
        let claim = WorkCounter(limit: jobs)
        runOnThreads(min(jobs, max(1, threads))) { _ in
            while let job = claim.claim() {
                switch job {
                case 0: figureSlot.set(0, UncheckedSendable(Self.accountFigures(shared.value, targetList: targetList)))
                case 1: textSlot.set(0, UncheckedSendable(Self.textAndActionKeys(shared.value)))
                case 2: identifierSlot.set(0, UncheckedSendable(Self.identifierKeys(shared.value)))
                case 3: pivotSlot.set(0, ModelPivot(shared.value, windowHours: pivotWindowHours))
                default: alongside?()
                }
            }
        }
        let keys = Self.keyTables(identifierSlot.take(0).value, textSlot.take(0).value)
        let figures = figureSlot.take(0).value
        pivot = pivotSlot.take(0)
        pivotLabel = pivot.label(windowHours: pivotWindowHours)
        addresses = keys.addresses
        credentials = keys.credentials
        identities = keys.identities
        agents = keys.agents
        prefixes = keys.prefixes
        templates = keys.templates
        nearDuplicates = keys.nearDuplicates
        actions = keys.actions
        clientActions = keys.clientActions
        self.users = keys.users
        self.exchanges = figures.exchanges
        self.withPrompt = figures.withPrompt
        self.extractionShare = figures.extraction
        targetNames = targetList.map { taxonomy.topicNames[Int($0)].replacingOccurrences(of: "_", with: " ") }
        targetLabels = targetNames.map { "share of prompts on \($0)" }
        targetShares = figures.perTarget
        self.createdAt = figures.created
        self.stratum = figures.stratum
        self.strata = figures.strata
        vocabulary = rarity
        self.synchrony = figures.synchrony
        self.synchronyRow = figures.synchronyRow
        self.dayProfiles = figures.dayProfiles
        self.prefixCount = figures.prefixCount
        self.activeDays = figures.activeDays
        self.client = figures.client
        // The references of the action-synchrony test are ordinary accounts: none of any
        // candidate cluster (another campaign on the same client acts in its own batches).
        var inCandidate = [Bool](repeating: false, count: accounts.count)
        for group in candidates { for m in group { inCandidate[m] = true } }
        self.clients = figures.clients.map { $0.filter { !inCandidate[$0] } }
    }
}

/// Dense ids of 64-bit keys (hashes already): open addressing with linear probing over flat
/// arrays, each key mixed once by a multiplication (Fibonacci hashing, Knuth TAOCP vol. 3,
/// 6.4). The population index looks up every account's every key once; a `Dictionary` hashed
/// each with SipHash.
struct DenseIDTable {
    private var keys: [UInt64]
    /// -1 where empty.
    private var ids: [Int32]
    private var shift: UInt64
    private(set) var count = 0

    init() {
        keys = [UInt64](repeating: 0, count: 1 << 12)
        ids = [Int32](repeating: -1, count: 1 << 12)
        shift = 64 - 12
    }

    /// The id of `key`; a new key is given `next`.
    mutating func id(for key: UInt64, next: Int32) -> Int32 {
        if 2 * (count + 1) > keys.count { grow() }
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let id = ids[slot]
            if id < 0 {
                keys[slot] = key
                ids[slot] = next
                count += 1
                return next
            }
            if keys[slot] == key { return id }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldIDs = ids
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        ids = [Int32](repeating: -1, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for k in oldIDs.indices where oldIDs[k] >= 0 {
            var slot = Int(truncatingIfNeeded: (oldKeys[k] &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while ids[slot] >= 0 { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[k]
            ids[slot] = oldIDs[k]
        }
    }
}

/// Many accounts' key ids in one flat array: account i's are `values[offsets[i]..<offsets[i + 1]]`.
struct FlatKeys: Sendable {
    private(set) var offsets: [UInt32] = [0]
    fileprivate(set) var values: [Int32] = []

    /// Ends the current account's keys (those appended to `values` since the last call).
    fileprivate mutating func endAccount() { offsets.append(UInt32(values.count)) }

    func keys(_ i: Int) -> ArraySlice<Int32> { values[Int(offsets[i])..<Int(offsets[i + 1])] }

    /// The keys read through pointers, for the null model's inner loops.
    struct View {
        let offsets: UnsafeBufferPointer<UInt32>
        let values: UnsafeBufferPointer<Int32>

        /// Positions in `values` of account i's keys.
        @inline(__always) func range(_ i: Int) -> Range<Int> { Int(offsets[i])..<Int(offsets[i + 1]) }
    }

    func withView<R>(_ body: (View) -> R) -> R {
        offsets.withUnsafeBufferPointer { o in values.withUnsafeBufferPointer { v in body(View(offsets: o, values: v)) } }
    }
}

/// The figures of one group of accounts, one per test; `nil` where the group cannot be measured.
struct GroupFigures {
    var templateSharing: Double?
    /// As `templateSharing`, over near-duplicate prompt keys (paraphrases and slot fills of one
    /// template share them where their skeletons differ); nil when no member has one.
    var nearDuplicateSharing: Double? = nil
    var extraction: Double?
    /// (topic name, mean share) per extraction target.
    var targets: [(String, Double?)] = []
    var sharedAddresses: Double
    /// Payment fingerprints and API keys.
    var sharedCredentials: Double
    /// User agents other than browsers'; nil for a content cluster (no such test).
    var sharedAgents: Double? = nil
    /// Share of the members with an address that rotate across providers' ranges
    /// (`rotating`) when it is more than half, else 0; nil for fewer than two.
    var networkRotation: Double? = nil
    var createdTogether: Double?
    var synchrony: Double?
    /// Members' metadata actions (sketch items) that another member took in the same bucket,
    /// each weighted by the share of that item's holders who are members; for a block of shared
    /// networks, the client items only (`PopulationIndex.clientActions`).
    var actionSynchrony: Double?
    var uniformity: Double
    /// Mean of the members' shares of traffic moved to a model released in the run within the
    /// pivot window, each weighted by the share of the release's users outside the group
    /// (`ModelPivot.figure`); nil when the run has no release.
    var pivot: Double? = nil
    /// Whether the run has a release, so that the pivot test is listed (its figure may still be
    /// nil for a group: `ModelPivot.figure`).
    var pivotTested = false
    /// The pivot test's label (`PopulationIndex.pivotLabel`), set on a cluster's own figures only.
    var pivotLabel = ""
    /// Uniformity 1/(1+CV) over the six 4-hour blocks of the UTC day of the members' summed
    /// day profiles (each member's profile counts once, whatever its volume).
    var roundTheClock: Double?

    /// The tests of each family, in order: (label, figure). Vocabulary similarity is what
    /// linkage selects clusters on, so it is significant by construction and is shown
    /// (`ScoredCluster.contentSimilarity`) but not tested; template sharing is tested.
    /// What formed the cluster is significant by construction, and `formation` leaves that
    /// test out (shown, not tested): shared addresses for a block of networks; cards, keys,
    /// agents and creation together for a block of credentials; synchronized actions for a
    /// group formed by synchrony.
    func tests(_ family: EvidenceFamily, formation: CandidateFormation = .content) -> [(String, Double?)] {
        let formedByNetworks = formation == .networks
        let formedByCredentials = formation == .credentials
        return switch family {
        case .content: [("template uses shared within the group, by share of their users", templateSharing),
                        ("near-duplicate prompt uses shared within the group, by share of their users", nearDuplicateSharing)]
        // Chain-of-thought elicitation alone is a habit many ordinary users have (README, "Detection"):
        // it is shown beside the cluster (`cot_share`) but the family tests capability focus.
        // A campaign focuses on a capability. A block of shared networks is tested on each
        // target on its own as well (a synthetic-data campaign hides inside the population's
        // overall coding and maths share); a content cluster is not, since its members were
        // chosen for similar text and so share a topic by construction.
        case .capability: [("extraction-topic share", extraction)] + (formation != .content ? targets : [])
        // Network rotation is not what a block of shared networks is formed on: people behind
        // one egress share it without rotating, and a rotating account shares only where its
        // exits happen to meet another member's.
        case .infrastructure:
            [("networks and IPs shared within the group, by share of their users", formedByNetworks ? nil : sharedAddresses),
             ("payment fingerprints and keys shared within the group, by share of their users", formedByCredentials ? nil : sharedCredentials),
             ("network rotation: members active on two days or more with more /16 or /32 prefixes beyond their first than active days (counted when most are)", networkRotation)]
            + (formation == .content ? [] : [("user agents other than browsers shared within the group, by share of their senders",
                                              formedByCredentials ? nil : sharedAgents)])
        case .timing:
            [("created within a day of another member", formedByCredentials ? nil : createdTogether), ("synchrony in 10-minute buckets", synchrony),
             (formedByNetworks
                ? "actions (model, endpoint, user agent) taken by another member in the same 10-minute bucket, by share of their takers"
                : "actions (network, model, endpoint, user agent) taken by another member in the same 10-minute bucket, by share of their takers",
              formation == .synchrony ? nil : actionSynchrony)]
            // The pivot to a released model is a moment the members share, and the model is part
            // of every action item above: a group that moves to a model together also acts on it
            // in the same buckets, so the two are one family's evidence, not two.
            + (pivotTested ? [(pivotLabel, pivot)] : [])
        case .loadBalancing:
            [("volume uniformity 1/(1+CV)", uniformity),
             ("load round the clock: uniformity 1/(1+CV) of the members' summed profiles over the 4-hour blocks of the day", roundTheClock)]
        }
    }

    /// The figure of test `k` of `family`: `tests(family, formation:)[k].1`, without building
    /// the tests' labels and arrays (the null model reads every random group's figures after
    /// each batch of groups).
    func figure(_ family: EvidenceFamily, _ k: Int, formation: CandidateFormation) -> Double? {
        switch family {
        case .content: return k == 0 ? templateSharing : nearDuplicateSharing
        case .capability: return k == 0 ? extraction : targets[k - 1].1
        case .infrastructure:
            switch k {
            case 0: return formation == .networks ? nil : sharedAddresses
            case 1: return formation == .credentials ? nil : sharedCredentials
            case 2: return networkRotation
            default: return formation == .credentials ? nil : sharedAgents
            }
        case .timing:
            switch k {
            case 0: return formation == .credentials ? nil : createdTogether
            case 1: return synchrony
            case 2: return formation == .synchrony ? nil : actionSynchrony
            default: return pivot
            }
        case .loadBalancing: return k == 0 ? uniformity : roundTheClock
        }
    }

    /// `counts` is a scratch table of `index.users.count` zeros, left as it was found.
    static func measure(
        _ group: [Int], index: PopulationIndex, config: DetectionConfig, rng: inout SeededRandom, counts: inout [Int32],
        formation: CandidateFormation = .networks, actions: Bool = true
    ) -> GroupFigures {
        let n = group.count
        // Content: the members' template uses that fall on templates two or more members
        // share, each weighted by the share of that template's users who are members: a
        // template thousands of accounts send ("thanks", a popular question) counts for little,
        // one used only inside the group counts fully.
        // `counts` is all zeros between calls: each use clears what it touched.
        // The loops below touch a few hundred thousand table entries per group and run for
        // every random group, so they read the tables through pointers (no bounds or
        // exclusivity checks, no slice per member); the sums are taken in the same order.
        var templateSharing: Double?
        var nearDuplicateSharing: Double?
        let actionSynchrony = actions ? Self.actionSynchrony(group, index: index, formation: formation, counts: &counts) : nil
        var sharedAddresses = 0.0
        var sharedCredentials = 0.0
        var sharedAgents: Double?
        counts.withUnsafeMutableBufferPointer { c in
            index.users.withUnsafeBufferPointer { u in
                // Per key use of a member, the share of the key's users who are members, where
                // two or more members use it; over all the members' uses. nil without uses.
                func sharing(_ keys: FlatKeys.View) -> Double? {
                    var uses = 0
                    for m in group {
                        for j in keys.range(m) {
                            c[Int(keys.values[j])] += 1
                            uses += 1
                        }
                    }
                    guard uses > 0 else { return nil }
                    var shared = 0.0
                    for m in group {
                        for j in keys.range(m) {
                            let t = Int(keys.values[j])
                            let k = Double(c[t])
                            if k > 1 { shared += k / Double(u[t]) }
                        }
                    }
                    for m in group { for j in keys.range(m) { c[Int(keys.values[j])] = 0 } }
                    return shared / Double(uses)
                }
                templateSharing = index.templates.withView(sharing)
                nearDuplicateSharing = index.nearDuplicates.withView(sharing)
                // Infrastructure: per member, the strongest identifier it shares with another
                // member, weighted by the share of that identifier's users who are members.
                func shared(_ keys: FlatKeys.View) -> Double {
                    for m in group { for j in keys.range(m) { c[Int(keys.values[j])] += 1 } }
                    var total = 0.0
                    for m in group {
                        var best = 0.0
                        for j in keys.range(m) {
                            let h = Int(keys.values[j])
                            if c[h] > 1 { best = max(best, Double(c[h]) / Double(u[h])) }
                        }
                        total += best
                    }
                    for m in group { for j in keys.range(m) { c[Int(keys.values[j])] = 0 } }
                    return total / Double(n)
                }
                sharedAddresses = index.addresses.withView(shared)
                sharedCredentials = index.identities.withView(shared)
                if formation != .content { sharedAgents = index.agents.withView(shared) }
            }
        }
        // Network rotation: share of the members with an address that rotate, counted when
        // they are most of them (0 otherwise): rotation is evidence of a group that rotates, not
        // of a few travellers or tethered phones among people who share something else.
        let memberRotations = rotating(group, index: index, counts: &counts).compactMap { $0 }
        var networkRotation: Double?
        if memberRotations.count >= 2 {
            let share = Double(memberRotations.filter { $0 }.count) / Double(memberRotations.count)
            networkRotation = share > 0.5 ? share : 0
        }
        // Capability: mean of the members' own shares (members with prompts).
        let prompted = group.filter { index.withPrompt[$0] }
        let extraction = prompted.isEmpty ? nil : prompted.reduce(0.0) { $0 + index.extractionShare[$1] } / Double(prompted.count)
        let targets = index.targetLabels.enumerated().map { k, label -> (String, Double?) in
            (label, prompted.isEmpty ? nil : prompted.reduce(0.0) { $0 + index.targetShares[k][$1] } / Double(prompted.count))
        }
        // Timing: creation within the window of another member; synchrony along sampled pairs.
        let created = group.map { index.createdAt[$0] }.filter { $0 != .min }.sorted()
        var createdTogether: Double?
        if created.count >= 2 {
            let window = Int64(config.creationWindowHours * 3_600_000)
            var together = 0
            for (k, c) in created.enumerated() {
                if (k > 0 && c - created[k - 1] <= window) || (k + 1 < created.count && created[k + 1] - c <= window) { together += 1 }
            }
            createdTogether = Double(together) / Double(created.count)
        }
        let pairs = samplePairs(n, limit: config.pairSamples, rng: &rng)
        var synchrony: Double?
        if group.filter({ index.hasSynchrony($0) }).count >= 2 {
            let bins = AccountState.synchronyBins
            var sum = 0.0
            for (x, y) in pairs where index.hasSynchrony(group[x]) && index.hasSynchrony(group[y]) {
                sum += Double(index.synchronyAgreement(group[x], group[y])) / Double(bins)
            }
            synchrony = pairs.isEmpty ? 0 : sum / Double(pairs.count)
        }
        return GroupFigures(
            templateSharing: templateSharing, nearDuplicateSharing: nearDuplicateSharing, extraction: extraction, targets: targets,
            sharedAddresses: sharedAddresses, sharedCredentials: sharedCredentials, sharedAgents: sharedAgents,
            networkRotation: networkRotation, createdTogether: createdTogether, synchrony: synchrony,
            actionSynchrony: actionSynchrony, uniformity: uniformity(group, index: index),
            pivot: index.pivot.releases.isEmpty ? nil : index.pivot.figure(group), pivotTested: !index.pivot.releases.isEmpty,
            roundTheClock: roundTheClock(group, index: index))
    }

    /// Whether each member (in `group`'s order) rotates across providers' ranges: active on two
    /// days or more (one busy day can bring home, work and a phone), with more /16 (IPv4) or
    /// /32 (IPv6) prefixes beyond its first than active days, so a new range for every day and
    /// one more; nil without an address. Prefixes that more than half of the
    /// members hold do not count: a range most of a group shares is where its people sit (a
    /// mobile carrier's NAT pool, which hands a phone a new address in one of a few prefixes
    /// every session; an office's egress), not where they rotate. A person reuses a few
    /// providers' ranges (home, work, a phone's carrier) whatever the days, so falls behind as
    /// days accumulate; an account on rotating residential proxies leaves through another ISP
    /// most sessions. Beyond the 16 kept hashes the count is the estimate scaled by the kept
    /// hashes' share that counts. `counts`: as `measure`'s.
    static func rotating(_ group: [Int], index: PopulationIndex, counts: inout [Int32]) -> [Bool?] {
        var out = [Bool?](repeating: nil, count: group.count)
        counts.withUnsafeMutableBufferPointer { c in
            index.prefixes.withView { keys in
                for m in group { for j in keys.range(m) { c[Int(keys.values[j])] += 1 } }
                for (k, m) in group.enumerated() {
                    let held = keys.range(m)
                    guard !held.isEmpty else { continue }
                    var own = 0
                    for j in held where 2 * Int(c[Int(keys.values[j])]) <= group.count { own += 1 }
                    let prefixes = Double(index.prefixCount[m]) * Double(own) / Double(held.count)
                    out[k] = index.activeDays[m] >= 2 && prefixes - 1 > Double(index.activeDays[m])
                }
                for m in group { for j in keys.range(m) { c[Int(keys.values[j])] = 0 } }
            }
        }
        return out
    }

    /// Synchrony of metadata actions: per member, the mean over its sampled actions of the share
    /// of that action's takers who are members (0 for one no other member took); nil for fewer
    /// than two acting members. A block of shared networks reads the client items only
    /// (`PopulationIndex.clientActions`). `counts`: as `measure`'s.
    static func actionSynchrony(_ group: [Int], index: PopulationIndex, formation: CandidateFormation, counts: inout [Int32]) -> Double? {
        var result: Double?
        counts.withUnsafeMutableBufferPointer { c in
            index.users.withUnsafeBufferPointer { u in
                (formation == .networks ? index.clientActions : index.actions).withView { actions in
                    var acting = 0
                    for m in group { for j in actions.range(m) { c[Int(actions.values[j])] += 1 } }
                    var actionTotal = 0.0
                    for m in group {
                        let keys = actions.range(m)
                        guard !keys.isEmpty else { continue }
                        acting += 1
                        var sum = 0.0
                        for j in keys {
                            let h = Int(actions.values[j])
                            if c[h] > 1 { sum += Double(c[h]) / Double(u[h]) }
                        }
                        actionTotal += sum / Double(keys.count)
                    }
                    for m in group { for j in actions.range(m) { c[Int(actions.values[j])] = 0 } }
                    if acting >= 2 { result = actionTotal / Double(acting) }
                }
            }
        }
        return result
    }

    /// Load round the clock: the members' day profiles summed (each account's exchanges as
    /// shares of its own total, so one heavy account cannot flatten the group) over the six
    /// 4-hour blocks of the UTC day, and the uniformity 1/(1+CV) of the six sums. Ordinary
    /// people act in their daytime, so a group of them follows the day wherever they live; an
    /// orchestrator spreads its work round the clock, with every account busy all day or with
    /// accounts taking turns (complementary schedules). Blocks of 4 hours, not hours: batches
    /// fired every 2 or 4 hours at a fixed minute fill every block and leave most hours empty.
    /// 1 = perfectly flat. nil for fewer than two timed members.
    static func roundTheClock(_ group: [Int], index: PopulationIndex) -> Double? {
        let blocks = PopulationIndex.dayBlocks
        var sums = [Double](repeating: 0, count: blocks)
        var timed = 0
        index.dayProfiles.withUnsafeBufferPointer { p in
            for m in group {
                var any = false
                for b in 0..<blocks where p[m * blocks + b] > 0 {
                    sums[b] += Double(p[m * blocks + b])
                    any = true
                }
                if any { timed += 1 }
            }
        }
        guard timed >= 2 else { return nil }
        let mean = sums.reduce(0, +) / Double(blocks)
        let sd = (sums.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(blocks)).squareRoot()
        return 1 / (1 + sd / mean)
    }

    /// Volume uniformity 1 / (1 + CV) of the members' exchange counts (1 = equal volumes).
    static func uniformity(_ group: [Int], index: PopulationIndex) -> Double {
        let n = group.count
        let mean = group.reduce(0.0) { $0 + index.exchanges[$1] } / Double(n)
        let variance = n > 1 ? group.reduce(0.0) { $0 + (index.exchanges[$1] - mean) * (index.exchanges[$1] - mean) } / Double(n - 1) : 0
        let cv = mean > 0 ? variance.squareRoot() / mean : 0
        return 1 / (1 + cv)
    }

    /// Up to `limit` distinct index pairs of `0..<n`: all of them when there are few.
    static func samplePairs(_ n: Int, limit: Int, rng: inout SeededRandom) -> [(Int, Int)] {
        guard n >= 2 else { return [] }
        if n * (n - 1) / 2 <= limit {
            var all: [(Int, Int)] = []
            for i in 0..<n { for j in (i + 1)..<n { all.append((i, j)) } }
            return all
        }
        var out: [(Int, Int)] = []
        out.reserveCapacity(limit)
        while out.count < limit {
            let i = rng.int(0..<n)
            let j = rng.int(0..<n)
            if i != j { out.append((min(i, j), max(i, j))) }
        }
        return out
    }
}

enum NullModel {
    /// Standard normal upper tail P(Z ≥ z).
    static func normalTail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// Evenly spaced members of a sorted group, at most `limit`.
    static func measured(_ members: [Int], limit: Int) -> [Int] {
        guard members.count > limit else { return members }
        return (0..<limit).map { members[$0 * members.count / limit] }
    }

    /// A random group matched to `group` on volume stratum: for each member, a distinct account
    /// of its stratum outside `excluded` (the cluster's own members: a campaign that is most of
    /// its volume stratum must not be its own reference), any account once the stratum is used up.
    static func randomGroup(like group: [Int], excluding excluded: Set<Int> = [], index: PopulationIndex, rng: inout SeededRandom) -> [Int] {
        var used = Set<Int>()
        used.reserveCapacity(group.count)
        var out: [Int] = []
        out.reserveCapacity(group.count)
        for m in group {
            let pick = drawOutside(index.strata[index.stratum[m]], used: used, excluded: excluded, index: index, rng: &rng)
            used.insert(pick)
            out.append(pick)
        }
        return out
    }

    /// An account of `pool` in neither `used` nor `excluded` (eight draws), else any such
    /// account of the run.
    static func drawOutside(_ pool: [Int], used: Set<Int>, excluded: Set<Int>, index: PopulationIndex, rng: inout SeededRandom) -> Int {
        for _ in 0..<8 {
            let c = pool[rng.int(0..<pool.count)]
            if !used.contains(c) && !excluded.contains(c) { return c }
        }
        while true {
            let c = rng.int(0..<index.count)
            if !used.contains(c) && !excluded.contains(c) { return c }
        }
    }

    /// A random group of the same size from the volume stratum of the group's median member
    /// (with replacement when the stratum is smaller than the group), members of `excluded`
    /// redrawn (up to 8 times: a stratum of nothing but members is its own reference).
    static func typicalGroup(like group: [Int], excluding excluded: Set<Int> = [], index: PopulationIndex, rng: inout SeededRandom) -> [Int] {
        typicalGroup(count: group.count, pool: typicalPool(like: group, index: index), excluding: excluded, rng: &rng)
    }

    /// A random group matched to `group` on client and volume, the reference of the
    /// action-synchrony test: for each member, an account of the same client
    /// (`PopulationIndex.client`: main model and user agent) in its volume stratum, else in a
    /// neighbouring one, outside every candidate cluster; where eight draws find none (a
    /// client the cluster has to itself, whose rarity the user-agent test weighs), an account of
    /// its stratum as `randomGroup` draws one. People of one
    /// workplace or users of one app share their client and their hours, so they meet on
    /// (bucket, client) items by chance more often than random accounts do; the test asks
    /// whether members act together beyond that.
    static func clientMatchedGroup(like group: [Int], members: Set<Int>, index: PopulationIndex, rng: inout SeededRandom) -> [Int] {
        var used = Set<Int>()
        used.reserveCapacity(group.count)
        var out: [Int] = []
        out.reserveCapacity(group.count)
        for m in group {
            let stratum = index.stratum[m]
            func draw(_ pool: [Int], _ accept: (Int) -> Bool) -> Int? {
                guard !pool.isEmpty else { return nil }
                for _ in 0..<8 {
                    let c = pool[rng.int(0..<pool.count)]
                    if !used.contains(c) && !members.contains(c) && accept(c) { return c }
                }
                return nil
            }
            let clients = index.clients[Int(index.client[m])]
            let pick = draw(clients) { index.stratum[$0] == stratum }
                ?? draw(clients) { abs(index.stratum[$0] - stratum) <= 1 }
                ?? drawOutside(index.strata[stratum], used: used, excluded: members, index: index, rng: &rng)
            used.insert(pick)
            out.append(pick)
        }
        return out
    }

    /// The volume stratum of the group's median member, which `typicalGroup` draws from.
    static func typicalPool(like group: [Int], index: PopulationIndex) -> [Int] {
        let volumes = group.map { index.exchanges[$0] }.sorted()
        let median = volumes[volumes.count / 2]
        let medianMember = group.first { index.exchanges[$0] == median } ?? group[0]
        return index.strata[index.stratum[medianMember]]
    }

    /// `count` accounts of `pool` (`typicalPool`), as `typicalGroup(like:)`: the pool found once
    /// for all of a cluster's random groups.
    static func typicalGroup(count: Int, pool: [Int], excluding excluded: Set<Int>, rng: inout SeededRandom) -> [Int] {
        (0..<count).map { _ in
            var c = pool[rng.int(0..<pool.count)]
            for _ in 0..<8 where excluded.contains(c) { c = pool[rng.int(0..<pool.count)] }
            return c
        }
    }

    /// Each family's evidence for `members` against `config.nullSamples` volume-matched random
    /// groups of the same (measured) size. Deterministic for the config's seed and the members.
    static func evidence(
        for members: [Int], index: PopulationIndex, config: DetectionConfig, level: Double, formation: CandidateFormation = .content,
        textCountsOnce: Bool = false
    ) -> [FamilyEvidence] {
        let group = measured(members, limit: config.maxMeasuredMembers)
        guard group.count >= 2, index.count > group.count else {
            return EvidenceFamily.allCases.map {
                FamilyEvidence(family: $0, statistic: 0, nullMean: 0, nullSD: 0, pValue: 1, available: false, label: "")
            }
        }
        var rng = SeededRandom(seed: config.seed, UInt64(members[0]), UInt64(members.count))
        // The client-matched references draw from a stream of their own, so that they leave the
        // other tests' random groups as they were.
        var clientRng = SeededRandom(seed: config.seed, UInt64(members[0]), UInt64(members.count), 0x636C_6965_6E74)
        // Random groups are drawn from the other accounts of each member's volume stratum, where
        // the stratum holds at least twice as many others as the group draws from it: a campaign
        // that is most of its stratum must not be its own reference. Where it holds fewer (a
        // handful of accounts far heavier than anyone else), the members stay in their stratum's
        // draws: accounts of another volume are no reference for them.
        var inStratum: [Int: (all: Int, measured: Int)] = [:]
        for m in members { inStratum[index.stratum[m], default: (0, 0)].all += 1 }
        for m in group { inStratum[index.stratum[m], default: (0, 0)].measured += 1 }
        let excluded = Set(members.filter { m in
            let s = index.stratum[m]
            return index.strata[s].count - inStratum[s]!.all >= 2 * inStratum[s]!.measured
        })
        var counts = [Int32](repeating: 0, count: index.users.count)
        let memberSet = Set(members)
        var observed = GroupFigures.measure(group, index: index, config: config, rng: &rng, counts: &counts, formation: formation)
        observed.pivotLabel = index.pivotLabel
        var nulls: [GroupFigures] = []
        nulls.reserveCapacity(config.nullSamples)
        // Sequential Monte Carlo (Besag & Clifford, "Sequential Monte Carlo p-values",
        // Biometrika 1991): random groups are drawn in batches, and drawing stops once the
        // decision cannot change: enough families already far below the level, or too few
        // still able to reach it. Deterministic: the batches and the rule depend on nothing
        // but the seed and the members.
        let batch = max(1, min(config.nullSamples, 50))
        let typical = typicalPool(like: group, index: index)
        while nulls.count < config.nullSamples {
            for _ in 0..<min(batch, config.nullSamples - nulls.count) {
                let random = randomGroup(like: group, excluding: excluded, index: index, rng: &rng)
                var figures = GroupFigures.measure(
                    random, index: index, config: config, rng: &rng, counts: &counts, formation: formation, actions: false)
                // Action synchrony against groups of the members' own clients (`clientMatchedGroup`).
                figures.actionSynchrony = GroupFigures.actionSynchrony(
                    NullModel.clientMatchedGroup(like: group, members: memberSet, index: index, rng: &clientRng), index: index,
                    formation: formation, counts: &counts)
                // Volume uniformity cannot be tested against groups matched member by member on
                // volume (they copy the cluster's spread), nor against the whole population (a
                // cluster of similar accounts is more uniform than that by selection): its
                // reference is groups of accounts of the cluster's own typical volume.
                figures.uniformity = GroupFigures.uniformity(
                    typicalGroup(count: group.count, pool: typical, excluding: excluded, rng: &rng), index: index)
                nulls.append(figures)
            }
            let families = summarize(observed: observed, nulls: nulls, members: group.count, formation: formation)
            let settled = EvidenceFamily.independentCount(
                families.filter { $0.available && $0.pValue <= level / 100 && $0.exceedances == 0 }.map(\.evidence.family),
                textCountsOnce: textCountsOnce)
            // A family is out of reach once five random groups reached its figure and its
            // p-value is above twice the level, or once its p-value is ten times the level: the
            // normal tail (and the floor under its spread) no longer moves with more groups.
            let open = EvidenceFamily.independentCount(
                families.filter { $0.available && !($0.exceedances >= 5 && $0.pValue > 2 * level) && $0.pValue <= 10 * level }
                    .map(\.evidence.family),
                textCountsOnce: textCountsOnce)
            if settled >= config.requiredFamilies || open < config.requiredFamilies { return families.map(\.evidence) }
        }
        return summarize(observed: observed, nulls: nulls, members: group.count, formation: formation).map(\.evidence)
    }

    /// Each family's evidence from the random groups drawn so far, with the number of them
    /// that reached the cluster's figure in its strongest test.
    static func summarize(
        observed: GroupFigures, nulls: [GroupFigures], members: Int, formation: CandidateFormation
    ) -> [(evidence: FamilyEvidence, exceedances: Int, available: Bool, pValue: Double)] {
        let actionNull = nulls.compactMap(\.actionSynchrony)
        return EvidenceFamily.allCases.map { family in
            var result = evidence(family)
            if family == .timing, let figure = observed.actionSynchrony, !actionNull.isEmpty {
                result.evidence.actionSynchrony = figure
                result.evidence.actionSynchronyNullMean = actionNull.reduce(0, +) / Double(actionNull.count)
            }
            return result
        }
        func evidence(_ family: EvidenceFamily) -> (evidence: FamilyEvidence, exceedances: Int, available: Bool, pValue: Double) {
            let tests = observed.tests(family, formation: formation)
            var best: (p: Double, stat: Double, mean: Double, sd: Double, label: String, exceed: Int)?
            var measurable = 0
            for (k, test) in tests.enumerated() {
                guard let value = test.1 else { continue }
                assert(nulls.allSatisfy { $0.figure(family, k, formation: formation)?.bitPattern == $0.tests(family, formation: formation)[k].1?.bitPattern })
                let reference = nulls.compactMap { $0.figure(family, k, formation: formation) }
                guard !reference.isEmpty else { continue }
                measurable += 1
                let mean = reference.reduce(0, +) / Double(reference.count)
                let sd = (reference.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(reference.count)).squareRoot()
                // Every figure is a share or mean over the group's n members, in 0–1, so it is
                // uncertain by at least the binomial standard error √(μ(1−μ)/n) at the null mean μ
                // (taken as at least 1/n: one member of n), however still the random groups happen
                // to be. A degenerate null (random groups never share a network) must not make one
                // shared NAT among six accounts decisive.
                let n = Double(members)
                let mu = min(0.5, max(mean, 1 / n))
                let floor = (mu * (1 - mu) / n).squareRoot()
                let spread = (sd * sd + floor * floor).squareRoot()
                let exceed = reference.filter { $0 >= value }.count
                let p = max(Double(exceed) / Double(reference.count), normalTail((value - mean) / spread))
                if best == nil || p < best!.p { best = (p, value, mean, sd, test.0, exceed) }
            }
            guard let best else {
                let none = FamilyEvidence(family: family, statistic: 0, nullMean: 0, nullSD: 0, pValue: 1, available: false, label: tests[0].0)
                return (none, 0, false, 1)
            }
            let p = min(1, best.p * Double(measurable))
            let evidence = FamilyEvidence(
                family: family, statistic: best.stat, nullMean: best.mean, nullSD: best.sd,
                pValue: p, available: true, label: best.label)
            return (evidence, best.exceed, true, p)
        }
    }
}
