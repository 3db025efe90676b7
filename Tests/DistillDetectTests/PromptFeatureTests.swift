import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

private func analyze(_ text: String, taxonomy: CompiledTaxonomy = .builtIn) -> (PromptFeatures, MinHashSketch) {
    var analyzer = PromptAnalyzer(taxonomy: taxonomy)
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { analyzer.analyze(UnsafeRawBufferPointer($0)) }
    return (analyzer.features, analyzer.sketch)
}

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("Template skeletons")
struct SkeletonTests {
    @Test("slot-filled variants of a template share its key", arguments: [
        ["Implement an LRU cache in Rust with capacity 128.", "Implement an LRU cache in Go with capacity 4096.",
         "implement an LRU cache in Kotlin with capacity 7."],
        ["Translate \"good morning\" into French, please.", "Translate \"see you on Monday at 9\" into German, please."],
        ["Fix this code:\n```python\nx = [1, 2\nprint(x)\n```\nThanks", "Fix this code:\n```js\nconst a = b +;\n```\nThanks"],
        ["Why does fetch_user() return None when the id is 42?", "Why does load_config() return None when the id is 7?"],
        ["Order #88123 arrived damaged, refund $45.99", "Order #1002 arrived damaged, refund $3.50"],
        ["WHAT IS THE CAPITAL OF FRANCE", "what is the capital of france"],
        ["Explain   the\tresult  of `git rebase -i`", "explain the result of `npm ci`"],
    ])
    func variantsGroup(_ variants: [String]) {
        let keys = Set(variants.map { analyze($0).0.templateKey })
        #expect(keys.count == 1, "\(variants)")
    }

    @Test("different templates get different keys")
    func templatesSeparate() {
        let prompts = [
            "Implement an LRU cache in Rust with capacity 128.",
            "Implement a trie in Rust with capacity 128.",
            "Summarize this article in three sentences.",
            "Translate this article in three sentences.",
            "Write a poem about the sea.",
            "Write a poem about the sea and the sky.",
            "hi",
            "thanks",
        ]
        let keys = prompts.map { analyze($0).0.templateKey }
        #expect(Set(keys).count == prompts.count)
    }

    @Test("paraphrases of one campaign template are near duplicates; unrelated prompts are not")
    func nearDuplicateSketch() {
        let a = analyze("Act as an experienced Rust programmer. Write a bloom filter in Rust. Requirement: It must be thread-safe. Walk through your thinking in detail first, then write the code.").1
        let b = analyze("Act as an experienced Go programmer. Write a skip list in Go. Requirement: Avoid recursion. Walk through your thinking in detail first, then write the code.").1
        let c = analyze("What should I see in Kyoto if I only have one day? I like temples and food markets.").1
        let sameTemplate = MinHashSketch.similarity(a, b)
        let unrelated = MinHashSketch.similarity(a, c)
        #expect(sameTemplate > 0.5)
        #expect(unrelated < 0.1)
    }
}

@Suite("Prompt analysis cache")
struct PromptCacheTests {
    @Test("a repeated prompt is served from the cache with the same features, shingles and text")
    func cacheHitsMatchFreshAnalysis() throws {
        let prompts = [
            #"{"ts":1776865501,"account_id":"a","prompt":"Implement a trie in Rust. Think step by step.\u00e9"}"#,
            #"{"ts":1776865501,"account_id":"a","prompt":"Write a poem about autumn"}"#,
            #"{"ts":1776865501,"account_id":"a","messages":[{"role":"user","content":[{"type":"text","text":"part one"},{"type":"text","text":"part two"}]}]}"#,
        ]
        var decoder = ExchangeDecoder(schema: DecodeSchema())
        var cached = PromptAnalyzer(taxonomy: .builtIn)
        for round in 0..<3 {
            for prompt in prompts {
                let bytes = Array(prompt.utf8)
                try bytes.withUnsafeBytes { raw in
                    #expect(decoder.decode(raw) == nil)
                    let spans = try #require(decoder.record.promptSpans)
                    cached.analyze(line: raw, spans: decoder.record.textSpans[spans])
                    cached.materializeText()
                    var fresh = PromptAnalyzer(taxonomy: .builtIn)
                    fresh.analyze(line: raw, spans: decoder.record.textSpans[spans])
                    #expect(cached.features == fresh.features, "round \(round)")
                    #expect(cached.shingles == fresh.shingles, "round \(round)")
                    #expect(cached.promptText == decoder.record.prompt, "round \(round)")
                }
            }
        }
    }
}

