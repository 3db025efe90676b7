import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Creation bursts, the credential graph's pieces and the null model's reference groups, each
/// against a simple reference on small inputs.
@Suite("Creation bursts and credential linkage")
struct CredentialLinkageTests {
    static let start: Int64 = 1_776_643_200_000  // 2026-04-20T00:00Z
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    @Test("Poisson tail matches the sum of the probability mass function")
    func poissonTail() {
        func pmf(_ k: Int, _ lambda: Double) -> Double { exp(Double(k) * log(lambda) - lambda - lgamma(Double(k) + 1)) }
        for lambda in [0.05, 0.4, 3.0, 25.0] {
            for k in [1, 2, 5, 12, 40] {
                let reference = 1 - (0..<k).reduce(0.0) { $0 + pmf($1, lambda) }
                let direct = (k..<(k + 400)).reduce(0.0) { $0 + pmf($1, lambda) }
                let tail = CreationBursts.poissonTail(k, lambda)
                // Far tails are compared with the direct sum (1 − cdf loses them to rounding).
                let expected = reference > 1e-6 ? reference : direct
                #expect(abs(tail - expected) <= 1e-9 + 1e-6 * expected, "k \(k), λ \(lambda): \(tail) vs \(expected)")
            }
        }
        #expect(CreationBursts.poissonTail(0, 2) == 1)
        #expect(CreationBursts.poissonTail(3, 0) == 0)
    }

    /// 3,000 sign-ups spread over two years (with a slow rise), 40 accounts registered within
    /// three hours, 12 more the next day within one hour, and accounts without creation times.
    static func creations(seed: UInt64) -> (createdAt: [Int64?], burst: Set<Int>, second: Set<Int>) {
        var rng = SeededRandom(seed: seed)
        var created: [Int64?] = []
        for _ in 0..<3000 {
            let age = Int64(730 * rng.unit() * rng.unit().squareRoot() * Double(day))
            created.append(start - age)
        }
        for _ in 0..<100 { created.append(nil) }
        var burst = Set<Int>()
        let at = start - 20 * day + 9 * hour
        for _ in 0..<40 {
            burst.insert(created.count)
            created.append(at + Int64(rng.int(0..<Int(3 * hour))))
        }
        var second = Set<Int>()
        for _ in 0..<12 {
            second.insert(created.count)
            created.append(at + day + Int64(rng.int(0..<Int(hour))))
        }
        return (created, burst, second)
    }

    @Test("a registration burst is found whole, as one burst; ordinary sign-ups are in none")
    func bursts() {
        for seed in UInt64(1)...3 {
            let (createdAt, burst, second) = Self.creations(seed: seed)
            let found = CreationBursts(createdAt: createdAt, level: 1e-6)
            let ids = Set(burst.compactMap { found.burstOf[$0] })
            #expect(ids.count == 1, "seed \(seed): the 3-hour burst is \(ids.count) bursts")
            #expect(burst.allSatisfy { found.burstOf[$0] != nil })
            #expect(second.allSatisfy { found.burstOf[$0] != nil } && Set(second.compactMap { found.burstOf[$0] }).count == 1)
            let ordinary = createdAt.indices.filter { !burst.contains($0) && !second.contains($0) && found.burstOf[$0] != nil }
            // An ordinary sign-up may share a burst's hour; none may make a burst of its own.
            #expect(ordinary.count <= 2, "seed \(seed): \(ordinary.count) ordinary accounts in bursts")
            #expect(found.bursts.count == 2)
            if let b = ids.first {
                #expect(found.bursts[b].hours == 3 || found.bursts[b].hours == 4)
                #expect(found.bursts[b].expected < 3, "expected \(found.bursts[b].expected) of \(found.bursts[b].accounts)")
            }
            #expect(createdAt.indices.filter { createdAt[$0] == nil }.allSatisfy { found.burstOf[$0] == nil })
        }
    }

    /// The scale statistic against a brute-force reference: each hour's count and the rate of the
    /// surrounding window counted directly.
    @Test("burst hours agree with a brute-force count of each hour and its surrounding rate")
    func burstsAgainstReference() {
        let (createdAt, _, _) = Self.creations(seed: 9)
        let found = CreationBursts(createdAt: createdAt, level: 1e-6)
        func hourOf(_ t: Int64) -> Int64 { t >= 0 ? t / Self.hour : (t - Self.hour + 1) / Self.hour }
        let hours = createdAt.compactMap { $0.map(hourOf) }
        var count: [Int64: Int] = [:]
        var someone: [Int64: Int] = [:]
        for (i, c) in createdAt.enumerated() {
            guard let c else { continue }
            count[hourOf(c), default: 0] += 1
            if someone[hourOf(c)] == nil { someone[hourOf(c)] = i }
        }
        let window: Int64 = 7 * 24
        for (h, k) in count {
            let around = hours.filter { $0 >= h - window && $0 <= h + window }.count - k
            let lambda = Double(max(1, around)) / Double(2 * window)
            let isBurst = k >= 3 && CreationBursts.poissonTail(k, lambda) <= 1e-6
            #expect((found.burstOf[someone[h]!] != nil) == isBurst, "hour \(h): \(k) sign-ups, λ \(lambda)")
        }
    }

    @Test("the null model's random groups never hold the cluster's own members; round the clock tells a batch orchestrator from a cron fleet")
    func nullGroupsAndRoundTheClock() throws {
        let (_, accounts) = try SynchronyLinkageTests.accounts(SynchronyLinkageTests.population(seed: 11, campaign: true))
        let taxonomy = CompiledTaxonomy(Taxonomy.builtIn)
        let index = PopulationIndex(accounts, taxonomy: taxonomy, rarity: VocabularyRarity(accounts))
        func group(_ prefix: String) -> [Int] { accounts.indices.filter { accounts[$0].accountID.hasPrefix(prefix) } }
        let campaign = group("acct_s")
        let fleet = group("acct_c")
        var rng = SeededRandom(seed: 1)
        for _ in 0..<50 {
            let random = NullModel.randomGroup(like: campaign, excluding: Set(campaign), index: index, rng: &rng)
            #expect(Set(random).isDisjoint(with: campaign))
            #expect(Set(random).count == campaign.count)
            let typical = NullModel.typicalGroup(like: fleet, excluding: Set(fleet), index: index, rng: &rng)
            #expect(typical.count == fleet.count)
        }
        // Batches every two hours round the clock against one nightly minute and daytime people.
        let orchestrated = try #require(GroupFigures.roundTheClock(campaign, index: index))
        let nightly = try #require(GroupFigures.roundTheClock(fleet, index: index))
        let people = try #require(GroupFigures.roundTheClock(Array(group("acct_b").prefix(40)), index: index))
        #expect(orchestrated > 0.9, "orchestrated \(orchestrated)")
        #expect(nightly < 0.35, "nightly \(nightly)")
        #expect(people < orchestrated - 0.2, "people \(people)")
        #expect(GroupFigures.roundTheClock([campaign[0]], index: index) == nil)
    }
}
