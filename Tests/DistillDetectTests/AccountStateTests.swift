import Foundation
import Testing
@testable import DistillDetect
@testable import DistillGenerate
@testable import DistillNightly
@testable import DistillPipeline
@testable import DistillReport

/// Generated logs decompressed to plain lines, shared by the tests below.
private func generatedLines(exchanges: Int = 3000, days: Int = 3, seed: UInt64 = 21, style: LogStyle = .mixed) throws -> [String] {
    let dir = try TemporaryDirectory()
    let config = generatorConfig(exchanges: exchanges, days: days, seed: seed, style: style)
    let result = try SyntheticLogGenerator.run(config: config, outputDirectory: dir.path)
    var lines: [String] = []
    for file in result.files {
        let text = String(decoding: try InputSource.file(dir.file(file)).readAllBytes(), as: UTF8.self)
        lines += text.split(separator: "\n").map(String.init)
    }
    return lines
}

private func features(_ paths: [String], threads: Int = 2) throws -> [AccountState] {
    var options = ScanOptions()
    options.threads = threads
    options.chunkSize = 64 << 10  // many chunks, so work really spreads over threads
    return FeatureRun.run(inputs: try InputDiscovery.expand(paths), options: options, taxonomy: .builtIn).accounts
}

@Suite("Per-account state")
struct AccountStateTests {
    @Test("merge law: the state of all lines equals the merge of the states of a random split", arguments: [2, 3])
    func mergeLaw(_ parts: Int) throws {
        let lines = try generatedLines()
        let dir = try TemporaryDirectory()
        var rng = SeededRandom(seed: UInt64(parts))
        var split = Array(repeating: [String](), count: parts)
        for line in lines { split[rng.int(0..<parts)].append(line) }
        let whole = try dir.write("all.jsonl", text: lines.joined(separator: "\n"))
        let partPaths = try split.enumerated().map { try dir.write("part\($0.offset).jsonl", text: $0.element.joined(separator: "\n")) }
        let all = try features([whole])
        let merged = FeatureRun.mergeSorted(try partPaths.map { try features([$0]) })
        #expect(all.count > 100)
        #expect(all.count == merged.count)
        #expect(all == merged)
        // And merging is order-independent.
        let reversed = FeatureRun.mergeSorted(try partPaths.reversed().map { try features([$0]) })
        #expect(reversed == merged)
    }

    @Test("identical features for 1, 2 and 4 threads")
    func threadIndependence() throws {
        let lines = try generatedLines(exchanges: 4000, seed: 5)
        let dir = try TemporaryDirectory()
        // Several files, so reading is parallel too.
        for i in 0..<3 { try dir.write("f\(i).jsonl", text: lines[(i * lines.count / 3)..<((i + 1) * lines.count / 3)].joined(separator: "\n")) }
        let runs = try [1, 2, 4].map { try features([dir.path], threads: $0) }
        #expect(runs[0] == runs[1])
        #expect(runs[0] == runs[2])
        let csv = runs.map { accounts in
            accounts.map { CSVWriter.line(AccountFeatureTable.row($0, topicNames: CompiledTaxonomy.builtIn.topicNames)) }.joined()
        }
        #expect(Set(csv).count == 1)
    }

