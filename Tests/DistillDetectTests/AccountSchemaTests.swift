import Foundation
import Testing

@testable import DistillDetect

/// The account state is declared once (`AccountState.Fields` and its `schema`): merge, the
/// file codec, `dropContent` and the `features` columns all come from the schema. These tests
/// fail when a stored field is left out of the schema, or when the test data leaves a field of
/// the schema empty (so that a field added with a forgotten fold, merge or codec is caught by
/// the round trips below).
@Suite("Account state schema")
struct AccountSchemaTests {
    /// Lines of one account that fill every field of the state: tokens, an error, a creation
    /// time, identifiers of each kind, system prompts, prompts with code and chain-of-thought
    /// phrasing on several days, and an agentic tool loop with tool definitions.
    static func richLines() -> [String] {
        var lines: [String] = []
        let prompts = [
            "Let's think step by step: how many primes are below 100?",
            "Fix this function:\\n```python\\ndef f(x):\\n    return x +\\n```",
            "Summarise the causes of the French revolution in three paragraphs.",
            "Write a Rust function that parses an ISO 8601 date and explain each step.",
        ]
        for i in 0..<24 {
            let day = 20 + i % 3
            let ts = String(format: "2026-04-%02dT%02d:%02d:00Z", day, (i * 5) % 24, i % 60)
            lines.append(
                #"{"ts":"\#(ts)","account_id":"acct_rich","org_id":"org_\#(i % 2)","api_key_id":"key_\#(i % 3)","ip":"203.0.\#(113 + i % 2).\#(i)","user_agent":"client/\#(i % 2)","model":"model-\#(i % 2)","endpoint":"/v1/messages","status":\#(i == 3 ? 500 : 200),"input_tokens":\#(100 + i),"output_tokens":\#(300 + i),"payment_fingerprint":"pm_\#(i % 2)","account_created":"2026-04-01T00:00:00Z","country":"C\#(i % 2)","messages":[{"role":"system","content":"You are assistant \#(i % 2)."},{"role":"user","content":"\#(prompts[i % prompts.count]) (\#(i))"}]}"#
            )
        }
        for i in 0..<6 {
            lines.append(
                #"{"ts":"2026-04-22T10:0\#(i):00Z","account_id":"acct_rich","instructions":"You are an agent.","tools":[{"type":"function","name":"grep","parameters":{"type":"object"}}],"input":[{"role":"user","content":[{"type":"input_text","text":"Fix the flaky test \#(i)"}]},{"type":"function_call","call_id":"c\#(i)","name":"grep","arguments":"{}"},{"type":"function_call_output","call_id":"c\#(i)","output":"tests/a.py:\#(i): flaky"}]}"#
            )
        }
        return lines
    }

    static func state(of lines: [String], in dir: TemporaryDirectory, name: String) throws -> AccountState {
        let path = try dir.write(name, text: lines.joined(separator: "\n") + "\n")
        var options = ScanOptions()
        options.threads = 1
        let states = FeatureRun.run(inputs: try InputDiscovery.expand([path]), options: options, taxonomy: .builtIn).accounts
        try #require(states.count == 1)
        return states[0]
    }

    /// Stored property names of the state's fields, the rarely filled ones included.
    static func storedFieldNames() -> Set<String> {
        var names = Set(Mirror(reflecting: AccountState.Fields(accountID: "")).children.compactMap(\.label))
        names.remove("rare")
        names.formUnion(Mirror(reflecting: RareFields()).children.compactMap(\.label))
        return names
    }

    @Test("every stored field is in the schema once, in version order")
    func schemaCoversEveryField() {
        let schema = AccountState.Fields.schema
        #expect(Set(schema.map(\.name)).count == schema.count)
        #expect(Set(schema.map(\.name)).union(["accountID"]) == Self.storedFieldNames())
        #expect(zip(schema, schema.dropFirst()).allSatisfy { $0.since <= $1.since })
        #expect(AccountStateFile.formatVersion >= schema.map(\.since).max()!)
    }

    @Test("the test data fills every field; file, blob, merge and content drop keep each field")
    func everyFieldRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let lines = Self.richLines()
        let whole = try Self.state(of: lines, in: dir, name: "all.jsonl")
        let empty = AccountState(accountID: whole.accountID)
        for field in AccountState.Fields.schema {
            var probe = whole.fields
            field.reset(&probe)
            let filled = probe != whole.fields
            #expect(filled, "the test data leaves `\(field.name)` empty: extend richLines()")
        }
        // The state file and the nightly store's blob give the state back, field for field.
        let file = AccountStateFile(topicNames: ["t"], accounts: [whole])
        #expect(try AccountStateFile.decode(file.encoded(), path: "mem").accounts == [whole])
        #expect(try AccountStateFile.decodeAccount(AccountStateFile.encodeAccount(whole), context: "blob") == whole)
        // Merge: of two halves of the lines, either way round, and with an empty state.
        let first = try Self.state(of: Array(lines.prefix(13)), in: dir, name: "a.jsonl")
        let second = try Self.state(of: Array(lines.dropFirst(13)), in: dir, name: "b.jsonl")
        var ab = first
        ab.merge(second)
        var ba = second
        ba.merge(first)
        #expect(ab == whole)
        #expect(ba == whole)
        var withEmpty = whole
        withEmpty.merge(empty)
        #expect(withEmpty == whole)
        // Dropping content empties exactly the content fields.
        var dropped = whole
        dropped.dropContent()
        for field in AccountState.Fields.schema {
            var reset = whole.fields
            field.reset(&reset)
            var droppedOnly = dropped.fields
            field.reset(&droppedOnly)
            if field.isContent {
                #expect(droppedOnly == dropped.fields, "`\(field.name)` survives dropContent")
            } else {
                var kept = whole.fields
                for f in AccountState.Fields.schema where f.isContent { f.reset(&kept) }
                #expect(kept == dropped.fields, "`\(field.name)` is lost by dropContent")
            }
        }
    }

    @Test("features columns: one cell per column, the schema's columns included")
    func featureColumns() throws {
        let dir = try TemporaryDirectory()
        let whole = try Self.state(of: Self.richLines(), in: dir, name: "all.jsonl")
        let names = ["a", "b"]
        #expect(AccountFeatureTable.row(whole, topicNames: names).count == AccountFeatureTable.header(topicNames: names).count)
        let schemaColumns = AccountState.Fields.schema.flatMap(\.columns).map(\.name)
        #expect(Array(AccountFeatureTable.header(topicNames: names).suffix(schemaColumns.count)) == schemaColumns)
    }
}
