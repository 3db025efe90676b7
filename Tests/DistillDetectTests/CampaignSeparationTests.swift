import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate

/// The statistics behind evidence attachment and the content split, against references.
@Suite("Evidence attachment and content communities")
struct CampaignSeparationTests {
    /// Beta-binomial pmf by the product form (Pólya urn): C(n, x) ∏ (α + i) ∏ (β + i) / ∏ (α + β + i).
    static func referenceTail(_ j: Int, _ n: Int, p: Double, rho: Double) -> Double {
        let s = 1 / rho - 1
        let a = p * s
        let b = (1 - p) * s
        var total = 0.0
        for x in j...n {
            var pmf = 1.0
            for i in 0..<x { pmf *= (a + Double(i)) * Double(n - i) / Double(i + 1) }
            for i in 0..<(n - x) { pmf *= b + Double(i) }
            for i in 0..<n { pmf /= a + b + Double(i) }
            total += pmf
        }
        return total
    }

    @Test("the beta-binomial tail matches the urn-product reference, and the binomial at rho 0")
    func betaBinomialTail() {
        for (p, rho) in [(0.01, 0.002), (0.3, 0.05), (0.001, 0.1), (0.5, 0.3)] {
            let null = BetaBinomialNull(p: p, rho: rho)
            for (j, n) in [(1, 10), (3, 20), (6, 128), (12, 128), (20, 32)] {
                let reference = Self.referenceTail(j, n, p: p, rho: rho)
                #expect(abs(null.tail(j, n) - reference) <= 1e-9 * max(1, reference) + 1e-300, "p \(p) rho \(rho) j \(j) n \(n)")
            }
        }
        let binomial = BetaBinomialNull(p: 0.02, rho: 0)
        #expect(abs(binomial.tail(5, 128) - NetworkPoolAttachment.binomialTail(5, 128, 0.02)) < 1e-15)
    }

    @Test("the method-of-moments fit recovers the rate and the overdispersion")
    func momentFit() {
        // Units whose own rate is 0.01 or 0.05 (half each): mean 0.03, intra-unit correlation
        // Var(rate) / (p(1 − p)) = 0.0004 / 0.0291.
        var units: [(x: Int, n: Int)] = []
        var rng = SeededRandom(seed: 7)
        for u in 0..<4000 {
            let rate = u % 2 == 0 ? 0.01 : 0.05
            var x = 0
            for _ in 0..<100 where rng.unit() < rate { x += 1 }
            units.append((x, 100))
        }
        let fit = BetaBinomialNull(units)
        #expect(abs(fit.p - 0.03) < 0.002)
        #expect(abs(fit.rho - 0.0004 / 0.0291) < 0.004)
        // Binomial units: no overdispersion.
        let flat = BetaBinomialNull((0..<4000).map { _ in
            var x = 0
            for _ in 0..<100 where rng.unit() < 0.03 { x += 1 }
            return (x, 100)
        })
        #expect(flat.rho < 0.002)
    }

    @Test("the trimmed fit is the ordinary accounts' null, not widened by a campaign among them")
    func trimmedFit() {
        var rng = SeededRandom(seed: 11)
        var units: [(x: Int, n: Int)] = (0..<4000).map { _ in
            var x = 0
            for _ in 0..<128 where rng.unit() < 0.001 { x += 1 }
            return (x, 128)
        }
        // Forty campaign accounts with 15–34 of their 128 bins on the cluster's phrasing.
        units += (0..<40).map { (15 + $0 % 20, 128) }
        let cut = 0.005 / 4040
        let contaminated = BetaBinomialNull(units)
        let trimmed = BetaBinomialNull.trimmed(units, cut: cut)
        #expect(contaminated.tail(15, 128) > cut)
        #expect(trimmed.tail(15, 128) < cut)
        #expect(abs(trimmed.p - 0.001) < 0.0003)
        // Ordinary accounts do not stand out under it.
        #expect(trimmed.tail(2, 128) > 0.001)
    }

