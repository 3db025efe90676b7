import Foundation
import Testing
@testable import DistillDetect

/// The flat tables scoring reads instead of dictionaries and labelled tests, each against the
/// structure it replaces.
@Suite("Scoring's flat tables")
struct ScoringTableTests {
    @Test("dense ids from the flat table match a dictionary's, first seen first, across growth")
    func denseIDs() {
        var table = DenseIDTable()
        var reference: [UInt64: Int32] = [:]
        var rng = SeededRandom(seed: 7)
        // Repeated keys, keys that collide in their low bits, and enough keys to grow the table.
        var keys: [UInt64] = (0..<20_000).map { _ in UInt64(rng.int(0..<30_000)) }
        keys += (0..<5_000).map { UInt64($0) << 40 }
        keys += [0, UInt64.max, 0, UInt64.max]
        for key in keys {
            let next = Int32(reference.count)
            let expected = reference[key] ?? next
            if reference[key] == nil { reference[key] = next }
            #expect(table.id(for: key, next: next) == expected, "key \(key)")
        }
        #expect(table.count == reference.count)
    }

    @Test("a group's figures read one by one are the figures of its labelled tests")
    func figuresMatchTests() {
        var figures = GroupFigures(
            templateSharing: 0.1, nearDuplicateSharing: 0.15, extraction: 0.2, targets: [("a", 0.3), ("b", nil)], sharedAddresses: 0.4, sharedCredentials: 0.5, sharedAgents: 0.55,
            networkRotation: 0.58, createdTogether: 0.6, synchrony: 0.7, actionSynchrony: 0.8, uniformity: 0.9, roundTheClock: nil)
        for round in 0..<2 {
            if round == 1 { figures.roundTheClock = 0.95; figures.templateSharing = nil; figures.nearDuplicateSharing = 0.25; figures.networkRotation = nil }
            for formation in [CandidateFormation.content, .networks, .synchrony, .credentials] {
                for family in EvidenceFamily.allCases {
                    let tests = figures.tests(family, formation: formation)
                    for k in tests.indices {
                        #expect(figures.figure(family, k, formation: formation) == tests[k].1, "\(family) \(k) \(formation)")
                    }
                }
            }
        }
    }
}