@Suite("MinHash sketches")
struct MinHashTests {
    /// Random sets with controlled overlap, as word-bigram hashes of small prompts would be.
    static func pairs(count: Int, seed: UInt64) -> [(Set<UInt64>, Set<UInt64>)] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let shared = rng.int(0...150)
            let onlyA = rng.int(1...100)
            let onlyB = rng.int(1...100)
            let common = (0..<shared).map { _ in rng.next() }
            return (Set(common + (0..<onlyA).map { _ in rng.next() }), Set(common + (0..<onlyB).map { _ in rng.next() }))
        }
    }

    static func meanAbsoluteError(bins: Int, pairs: [(Set<UInt64>, Set<UInt64>)]) -> Double {
        var total = 0.0
        for (a, b) in pairs {
            var sa = MinHashSketch(binCount: bins)
            var sb = MinHashSketch(binCount: bins)
            for h in a { sa.insert(StableHash.combine(h, 1)) }
            for h in b { sb.insert(StableHash.combine(h, 1)) }
            let exact = Double(a.intersection(b).count) / Double(a.union(b).count)
            total += abs(MinHashSketch.similarity(sa, sb) - exact)
        }
        return total / Double(pairs.count)
    }

    @Test("one-permutation MinHash estimates Jaccard on small sets with mean absolute error under 0.05")
    func accuracy() {
        let pairs = Self.pairs(count: 400, seed: 17)
        let mae128 = Self.meanAbsoluteError(bins: 128, pairs: pairs)
        let mae64 = Self.meanAbsoluteError(bins: 64, pairs: pairs)
        // SimHash estimates cosine similarity; converted to Jaccard for sets of similar size.
        var simTotal = 0.0
        for (a, b) in pairs {
            let exact = Double(a.intersection(b).count) / Double(a.union(b).count)
            let cosine = SimHash.similarity(SimHash.fingerprint(a), SimHash.fingerprint(b))
            simTotal += abs(cosine / (2 - cosine) - exact)
        }
        let maeSim = simTotal / Double(pairs.count)
        print("MinHash vs exact Jaccard on 400 pairs of 1–250-element sets: MAE k=128 \(mae128), k=64 \(mae64); SimHash-64 \(maeSim)")
        #expect(mae128 < 0.05)
        #expect(mae64 < 0.06)
        #expect(mae128 < maeSim)
    }

    @Test("sketch merge is the sketch of the union")
    func mergeIsUnion() {
        var rng = SeededRandom(seed: 3)
        let a = (0..<300).map { _ in rng.next() }
        let b = (0..<200).map { _ in rng.next() }
        var sa = MinHashSketch(binCount: 128)
        var sb = MinHashSketch(binCount: 128)
        var union = MinHashSketch(binCount: 128)
        a.forEach { sa.insert($0); union.insert($0) }
        b.forEach { sb.insert($0); union.insert($0) }
        sa.merge(sb)
        #expect(sa == union)
    }

    @Test("bottom-k sets count exactly up to k and estimate beyond, and merge exactly")
    func bottomK() {
        var rng = SeededRandom(seed: 5)
        let values = (0..<20_000).map { _ in rng.next() }
        var small = BottomKSet(capacity: 64)
        for v in values.prefix(50) { small.insert(v) }
        #expect(small.distinctCount == 50 && !small.saturated)
        var big = BottomKSet(capacity: 64)
        var left = BottomKSet(capacity: 64)
        var right = BottomKSet(capacity: 64)
        for (i, v) in values.enumerated() {
            big.insert(v)
            if i % 3 == 0 { left.insert(v) } else { right.insert(v) }
        }
        left.merge(right)
        #expect(left == big)
        #expect(abs(big.distinctCount - 20_000) / 20_000 < 0.3)
    }
}