    @Test("Fisher's combination is the chi-square tail with four degrees of freedom")
    func fisher() {
        // P(χ²₄ ≥ t) = e^(−t/2)(1 + t/2), t = −2 ln(p₁p₂).
        for (a, b) in [(0.05, 0.05), (1e-6, 0.3), (0.5, 1.0), (1e-30, 1e-10)] {
            let t = -2 * log(a * b)
            let reference = exp(-t / 2) * (1 + t / 2)
            #expect(abs(EvidenceAttachment.fisher(a, b) - reference) <= 1e-12 * max(reference, 1e-300) + 1e-300)
        }
        #expect(abs(EvidenceAttachment.fisher(0.05, 0.05) - 0.0174786) < 1e-6)
        #expect(EvidenceAttachment.fisher(1, 1) == 1)
    }

    @Test("Louvain finds planted communities and leaves a uniform graph whole")
    func louvain() {
        // Three groups of 12: weight 0.2 inside, 0.02 across.
        let n = 36
        var w = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where i != j { w[i * n + j] = i / 12 == j / 12 ? 0.2 : 0.02 }
        }
        let found = ContentCommunities.louvain(w, n: n)
        for i in 0..<n { for j in 0..<n { #expect((found[i] == found[j]) == (i / 12 == j / 12), "\(i) \(j)") } }
        // Every pair alike: one community.
        var uniform = [Double](repeating: 0.1, count: n * n)
        for i in 0..<n { uniform[i * n + i] = 0 }
        #expect(Set(ContentCommunities.louvain(uniform, n: n)).count == 1)
    }

    /// The attachments read holders from the null model's index: each network and credential
    /// must have one id, and the holders (and estimated holders) a pass over the states counts.
    @Test("holder tables give each network and credential the holders a pass over the states counts")
    func holderTables() throws {
        let accounts = try generatedAccounts(exchanges: 20_000, days: 3, seed: 47)
        for threads in [1, 2] {
            let index = PopulationIndex(accounts, taxonomy: .builtIn, rarity: VocabularyRarity(accounts), threads: threads)
            let tables = HolderTables(accounts, index: index)
            // The reference: dictionaries by hash, credentials tagged by kind.
            var networkHolders: [UInt64: Int] = [:]
            var estimated: [UInt64: Double] = [:]
            var credentialHolders: [UInt64: Int] = [:]
            func credentials(_ a: AccountState) -> [UInt64] {
                a.payments.values.hashes.map { StableHash.combine(1, $0) } + a.apiKeys.hashes.map { StableHash.combine(2, $0) }
            }
            for a in accounts {
                let w = 1 / EvidenceAttachment.coverage(a.networks.values)
                for h in a.networks.values.hashes {
                    networkHolders[h, default: 0] += 1
                    estimated[h, default: 0] += w
                }
                for h in credentials(a) { credentialHolders[h, default: 0] += 1 }
            }
            var idOf: [UInt64: Int32] = [:]
            var hashOf: [Int32: UInt64] = [:]
            var wrong = 0
            var sharedNetworks = 0
            var sharedCredentials = 0
            for i in accounts.indices {
                let networks = accounts[i].networks.values.hashes
                let ids = Array(tables.networks(i))
                #expect(ids.count == networks.count)
                for (h, id) in zip(networks, ids) {
                    if idOf[h, default: id] != id || hashOf[id, default: h] != h { wrong += 1 }
                    idOf[h] = id
                    hashOf[id] = h
                    if Int(tables.holders[Int(id)]) != networkHolders[h] || tables.estimatedHolders[Int(id)] != estimated[h] { wrong += 1 }
                    if networkHolders[h]! > 1 { sharedNetworks += 1 }
                }
                let held = credentials(accounts[i])
                let credentialIDs = Array(tables.credentials(i))
                #expect(credentialIDs.count == held.count)
                for (h, id) in zip(held, credentialIDs) {
                    if idOf[h, default: id] != id || hashOf[id, default: h] != h { wrong += 1 }
                    idOf[h] = id
                    hashOf[id] = h
                    if Int(tables.holders[Int(id)]) != credentialHolders[h] { wrong += 1 }
                    if credentialHolders[h]! > 1 { sharedCredentials += 1 }
                }
            }
            #expect(wrong == 0, "threads \(threads)")
            // The generated campaigns share networks and cards, and rotate over more networks
            // than an account keeps: the counts and the weights were put to the test.
            #expect(sharedNetworks > 100 && sharedCredentials > 20, "\(sharedNetworks) \(sharedCredentials)")
            #expect(accounts.contains { $0.networks.values.saturated })
        }
    }
}