    @Test("memory per account is bounded whatever its volume")
    func boundedState() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for i in 0..<20_000 {
            let ts = 1_776_000_000 + i * 37
            text += "{\"ts\":\(ts),\"account_id\":\"heavy\",\"ip\":\"10.\(i % 250).\(i / 250 % 250).\(i % 7)\",\"api_key_id\":\"k\(i)\",\"user_agent\":\"ua-\(i)\",\"prompt\":\"request number \(i) about topic t\(i) with word w\(i * 7)\"}\n"
        }
        try dir.write("heavy.jsonl", text: text)
        let state = try #require(try features([dir.file("heavy.jsonl")]).first)
        #expect(state.exchanges == 20_000)
        #expect(state.ips.values.hashes.count <= 32 && state.ips.values.saturated)
        #expect(state.apiKeys.hashes.count <= 32)
        #expect(state.userAgents.labels.count <= 2)
        #expect(state.times.entries.count == state.times.capacity)
        #expect(state.templates.hashes.count <= state.templates.capacity)
        #expect(state.exemplars.count == 1, "one template, so one exemplar")
        let bytes = AccountStateFile(topicNames: CompiledTaxonomy.builtIn.topicNames, accounts: [state]).encoded().count
        #expect(bytes < 8_000, "state of a 20,000-exchange account is \(bytes) bytes")
        // Distinct counts beyond the caps are estimated.
        #expect(state.apiKeys.distinctCount > 10_000 && state.apiKeys.distinctCount < 35_000)
    }

    @Test("derived figures: shares, topics, timing")
    func derivedFigures() throws {
        let dir = try TemporaryDirectory()
        var lines: [String] = []
        for i in 0..<10 {
            let ts = Timestamp.format(milliseconds: 1_776_816_000_000 + Int64(i) * 60_000)  // 2026-04-22, one a minute
            let prompt = i < 5 ? "Implement a trie in Rust. Think step by step." : "Write a poem about autumn"
            lines.append("{\"ts\":\"\(ts)\",\"account_id\":\"a\",\"input_tokens\":100,\"output_tokens\":300,\"status\":\(i == 0 ? 500 : 200),\"ip\":\"203.0.113.\(i % 2)\",\"payment_fingerprint\":\"pm_1\",\"prompt\":\"\(prompt)\"}")
        }
        try dir.write("a.jsonl", text: lines.joined(separator: "\n"))
        let a = try #require(try features([dir.file("a.jsonl")]).first)
        #expect(a.exchanges == 10)
        #expect(a.outputInputRatio == 3)
        #expect(a.errorShare == 0.1)
        #expect(a.chainOfThoughtShare == 0.5)
        #expect(a.activeDayCount == 1 && a.activeHourCount == 1)
        #expect(a.interarrivalMedianSeconds == 60)
        #expect(a.interarrivalCV == 0)
        #expect(a.ips.distinctCount == 2 && a.networks.distinctCount == 1)
        #expect(a.payments.labels == ["pm_1"])
        let names = CompiledTaxonomy.builtIn.topicNames
        #expect(a.topicShare(names.firstIndex(of: "software_engineering")!) == 0.5)
        #expect(a.topicShare(names.firstIndex(of: "writing")!) == 0.5)
        #expect(a.topicEntropy(topicCount: names.count) > 0.3)
        // 2026-04-22 is a Wednesday: hour of week 2 * 24 + 0.
        #expect(a.hourOfWeek.count(48) == 10)
    }
}

/// Folds records into states summary by summary, the plain way: the oracle for the flat
/// per-exchange state the accumulator keeps (`HotAccountState`).
private final class ReferenceFold: ExchangeConsumer {
    var states: [String: AccountState] = [:]
    var analyzer: PromptAnalyzer
    var resultAnalyzer = PromptAnalyzer(taxonomy: nil)

    init(taxonomy: CompiledTaxonomy) { analyzer = PromptAnalyzer(taxonomy: taxonomy) }

