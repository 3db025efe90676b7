import Foundation
import Testing
@testable import DistillDetect

/// Generated logs decompressed to plain lines, shared by the tests below.
private func generatedLines(exchanges: Int = 3000, seed: UInt64 = 21, style: LogStyle = .mixed) throws -> [String] {
    let dir = try TemporaryDirectory()
    let config = generatorConfig(exchanges: exchanges, days: 3, seed: seed, style: style)
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