@Suite("Capability topics")
struct TopicTests {
    struct LabelledPrompt: Decodable {
        var topic: String
        var prompt: String
        var source: String
    }

    @Test("topic accuracy is at least 90% on hand-written and public-dataset prompts")
    func accuracy() throws {
        let rows = try String(contentsOf: fixtures.appendingPathComponent("topics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(LabelledPrompt.self, from: Data($0.utf8)) }
        #expect(rows.filter { $0.source == "hand-written" }.count >= 200)
        let names = CompiledTaxonomy.builtIn.topicNames
        var confusion = Array(repeating: Array(repeating: 0, count: names.count), count: names.count)
        var correct = 0
        var misses: [String] = []
        for row in rows {
            let predicted = analyze(row.prompt).0.topic
            let actual = try #require(names.firstIndex(of: row.topic), "unknown topic \(row.topic)")
            confusion[actual][predicted] += 1
            if predicted == actual { correct += 1 } else { misses.append("\(row.topic) → \(names[predicted]): \(row.prompt.prefix(90))") }
        }
        let accuracy = Double(correct) / Double(rows.count)
        var table = "topic accuracy \(correct)/\(rows.count) = \(String(format: "%.3f", accuracy)); rows actual, columns predicted:\n"
        table += "actual \\ predicted".padding(toLength: 22, withPad: " ", startingAt: 0) + names.map { String($0.prefix(8)).leftPadded(9) }.joined() + "\n"
        for (i, name) in names.enumerated() {
            table += name.padding(toLength: 22, withPad: " ", startingAt: 0) + confusion[i].map { String($0).leftPadded(9) }.joined() + "\n"
        }
        print(table + misses.map { "  miss: " + $0 }.joined(separator: "\n"))
        #expect(accuracy >= 0.90)
    }

    @Test("chain-of-thought elicitation is a separate signal from the topic")
    func chainOfThought() {
        #expect(analyze("Implement quicksort in C. Think step by step and show your reasoning.").0.chainOfThought)
        #expect(analyze("Explain your thought process before answering: what is 17 * 23?").0.chainOfThought)
        #expect(analyze("Articulate the internal reasoning behind each design decision.").0.chainOfThought)
        #expect(analyze("<thinking> block first, then the tool call").0.chainOfThought)
        #expect(!analyze("Implement quicksort in C.").0.chainOfThought)
        #expect(!analyze("I was thinking about dinner, any ideas?").0.chainOfThought)
        #expect(analyze("Think step by step.").0.topic == CompiledTaxonomy.builtIn.topicNames.firstIndex(of: "chat_other"))
    }

    @Test("a taxonomy file replaces the built-in one; invalid files are refused with the reason")
    func customTaxonomy() throws {
        let dir = try TemporaryDirectory()
        let custom = """
            {"version": 1, "default_topic": "other", "minimum_score": 1,
             "topics": [
               {"name": "billing", "extraction_target": false, "keywords": {"invoice": 2, "refund": 2, "credit card": 3}},
               {"name": "other", "extraction_target": false, "keywords": {}}],
             "chain_of_thought_markers": ["show your work"]}
            """
        try dir.write("taxonomy.json", text: custom)
        let taxonomy = CompiledTaxonomy(try Taxonomy.load(path: dir.file("taxonomy.json")))
        #expect(taxonomy.topicNames == ["billing", "other"])
        #expect(analyze("My credit card was charged twice, I want a refund", taxonomy: taxonomy).0.topic == 0)
        #expect(analyze("Write a poem", taxonomy: taxonomy).0.topic == 1)
        #expect(analyze("Add 2 and 2 and show your work", taxonomy: taxonomy).0.chainOfThought)
        try dir.write("bad.json", text: custom.replacingOccurrences(of: "\"default_topic\": \"other\"", with: "\"default_topic\": \"nope\""))
        #expect(throws: Taxonomy.LoadError.self) { try Taxonomy.load(path: dir.file("bad.json")) }
        try dir.write("newer.json", text: custom.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 9"))
        do {
            _ = try Taxonomy.load(path: dir.file("newer.json"))
            Issue.record("a newer taxonomy version was accepted")
        } catch {
            #expect("\(error)".contains("newer"))
        }
    }

    @Test("the built-in taxonomy round-trips through its JSON form")
    func builtInJSON() throws {
        let data = try Taxonomy.builtIn.jsonData()
        #expect(try JSONDecoder().decode(Taxonomy.self, from: data) == Taxonomy.builtIn)
    }
}

@Suite("IP addresses")
struct IPAddressTests {
    @Test("parses IPv4, IPv6 and their common spellings to one address and network")
    func parsing() throws {
        let v4 = try #require(IPAddress.parse("203.0.113.7"))
        #expect(v4.networkLabel == "203.0.113.0/24")
        #expect(IPAddress.parse("203.0.113.7:443")?.addressKey == v4.addressKey)
        #expect(IPAddress.parse("203.0.113.7, 10.0.0.1")?.addressKey == v4.addressKey)
        #expect(IPAddress.parse("::ffff:203.0.113.7")?.addressKey == v4.addressKey)
        #expect(IPAddress.parse("203.0.113.99")?.networkKey == v4.networkKey)
        let v6 = try #require(IPAddress.parse("2a02:d215:a086:af9d::62a"))
        #expect(v6.isIPv6)
        #expect(v6.networkLabel == "2a02:d215:a086::/48")
        #expect(IPAddress.parse("2a02:d215:a086:af9d:0:0:0:62a")?.addressKey == v6.addressKey)
        #expect(IPAddress.parse("[2a02:d215:a086:af9d::62a]:8080")?.addressKey == v6.addressKey)
        #expect(IPAddress.parse("2a02:d215:a086:1::1")?.networkKey == v6.networkKey)
        #expect(IPAddress.parse("::1")?.low == 1)
        for bad in ["", "256.1.1.1", "1.2.3", "1.2.3.4.5", "abc", "1::2::3", "12345::1", "2a02:d215"] {
            #expect(IPAddress.parse(bad) == nil, "\(bad)")
        }
    }
}

@Suite("CSV output")
struct CSVTests {
    @Test("cells are quoted per RFC 4180 and formula-like text is neutralised")
    func encoding() {
        #expect(CSVField.text("plain").encoded == "plain")
        #expect(CSVField.text("a,b").encoded == "\"a,b\"")
        #expect(CSVField.text("say \"hi\"").encoded == "\"say \"\"hi\"\"\"")
        #expect(CSVField.text("line\nbreak").encoded == "\"line\nbreak\"")
        #expect(CSVField.text("=HYPERLINK(\"http://x\",\"y\")").encoded == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        for start in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            #expect(CSVField.text(start).encoded.hasPrefix("'") || CSVField.text(start).encoded.hasPrefix("\"'"), "\(start)")
        }
        #expect(CSVField.decimal(0.1234567).encoded == "0.123457")
        #expect(CSVField.decimal(2).encoded == "2")
        #expect(CSVField.decimal(-0.5).encoded == "-0.5")
        #expect(CSVField.decimal(1e15).encoded == "1000000000000000")
        #expect(CSVField.decimal(.nan).encoded == "")
    }
}

/// 64-bit SimHash (Charikar 2002), the baseline the MinHash accuracy test compares with.
private enum SimHash {
    static func fingerprint<S: Sequence>(_ hashes: S) -> UInt64 where S.Element == UInt64 {
        var counts = [Int](repeating: 0, count: 64)
        for h in hashes {
            for bit in 0..<64 { counts[bit] += (h >> UInt64(bit)) & 1 == 1 ? 1 : -1 }
        }
        var out: UInt64 = 0
        for bit in 0..<64 where counts[bit] > 0 { out |= 1 << UInt64(bit) }
        return out
    }

    /// Fraction of equal bits, mapped to an angle-based similarity estimate in [0, 1].
    static func similarity(_ a: UInt64, _ b: UInt64) -> Double {
        let angle = Double((a ^ b).nonzeroBitCount) / 64 * Double.pi
        return max(0, cos(angle))
    }
}