    func consume(_ record: borrowing DecodedExchange) {
        let id = record.string(.accountID) ?? ""
        var a = states[id] ?? AccountState(accountID: id)
        defer { states[id] = a }
        let ts = record.timestampMilliseconds
        a.exchanges += 1
        a.firstSeen = min(a.firstSeen, ts)
        a.lastSeen = max(a.lastSeen, ts)
        let day = Timestamp.day(ts)
        let hour = Int((ts >= 0 ? ts / 3_600_000 : (ts - 3_599_999) / 3_600_000) - day * 24)
        a.activeDays.add(UInt16(truncatingIfNeeded: day))
        a.activeHours.add(day: UInt16(truncatingIfNeeded: day), hour: hour)
        a.hourOfWeek.add(UInt16((((day + 3) % 7 + 7) % 7) * 24 + Int64(hour)))
        a.times.insert(ts)
        if let v = record.integer(.inputTokens), v > 0 { a.inputTokens += Int(v) }
        if let v = record.integer(.outputTokens), v > 0 { a.outputTokens += Int(v) }
        if let s = record.integer(.status), s >= 400 { a.errors += 1 }
        if record.userMessageCount <= 1 { a.singleTurn += 1 }
        if let c = record.integer(.accountCreated), c < (a.createdAt ?? .max) { a.createdAt = c }
        func hash(_ f: LogField) -> UInt64 { record.string(f).map { StableHash.hash($0) | 1 } ?? 0 }
        if hash(.apiKeyID) != 0 { a.apiKeys.insert(hash(.apiKeyID)) }
        if hash(.orgID) != 0 { a.orgs.insert(hash(.orgID)) { record.string(.orgID)! } }
        if hash(.paymentFingerprint) != 0 { a.payments.insert(hash(.paymentFingerprint)) { record.string(.paymentFingerprint)! } }
        if hash(.userAgent) != 0 { a.userAgents.insert(hash(.userAgent)) { record.string(.userAgent)! } }
        if hash(.model) != 0 {
            a.models.insert(hash(.model)) { record.string(.model)! }
            a.modelUse.add(hash(.model), first: ts, count: 1)
        }
        if hash(.country) != 0 { a.countries.insert(hash(.country)) { record.string(.country)! } }
        if record.toolCalls > 0 || record.toolResults > 0 || record.toolSetKey != 0 {
            a.toolCalls += record.toolCalls
            a.toolResults += record.toolResults
            if record.hasToolResults { a.toolExchanges += 1 }
            if record.toolSetKey != 0 { a.toolSets.insert(record.toolSetKey) }
        }
        if let text = record.string(.ip), let address = IPAddress.parse(text) {
            if !address.isMasked { a.ips.insert(address.addressKey) { text.contains(",") ? address.text : text } }
            a.networks.insert(address.networkKey) { address.networkLabel }
            a.prefixes.insert(address.prefixKey)
        }
        let network = record.string(.ip).flatMap { IPAddress.parse($0) }?.networkKey ?? 0
        let items = AccountState.actionItems(ts: ts, network: network, model: hash(.model), endpoint: hash(.endpoint), userAgent: hash(.userAgent))
        if let net = items.network { a.actionSketch.insert(net, half: 0) }
        a.actionSketch.insert(items.client, half: 1)
        if let spans = record.systemSpans {
            var system: UInt64 = 0x5359
            for i in spans {
                let s = record.textSpans[i]
                system = StableHash.combine(system, StableHash.hash(UnsafeRawBufferPointer(rebasing: record.line[Int(s.start)..<Int(s.end)])))
            }
            a.systemPrompts.insert(system)
        }
        if let results = record.toolResultSpans {
            resultAnalyzer.analyze(line: record.line, spans: results)
            a.templates.insert(StableHash.combine(resultAnalyzer.features.templateKey, AccountAccumulator.toolResultTag))
            a.vocabulary.insert(contentsOf: resultAnalyzer.shingles)
        }
        if record.toolSetKey != 0 {
            a.vocabulary.insert(contentsOf: [StableHash.combine(record.toolSetKey, AccountAccumulator.toolResultTag)])
        }
        guard let spans = record.promptSpans else { return }
        analyzer.analyze(line: record.line, spans: record.textSpans[spans])
        let p = analyzer.features
        a.withPrompt += 1
        if p.chainOfThought { a.chainOfThought += 1 }
        if p.hasCodeBlock { a.codeBlocks += 1 }
        a.topics.add(UInt16(p.topic))
        a.templates.insert(p.templateKey)
        a.nearDuplicates.insert(p.nearDuplicateKey)
        a.vocabulary.insert(contentsOf: analyzer.shingles)
        a.synchronySketch.insert(StableHash.combine(UInt64(bitPattern: ts / AccountState.synchronyBucketMs), p.nearDuplicateKey))
        // An exemplar is kept when its template ranks among the three smallest; per template,
        // the text with the smallest hash.
        let rank = StableHash.combine(p.templateKey, 0x6578)
        let kept = a.exemplars.first { $0.key == rank }
        let full = a.exemplars.count == AccountState.exemplarCount && a.exemplars.last!.key < rank
        if kept.map({ p.textHash < $0.textHash }) ?? !full {
            analyzer.materializeText()
            a.addExemplar(rank: rank, textHash: p.textHash) { self.analyzer.promptText }
        }
    }
}

