import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Dense network blocks, network-pool attachment and rarity weights, each against a simple
/// reference on small inputs.
@Suite("Infrastructure linkage")
struct InfrastructureLinkageTests {
    /// 600 ordinary accounts on one or two networks of their own (some households share), a
    /// carrier-grade NAT of 150 users, and a campaign of 30 accounts each spread over 12 of a
    /// 40-network proxy pool that a few ordinary users also sit in.
    static func population(seed: UInt64) -> (identifiers: [[UInt64]], campaign: Set<Int>, nat: Set<Int>) {
        var rng = SeededRandom(seed: seed)
        var identifiers: [[UInt64]] = []
        var campaign = Set<Int>()
        var nat = Set<Int>()
        let pool = (0..<40).map { UInt64(1_000_000 + $0) }
        for i in 0..<600 {
            var ids = [UInt64(10_000 + i)]
            if rng.int(0..<10) == 0 { ids.append(UInt64(10_000 + i + 1)) }  // a household
            if rng.int(0..<40) == 0 { ids.append(pool[rng.int(0..<pool.count)]) }  // an ordinary user in the pool's range
            identifiers.append(ids)
        }
        for _ in 0..<150 {
            nat.insert(identifiers.count)
            identifiers.append([999, UInt64(50_000 + identifiers.count)])
        }
        for _ in 0..<30 {
            campaign.insert(identifiers.count)
            var ids = Set<UInt64>()
            while ids.count < 12 { ids.insert(pool[rng.int(0..<pool.count)]) }
            identifiers.append(ids.sorted())
        }
        return (identifiers, campaign, nat)
    }

    @Test("the densest block is the campaign's, without the ordinary users who share a network of its pool")
    func campaignBlock() {
        for seed in UInt64(1)...3 {
            let (identifiers, campaign, nat) = Self.population(seed: seed)
            let blocks = DenseBlocks.find(identifiers: identifiers, minAccounts: 5, rounds: 12)
            let found = Set(blocks.first { !Set($0).isDisjoint(with: campaign) } ?? [])
            #expect(found == campaign, "seed \(seed): \(found.subtracting(campaign).count) extra, \(campaign.subtracting(found).count) missing")
            // The NAT is a block of its own (a candidate that scoring then weighs), never mixed in.
            #expect(blocks.filter { !Set($0).isDisjoint(with: campaign) }.count == 1)
            #expect(blocks.contains { Set($0) == nat })
        }
    }

    @Test("deterministic: the same graph gives the same blocks")
    func deterministic() {
        let (identifiers, _, _) = Self.population(seed: 7)
        #expect(DenseBlocks.find(identifiers: identifiers, minAccounts: 5, rounds: 12)
            == DenseBlocks.find(identifiers: identifiers, minAccounts: 5, rounds: 12))
    }

    @Test("binomial tail matches the sum of the probability mass function")
    func binomialTail() {
        func choose(_ n: Int, _ k: Int) -> Double { k == 0 ? 1 : (1...k).reduce(1.0) { $0 * Double(n - k + $1) / Double($1) } }
        for k in [1, 5, 12, 30] {
            for p in [0.01, 0.2, 0.43, 0.9] {
                for j in 0...k {
                    let reference = (j...k).reduce(0.0) { $0 + choose(k, $1) * pow(p, Double($1)) * pow(1 - p, Double(k - $1)) }
                    #expect(abs(NetworkPoolAttachment.binomialTail(j, k, p) - min(1, reference)) < 1e-9, "j \(j) k \(k) p \(p)")
                }
            }
        }
    }

    @Test("rarity weighting: equal to plain MinHash similarity when every value is equally rare, lower when what is shared is common")
    func rarityWeights() {
        func account(_ id: String, _ words: [String]) -> AccountState {
            var a = AccountState(accountID: id)
            var sketch = MinHashSketch(binCount: AccountState.vocabularyBins)
            for w in words { sketch.insert(StableHash.hash(w)) }
            a.vocabulary = sketch
            return a
        }
        let shared = (0..<200).map { "phrase\($0)" }
        // Two accounts alone: every value is held by one or two accounts.
        let pair = [account("a", shared + (0..<200).map { "a\($0)" }), account("b", shared + (0..<200).map { "b\($0)" })]
        let alone = VocabularyRarity(pair)
        #expect(abs(alone.similarity(0, 1) - MinHashSketch.similarity(pair[0].vocabulary, pair[1].vocabulary)) < 1e-12)
        // The same two among 200 others who all say the shared phrases: what the pair shares is common.
        let crowd = pair + (0..<200).map { c in account("c\(c)", shared + (0..<200).map { w in "c\(c)-\(w)" }) }
        let common = VocabularyRarity(crowd)
        #expect(common.similarity(0, 1) == alone.similarity(0, 1))
        #expect(common.weightedSimilarity(0, 1) < 0.5 * alone.weightedSimilarity(0, 1))
    }
}
