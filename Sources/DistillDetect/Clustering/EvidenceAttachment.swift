// Attaches accounts to a reported cluster on two kinds of evidence at once: their vocabulary
// and their networks. A campaign's smaller accounts (a few dozen exchanges) send too few
// prompts for pairwise vocabulary linkage, and behind a residential proxy pool their networks
// are ones the pool shares with ordinary users; neither alone clears a test corrected for the
// thousands of accounts tried. Together they do: a campaign account's sketch falls on the
// cluster's own phrasing (sketch values that members hold and few others do) far more often
// than an outsider's, and its networks lie in the cluster's pool.
//
// Each is a count out of a total (sketch bins on the cluster's values out of the account's
// filled bins; pool networks out of its networks), tested against the run's outsiders with a
// beta-binomial null (a binomial whose rate varies from account to account, fitted by the
// method of moments: Williams 1982, Kleinman 1973), so that outsiders who share a few prompts
// (bins of one prompt come together) widen the null rather than pass it. The null is fitted on
// the outsiders that do not stand out: accounts beyond the cut are set aside and the null
// refitted until nothing changes, so the campaign's own missing accounts do not inflate it.
// The two p-values are combined by Fisher's method (Fisher 1932: −2 Σ ln pᵢ is χ² with four
// degrees of freedom for two independent p-values) and tested at the family level divided by
// the accounts tried (Bonferroni). The text must also be significant on its own and the
// networks must point the same way (tail at most 1/2), so that text alone (an organisation
// running the same public benchmarks from its cloud) or addresses alone (a household in a
// proxy pool's range) attaches nobody. Under independence of the two, an outsider passes with
// probability at most the cut; the pool is usually a weak witness (a residential proxy pool
// rents the addresses of ordinary users), the text a strong one.
//
// The creation time is the second witness where the networks are none: a campaign on a proxy
// pool so large that each account's exits are its own (none in the cluster's pool) still signs
// its accounts up in a few sittings. Where the cluster's members were created together beyond
// chance, an outsider created within the creation window of one of those sittings has, under
// the null, the probability of an outsider being so (the share of the tested outsiders that
// are, the campaign's own missing accounts among them, so the estimate errs high). The witness is the smaller of the two tails: the network tail where it is below the
// creation share (no other way to get there), else twice the creation share (Bonferroni).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A beta-binomial null for counts x out of n with a rate that varies between units: mean
/// rate `p`, intra-unit correlation `rho` (0 is the binomial).
struct BetaBinomialNull: Sendable {
    var p: Double
    var rho: Double

    init(p: Double, rho: Double) {
        self.p = p
        self.rho = rho
    }

    /// Method-of-moments fit (Kleinman 1973): p = Σx / Σn, and ρ from the excess of
    /// Σ (x − np)² over its binomial expectation Σ np(1 − p), each unit's variance being
    /// np(1 − p)(1 + (n − 1)ρ). ρ is at least 0.
    init(_ units: [(x: Int, n: Int)]) {
        let total = units.reduce(0) { $0 + $1.n }
        let hits = units.reduce(0) { $0 + $1.x }
        p = total == 0 ? 0 : Double(hits) / Double(total)
        var excess = 0.0
        var scale = 0.0
        for u in units where u.n > 0 {
            let n = Double(u.n)
            let d = Double(u.x) - n * p
            excess += d * d - n * p * (1 - p)
            scale += n * (n - 1) * p * (1 - p)
        }
        rho = scale > 0 ? min(1, max(0, excess / scale)) : 0
    }

