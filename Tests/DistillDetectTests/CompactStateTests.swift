import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

// The compact forms behind a small account's state (issue: hostile input, memory under a flood
// of one-exchange accounts): inline-first lists, sparse MinHash sketches, the state's fields
// behind copy-on-write references. Each must behave exactly as the plain form it replaces.

@Suite("Compact account state")
struct CompactStateTests {
    @Test("SmallArray behaves as Array under random inserts, removals and writes", arguments: [1, 2, 3] as [UInt64])
    func smallArrayModel(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<300 {
            var small = SmallArray<UInt64>()
            var model: [UInt64] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                switch Int.random(in: 0..<5, using: &rng) {
                case 0, 1:
                    let v = UInt64.random(in: 0..<20, using: &rng)
                    let at = Int.random(in: 0...model.count, using: &rng)
                    small.insert(v, at: at)
                    model.insert(v, at: at)
                case 2 where !model.isEmpty:
                    #expect(small.removeLast() == model.removeLast())
                case 3 where !model.isEmpty:
                    let at = Int.random(in: 0..<model.count, using: &rng)
                    let v = UInt64.random(in: 0..<20, using: &rng)
                    small[at] = v
                    model[at] = v
                case 4 where !model.isEmpty:
                    // Writes through the buffer reach the elements (inline or not).
                    small.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] &+= 1 } }
                    model = model.map { $0 &+ 1 }
                default:
                    small.append(7)
                    model.append(7)
                }
                #expect(small.array == model)
                #expect(small.count == model.count && small.last == model.last)
                #expect(small.withUnsafeBufferPointer { Array($0) } == model)
                // Equal contents, equal lists, whichever way they were built.
                #expect(small == SmallArray(model))
            }
        }
    }

    @Test("a copy of a SmallArray is independent of the original")
    func smallArrayValueSemantics() {
        var a: SmallArray<String> = ["x", "y", "z"]
        let b = a
        a[1] = "changed"
        a.append("w")
        #expect(b.array == ["x", "y", "z"])
        #expect(a.array == ["x", "changed", "z", "w"])
    }

    @Test("sparse and dense sketches: equal bins, equal sketches, whatever the order of inserts and merges", arguments: [64, 128])
    func sketchForms(bins: Int) {
        var rng = SeededRandom(seed: UInt64(bins))
        for _ in 0..<200 {
            // From one element (sparse) to thousands (dense).
            let n = [1, 3, 10, 40, 200, 3000][Int.random(in: 0..<6, using: &rng)]
            let hashes = (0..<n).map { _ in rng.next() }
            var whole = MinHashSketch(binCount: bins)
            whole.insert(contentsOf: hashes)
            // The same elements one by one, in reverse, and as a merge of random parts.
            var single = MinHashSketch(binCount: bins)
            for h in hashes.reversed() { single.insert(h) }
            let cut = Int.random(in: 0...n, using: &rng)
            var left = MinHashSketch(binCount: bins)
            left.insert(contentsOf: Array(hashes[..<cut]))
            var right = MinHashSketch(binCount: bins)
            right.insert(contentsOf: Array(hashes[cut...]))
            var merged = right
            merged.merge(left)
            #expect(single == whole && merged == whole)
            #expect(single.bins == whole.bins && merged.bins == whole.bins)
            // The bins are those of a plain dense sketch.
            var dense = [UInt16](repeating: MinHashSketch.emptyBin, count: bins)
            let shift = UInt64(64 - bins.trailingZeroBitCount)
            for h in hashes {
                let b = Int(h >> shift)
                dense[b] = min(dense[b], min(UInt16(truncatingIfNeeded: h), MinHashSketch.emptyBin - 1))
            }
            #expect(whole.bins == dense)
            #expect(MinHashSketch(bins: dense) == whole)
            var filled: [Int] = []
            whole.forEachFilledBin { b, v in
                filled.append(b)
                #expect(dense[b] == v)
            }
            #expect(filled == dense.indices.filter { dense[$0] != MinHashSketch.emptyBin })
        }
        #expect(MinHashSketch(binCount: bins).isEmpty && MinHashSketch(bins: [UInt16](repeating: MinHashSketch.emptyBin, count: bins)).isEmpty)
    }

    @Test("state fields are copied on write: a copy never sees the original's later changes")
    func stateCopyOnWrite() {
        var a = AccountState(accountID: "acct")
        a.exchanges = 3
        a.ips.insert(42) { "10.0.0.1" }
        let b = a
        #expect(a == b)
        a.exchanges = 4
        a.ips.insert(7) { "10.0.0.2" }
        a.orgs.insert(9) { "org" }
        #expect(b.exchanges == 3 && b.ips.values.hashes == [42] && b.orgs.values.hashes.isEmpty)
        #expect(a.exchanges == 4 && a.ips.values.hashes == [7, 42] && a.orgs.labels == ["org"])
        #expect(a != b)
        // Rare fields read before any write, or merged from a state that has none, are empty
        // and compare equal to never-touched ones.
        var c = AccountState(accountID: "acct")
        var d = AccountState(accountID: "acct")
        d.toolCalls = 0
        c.merge(AccountState(accountID: "acct"))
        #expect(c == d && c == AccountState(accountID: "acct"))
    }

    @Test("a list of states is a list of references; one exchange leaves its lists inline")
    func stateLayout() throws {
        #expect(MemoryLayout<AccountState>.stride == MemoryLayout<Int>.stride)
        let dir = try TemporaryDirectory()
        try dir.write("one.jsonl", text: """
            {"ts":"2026-04-20T10:00:00Z","account_id":"a1","api_key_id":"k1","ip":"203.0.113.9","user_agent":"client/1","model":"m","payment_fingerprint":"pm_1","prompt":"Write a Python function that parses a date."}

            """)
        var options = ScanOptions()
        options.threads = 1
        let state = try #require(FeatureRun.run(inputs: [.file(dir.file("one.jsonl"))], options: options, taxonomy: .builtIn).accounts.first)
        for list in [state.ips.values.list, state.networks.values.list, state.apiKeys.list, state.payments.values.list,
                     state.userAgents.values.list, state.models.values.list, state.templates.list] {
            #expect(list.count == 1)
            if case .many = list.storage { Issue.record("a one-element list holds an array") }
        }
        if case .many = state.times.entries.storage { Issue.record("the time sample holds an array") }
        if case .many = state.exemplars.storage { Issue.record("the exemplars hold an array") }
        #expect(!state.vocabulary.isEmpty && !state.synchronySketch.isEmpty)
    }
}