@Suite("Flat per-exchange state")
struct HotAccountStateTests {
    /// Seven days of generated logs, shuffled so days interleave (more than the four days the
    /// flat state counts at once), plus a heavy account that saturates every set.
    private func lines() throws -> [String] {
        var lines = try generatedLines(exchanges: 6000, days: 7, seed: 77)
        let words = ["alpha", "bravo", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo"]
        for i in 0..<3000 {
            let ts = 1_776_000_000 + (i * 7919) % 604_800
            lines.append("{\"ts\":\(ts),\"account_id\":\"heavy\",\"ip\":\"10.\(i % 250).\(i / 250 % 250).\(i % 7)\",\"api_key_id\":\"k\(i % 90)\",\"model\":\"m\(i % 5)\",\"user_agent\":\"ua-\(i % 40)\",\"prompt\":\"\(words[i % 9]) \(words[i / 9 % 9]) request \(i % 300) about w\(i * 7) \\u00e9t\\u00e9\"}")
        }
        var rng = SeededRandom(seed: 3)
        lines.shuffle(using: &rng)
        return lines
    }

    private func compare(taxonomy: CompiledTaxonomy) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("all.jsonl", text: try lines().joined(separator: "\n"))
        var options = ScanOptions()
        options.threads = 1
        let (_, folds) = LogScanner.scan(try InputDiscovery.expand([path]), options: options) { _ in ReferenceFold(taxonomy: taxonomy) }
        let expected = folds[0].states.values.sorted { $0.accountID < $1.accountID }
        for threads in [1, 2] {
            options.threads = threads
            options.chunkSize = 64 << 10
            let got = FeatureRun.run(inputs: try InputDiscovery.expand([path]), options: options, taxonomy: taxonomy).accounts
            #expect(got.count == expected.count)
            #expect(got.count > 100)
            for (g, e) in zip(got, expected) where g != e {
                Issue.record("account \(e.accountID) differs from the summary-by-summary fold (\(threads) threads)")
            }
        }
        let heavy = try #require(expected.first { $0.accountID == "heavy" })
        #expect(heavy.ips.values.saturated && heavy.apiKeys.saturated && heavy.templates.saturated)
        #expect(heavy.activeDays.keys.count >= 7)
    }

    @Test("folds exchanges exactly as the summaries do: days interleaved, sets saturated, exemplars")
    func sameAsSummaries() throws {
        try compare(taxonomy: .builtIn)
    }

    @Test("topics past the sixteen kept flat are counted too")
    func manyTopics() throws {
        var taxonomy = CompiledTaxonomy.builtIn.taxonomy
        var filler = taxonomy.topics[0]
        filler.keywords = [:]
        taxonomy.topics = (0..<16).map { i in
            var t = filler
            t.name = "filler_\(i)"
            return t
        } + taxonomy.topics
        try compare(taxonomy: CompiledTaxonomy(taxonomy))
    }
}