    /// P(X ≥ j) for X ~ BetaBinomial(n, α, β) with α = p(1/ρ − 1), β = (1 − p)(1/ρ − 1); the
    /// binomial tail when ρ is 0.
    func tail(_ j: Int, _ n: Int) -> Double {
        guard j > 0 else { return 1 }
        guard j <= n, p > 0 else { return j <= n && p >= 1 ? 1 : 0 }
        if rho <= 1e-12 { return NetworkPoolAttachment.binomialTail(j, n, p) }
        let s = 1 / rho - 1
        let a = p * s
        let b = (1 - p) * s
        func lbeta(_ x: Double, _ y: Double) -> Double { lgamma(x) + lgamma(y) - lgamma(x + y) }
        let base = lbeta(a, b)
        var total = 0.0
        for i in j...n {
            let logChoose = lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1))
            total += exp(logChoose + lbeta(Double(i) + a, Double(n - i) + b) - base)
        }
        return min(1, total)
    }

    /// Fits the null on the units that do not stand out: starting from the binomial (ρ = 0)
    /// with the rate of all units, each round sets aside the units whose tail is at most `cut`
    /// and refits on the rest, until no more are set aside (at most 10 rounds; a unit set aside
    /// stays aside). Fitted on every unit, a campaign's own accounts among the outsiders would
    /// widen the null until none of them stands out; the binomial start sets them aside first,
    /// and the refit learns the overdispersion of the ordinary accounts.
    static func trimmed(_ units: [(x: Int, n: Int)], cut: Double) -> BetaBinomialNull {
        var null = BetaBinomialNull(units)
        null.rho = 0
        var aside = [Bool](repeating: false, count: units.count)
        for _ in 0..<10 {
            var tails: [Int: Double] = [:]  // by (x, n): counts are small
            var added = false
            for k in units.indices where !aside[k] {
                let key = units[k].x << 16 | units[k].n
                let t = tails[key] ?? null.tail(units[k].x, units[k].n)
                tails[key] = t
                if t <= cut {
                    aside[k] = true
                    added = true
                }
            }
            if !added { break }
            null = BetaBinomialNull(units.indices.filter { !aside[$0] }.map { units[$0] })
        }
        return null
    }
}

public enum EvidenceAttachment {
    /// P(χ²₄ ≥ −2 ln(p₁p₂)) = q(1 − ln q) with q = p₁p₂: Fisher's combination of two
    /// independent p-values.
    static func fisher(_ p1: Double, _ p2: Double) -> Double {
        let q = p1 * p2
        guard q > 0 else { return 0 }
        return min(1, q * (1 - log(q)))
    }

    /// Hashes kept in a bottom-k set, and the share of the hash range they cover: 1 when the set
    /// holds every value it saw, else its largest kept hash over 2⁶⁴ (Cohen & Kaplan 2007's
    /// bottom-k inclusion threshold). A value of a saturated set counts 1 / coverage times when
    /// holders are estimated (Horvitz–Thompson): a campaign account on a hundred proxy networks
    /// keeps 32 of them, and counted once each the pool would lose most of its networks.
    static func coverage(_ set: BottomKSet) -> Double {
        guard set.saturated, let last = set.hashes.last else { return 1 }
        return max(Double(last) / 18_446_744_073_709_551_616.0, 1e-9)
    }

    /// One account's counts against a cluster: filled vocabulary bins and those holding the
    /// cluster's own values; networks and those in the cluster's pool.
    struct Counts {
        var bins = 0
        var ownBins = 0
        var networks = 0
        var poolNetworks = 0
    }

    /// What an account is compared with: the cluster's own sketch values and network pool.
    struct Reference: Sendable {
        /// The own values as a bit table indexed by `bin << 16 | value` (a megabyte for 128
        /// bins): every outsider's every filled bin is looked up, a hash lookup each before.
        let own: [UInt64]
        /// By network id (`HolderTables`).
        let pool: [Bool]

        init(own: some Sequence<UInt32>, pool: [Bool]) {
            var table = [UInt64](repeating: 0, count: AccountState.vocabularyBins << 10)
            for key in own { table[Int(key >> 6)] |= 1 << UInt64(key & 63) }
            self.own = table
            self.pool = pool
        }

        /// `networks`: the account's network ids.
        func counts(_ account: borrowing AccountState, networks: ArraySlice<Int32>) -> Counts {
            var c = Counts()
            own.withUnsafeBufferPointer { table in
                account.vocabulary.forEachFilledBin { b, v in
                    c.bins += 1
                    let key = Int(b) << 16 | Int(v)
                    if table[key >> 6] & (1 << UInt64(key & 63)) != 0 { c.ownBins += 1 }
                }
            }
            c.networks = networks.count
            for id in networks where pool[Int(id)] { c.poolNetworks += 1 }
            return c
        }
    }

    /// Accounts (indices, ascending) outside `members` and `taken` whose vocabulary falls on the
    /// cluster's own sketch values and whose networks lie in its pool, or who were created
    /// within `creationWindowHours` of one of its sittings (members created within that window
    /// of another member, in a cluster created together beyond chance), beyond chance: the content tail (beta-binomial,
    /// fitted on the outsiders) at most `level`, the witness below 1 (the network tail, if at
    /// most 1/2, or, when created within the window and the share of outsiders so created is
    /// no larger, twice that share), and Fisher's combination of the content tail and the
    /// witness at most `level` divided by the accounts tested (those with a vocabulary and a
    /// network or a creation time). The cluster's own values are (bin, value) pairs of the
    /// vocabulary sketches held by two or more members, members being at least half of their
    /// holders; its pool, networks at least half of whose (estimated) holders are members.
    /// `poolMembers`: the accounts whose pool it is, when not `members` (the cluster a part was
    /// split from: campaigns sharing one proxy pool, each of them too small a share of its
    /// networks' holders to call them its own). `tables` are the run's (`HolderTables`): the
    /// estimated holders of a network weight each holder by 1 / coverage of its network set.
    /// O(accounts × sketch bins).
    static func candidates(
        for members: [Int], poolOf poolMembers: [Int]? = nil, accounts: [AccountState], rarity: VocabularyRarity,
        tables: HolderTables, taken: Set<Int>, level: Double, creationWindowHours: Double = 24, threads: Int
    ) -> [Int] {
        let inCluster = Set(members)
        // The members' values bin by bin, each bin's counted in one table of 65,536 (a
        // dictionary of every member's every bin before).
        var binValues = Array(repeating: [UInt16](), count: AccountState.vocabularyBins)
        for m in members { accounts[m].vocabulary.forEachFilledBin { b, v in binValues[b].append(v) } }
        var memberHolders = [Int32](repeating: 0, count: 1 << 16)
        var own: [UInt32] = []
        for (b, values) in binValues.enumerated() {
            for v in values { memberHolders[Int(v)] += 1 }
            for v in values where memberHolders[Int(v)] > 0 {
                let holders = Int(memberHolders[Int(v)])
                memberHolders[Int(v)] = 0
                if holders >= 2 && 2 * holders >= rarity.holders(bin: b, value: v) { own.append(UInt32(b) << 16 | UInt32(v)) }
            }
        }
        var inside: [Int32: Double] = [:]
        for m in poolMembers ?? members {
            let w = 1 / coverage(accounts[m].networks.values)
            for id in tables.networks(m) { inside[id, default: 0] += w }
        }
        var pool = [Bool](repeating: false, count: tables.idCount)
        var poolSize = 0
        for (id, weight) in inside where 2 * weight >= tables.estimatedHolders[Int(id)] - 1e-9 {
            pool[Int(id)] = true
            poolSize += 1
        }
        let memberCreated = members.compactMap { accounts[$0].createdAt }.sorted()
        let window = Int64(creationWindowHours * 3_600_000)
        // The members created within the window of another member: the sittings that signed
        // the campaign up (its other members' times, aged accounts spread over years, witness
        // nothing).
        let sittings = memberCreated.indices.filter { k in
            (k > 0 && memberCreated[k] - memberCreated[k - 1] <= window)
                || (k + 1 < memberCreated.count && memberCreated[k + 1] - memberCreated[k] <= window)
        }.map { memberCreated[$0] }
        /// Whether `c` lies within the window of one of `times` (ascending).
        func within(_ c: Int64?, _ times: [Int64]) -> Bool {
            guard let c, !times.isEmpty else { return false }
            var lo = 0
            var hi = times.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if times[mid] < c - window { lo = mid + 1 } else { hi = mid }
            }
            return lo < times.count && times[lo] <= c + window
        }
        guard !own.isEmpty, poolSize > 0 || !sittings.isEmpty else { return [] }
        let reference = Reference(own: own, pool: pool)
        // Every outsider's counts, on all cores in blocks kept in order. Accounts of reported
        // clusters (`taken`) are no outsiders: another campaign's accounts sharing this one's
        // proxy pool or public questions would widen the null they are not part of.
        let outsiders = accounts.indices.filter { !inCluster.contains($0) && !taken.contains($0) }
        let shared = UncheckedSendable((accounts, outsiders, reference, tables))
        let counts = parallelBlocks(count: outsiders.count, blockSize: 4096, threads: threads) { range in
            let (accounts, outsiders, reference, tables) = shared.value
            return range.map { reference.counts(accounts[outsiders[$0]], networks: tables.networks(outsiders[$0])) }
        }
        let timed = outsiders.map { accounts[$0].createdAt != nil }
        let tested = outsiders.indices.filter { counts[$0].bins > 0 && (counts[$0].networks > 0 || timed[$0]) }
        guard !tested.isEmpty else { return [] }
        let cut = level / Double(tested.count)
        let timedTested = tested.indices.filter { timed[tested[$0]] }
        func share(_ flags: [Bool]) -> Double {
            timedTested.isEmpty ? 1 : Double(timedTested.filter { flags[$0] }.count) / Double(timedTested.count)
        }
        // The creation time witnesses only for a cluster created together: more of its members
        // created within the window of another member than the outsiders' share within the
        // window of a member predicts (binomial tail at most `level`). A campaign of aged
        // accounts spread over years leaves every outsider near one of its members' creation
        // times, and witnesses nothing.
        let nearMember = tested.map { within(accounts[outsiders[$0]].createdAt, memberCreated) }
        let createdTogether = NetworkPoolAttachment.binomialTail(sittings.count, memberCreated.count, share(nearMember)) <= level
        // Then an outsider created within the window of one of its sittings has, under the
        // null, the outsiders' share of being so.
        let together = createdTogether ? tested.map { within(accounts[outsiders[$0]].createdAt, sittings) } : tested.map { _ in false }
        let creationShare = createdTogether ? share(together) : 1
        let contentNull = BetaBinomialNull.trimmed(counts.filter { $0.bins > 0 }.map { ($0.ownBins, $0.bins) }, cut: cut)
        let networkNull = BetaBinomialNull.trimmed(counts.filter { $0.networks > 0 }.map { ($0.poolNetworks, $0.networks) }, cut: cut)
        var added: [Int] = []
        var contentTails: [Int: Double] = [:]
        var networkTails: [Int: Double] = [:]
        for (t, k) in tested.enumerated() {
            let c = counts[k]
            // Cheap checks first: most accounts hold none of the cluster's values.
            guard c.ownBins > 0 && (c.poolNetworks > 0 || together[t]) else { continue }
            let contentP = contentTails[c.ownBins << 16 | c.bins] ?? contentNull.tail(c.ownBins, c.bins)
            contentTails[c.ownBins << 16 | c.bins] = contentP
            guard contentP <= level else { continue }
            // The networks must point the same way (no fewer pool networks than an outsider's
            // median share): a benchmark run from a cloud account sends the campaign's public
            // questions verbatim, but not from its pool (nor was it created with the campaign).
            var witness = 1.0
            if c.poolNetworks > 0 {
                let networkP = networkTails[c.poolNetworks << 16 | c.networks] ?? networkNull.tail(c.poolNetworks, c.networks)
                networkTails[c.poolNetworks << 16 | c.networks] = networkP
                if networkP <= 0.5 { witness = networkP }
            }
            // The smaller of two tails is a p-value of its own below the creation share (only
            // the network tail reaches there), and at most twice its value from there up.
            if together[t] && creationShare <= witness { witness = min(1, 2 * creationShare) }
            guard witness < 1, fisher(contentP, witness) <= cut else { continue }
            added.append(outsiders[k])
        }
        return added
    }
}