@Suite("Lines split by account over workers")
struct AccountRoutingTests {
    @Test("routing by account changes nothing: same states, counts, rejects and line numbers for 1-4 threads")
    func routedScan() throws {
        let dir = try TemporaryDirectory()
        var lines: [String] = []
        for i in 0..<4000 {
            let ts = "\"2026-04-2\(i % 3)T\(10 + i % 9):00:0\(i % 10)Z\""
            switch i % 13 {
            case 0: lines.append("")  // blank
            case 1: lines.append("{\"ts\":\(ts),\"account_id\":\"acct_\\u0041\(i % 17)\",\"prompt\":\"escaped id\"}")
            case 2: lines.append("{\"ts\":\(ts),\"user\":\"acct_\(i % 29)\",\"messages\":[{\"role\":\"user\",\"content\":\"alias id \(i)\"}]}")
            case 3: lines.append("{\"ts\":\(ts),\"account_id\":\(i % 23),\"prompt\":\"numeric id\"}")
            case 4: lines.append("{\"ts\":\(ts),\"account_id\":\"acct_\(i % 31)\",\"prompt\":\"cut")  // bad JSON
            case 5: lines.append("{\"ts\":\(ts),\"prompt\":\"no account\"}")
            case 6: lines.append("{\"ts\":\(ts),\"account_id\":\"acct_\(i % 31)\",\"prompt\":\"\(String(repeating: "x", count: 3000))\"}")
            case 7: lines.append("{\"meta\":{\"account_id\":\"decoy\"},\"ts\":\(ts),\"account_id\" : \"acct_\(i % 31)\",\"prompt\":\"nested decoy\"}")
            default: lines.append(logLine(account: "acct_\(i % 31)", ts: ts, "\"ip\":\"10.0.\(i % 7).1\",\"prompt\":\"Explain the bug in line \(i)\""))
            }
        }
        try dir.write("a.jsonl", text: lines[..<2000].joined(separator: "\n"))
        try dir.write("b.jsonl", text: lines[2000...].joined(separator: "\n") + "\n{\"ts\":1")
        var results: [FeatureRunResult] = []
        for threads in [1, 2, 3, 4] {
            var options = ScanOptions()
            options.threads = threads
            options.chunkSize = 16 << 10
            options.lineLimit = 2048
            results.append(FeatureRun.run(inputs: try InputDiscovery.expand([dir.path]), options: options, taxonomy: .builtIn))
        }
        let first = results[0]
        #expect(first.report.accepted > 2000)
        #expect(first.report.rejected > 500)
        #expect(first.report.inputs.map(\.blankLines).reduce(0, +) > 200)
        #expect(first.accounts.contains { $0.accountID == "acct_A1" })
        for r in results.dropFirst() {
            #expect(r.accounts == first.accounts)
            #expect(r.report.accepted == first.report.accepted)
            #expect(r.report.rejectedByReason == first.report.rejectedByReason)
            #expect(r.report.samples == first.report.samples)
            #expect(r.report.inputs == first.report.inputs)
            #expect(r.report.fieldCounts == first.report.fieldCounts)
        }
    }
}

@Suite("State files")
struct StateFileTests {
    @Test("state round-trips through its file exactly")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        try dir.write("logs.jsonl", text: try generatedLines(exchanges: 2000).joined(separator: "\n"))
        let accounts = try features([dir.file("logs.jsonl")])
        let file = AccountStateFile(topicNames: CompiledTaxonomy.builtIn.topicNames, accounts: accounts)
        try file.write(to: dir.file("state.bin"))
        let read = try AccountStateFile.read(path: dir.file("state.bin"), expectedTopics: CompiledTaxonomy.builtIn.topicNames)
        #expect(read.accounts == accounts)
        #expect(read.encoded() == file.encoded())
    }

    @Test("corrupt, truncated, foreign and newer-version files are refused with a clear error")
    func badFiles() throws {
        let dir = try TemporaryDirectory()
        try dir.write("logs.jsonl", text: try generatedLines(exchanges: 500).joined(separator: "\n"))
        let good = AccountStateFile(topicNames: CompiledTaxonomy.builtIn.topicNames, accounts: try features([dir.file("logs.jsonl")])).encoded()

        var flipped = good
        flipped[flipped.count / 2] ^= 0x40
        try dir.write("flipped.bin", bytes: flipped)
        #expect(throws: StateFileError.corrupt(path: dir.file("flipped.bin"), offset: AccountStateFile.headerSize, reason: "checksum mismatch")) {
            try AccountStateFile.read(path: dir.file("flipped.bin"))
        }
        try dir.write("short.bin", bytes: Array(good.prefix(good.count - 10)))
        do {
            _ = try AccountStateFile.read(path: dir.file("short.bin"))
            Issue.record("truncated state accepted")
        } catch let error as StateFileError {
            #expect(error.description.contains("truncated"))
        }
        var newer = good
        newer[8] = 99
        try dir.write("newer.bin", bytes: newer)
        #expect(throws: StateFileError.newerVersion(path: dir.file("newer.bin"), found: 99, supported: AccountStateFile.formatVersion)) {
            try AccountStateFile.read(path: dir.file("newer.bin"))
        }
        try dir.write("foreign.bin", text: "{\"not\": \"a state file\"}")
        #expect(throws: StateFileError.notAStateFile(path: dir.file("foreign.bin"))) {
            try AccountStateFile.read(path: dir.file("foreign.bin"))
        }
        try dir.write("good.bin", bytes: good)
        #expect(throws: StateFileError.self) { try AccountStateFile.read(path: dir.file("good.bin"), expectedTopics: ["other"]) }
        #expect(throws: StateFileError.self) { try AccountStateFile.read(path: dir.file("missing.bin")) }
    }
}
