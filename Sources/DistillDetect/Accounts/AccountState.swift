// Everything kept about one account: a monoid (empty state, exact merge) of bounded
// summaries, so memory per account stays bounded whatever its volume.

/// One account's state: its fields (`AccountState.Fields`, read and written as
/// `state.exchanges`, `state.ips`, ...) behind one reference, copied on write. Lists of states are then 8 bytes
/// an account, so sorting, merging and handing them between stages moves pointers, not the
/// 700 bytes of fields (a list of a million states would otherwise be copied whole at each
/// step, which set the peak memory of a run over many small accounts).
public struct AccountState: Equatable, Sendable {
    public static let vocabularyBins = 128
    public static let synchronyBins = 64
    /// Bins of the metadata synchrony sketch (`actionSketch`).
    public static let actionBins = 64
    public static let exemplarCount = 3
    public static let exemplarLength = 280
    /// Width of the time buckets behind both synchrony sketches (`DetectionConfig`
    /// `synchronyBucketMinutes` prints it and says why 10 minutes).
    public static let synchronyBucketMs: Int64 = 10 * 60_000

    private final class Box: @unchecked Sendable {
        // Mutated only through `fields`' `_modify`, after the box is made unique.
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    public init(accountID: String) { box = Box(Fields(accountID: accountID)) }

    /// The fields, read in place; mutating them copies the box first when it is shared. A
    /// field without an accessor of its own below is read as `state.fields.name`.
    public internal(set) var fields: Fields {
        _read { yield box.fields }
        _modify {
            makeUnique()
            yield &box.fields
        }
    }

    // The fields, each read and written through the box (the field of the same name in
    // `Fields` says what it holds). Written out, not looked up by key path: key paths through a
    // generic subscript are built at run time, and the accumulator's hot path writes these.
    public var accountID: String { box.fields.accountID }
    public internal(set) var exchanges: Int {
        get { box.fields.exchanges }
        _modify {
            makeUnique()
            yield &box.fields.exchanges
        }
    }
    public internal(set) var inputTokens: Int {
        get { box.fields.inputTokens }
        _modify {
            makeUnique()
            yield &box.fields.inputTokens
        }
    }
    public internal(set) var outputTokens: Int {
        get { box.fields.outputTokens }
        _modify {
            makeUnique()
            yield &box.fields.outputTokens
        }
    }
    public internal(set) var errors: Int {
        get { box.fields.errors }
        _modify {
            makeUnique()
            yield &box.fields.errors
        }
    }
    public internal(set) var singleTurn: Int {
        get { box.fields.singleTurn }
        _modify {
            makeUnique()
            yield &box.fields.singleTurn
        }
    }
    public internal(set) var withPrompt: Int {
        get { box.fields.withPrompt }
        _modify {
            makeUnique()
            yield &box.fields.withPrompt
        }
    }
    public internal(set) var chainOfThought: Int {
        get { box.fields.chainOfThought }
        _modify {
            makeUnique()
            yield &box.fields.chainOfThought
        }
    }
    public internal(set) var codeBlocks: Int {
        get { box.fields.codeBlocks }
        _modify {
            makeUnique()
            yield &box.fields.codeBlocks
        }
    }
    public internal(set) var firstSeen: Int64 {
        get { box.fields.firstSeen }
        _modify {
            makeUnique()
            yield &box.fields.firstSeen
        }
    }
    public internal(set) var lastSeen: Int64 {
        get { box.fields.lastSeen }
        _modify {
            makeUnique()
            yield &box.fields.lastSeen
        }
    }
    public internal(set) var createdAt: Int64? {
        get { box.fields.createdAt }
        _modify {
            makeUnique()
            yield &box.fields.createdAt
        }
    }
    public internal(set) var activeDays: SparseCounts {
        get { box.fields.activeDays }
        _modify {
            makeUnique()
            yield &box.fields.activeDays
        }
    }
    public internal(set) var activeHours: DayHours {
        get { box.fields.activeHours }
        _modify {
            makeUnique()
            yield &box.fields.activeHours
        }
    }
    public internal(set) var hourOfWeek: SparseCounts {
        get { box.fields.hourOfWeek }
        _modify {
            makeUnique()
            yield &box.fields.hourOfWeek
        }
    }
    public internal(set) var times: TimestampSample {
        get { box.fields.times }
        _modify {
            makeUnique()
            yield &box.fields.times
        }
    }
    public internal(set) var ips: LabelledSet {
        get { box.fields.ips }
        _modify {
            makeUnique()
            yield &box.fields.ips
        }
    }
    public internal(set) var networks: LabelledSet {
        get { box.fields.networks }
        _modify {
            makeUnique()
            yield &box.fields.networks
        }
    }
    public internal(set) var prefixes: BottomKSet {
        get { box.fields.prefixes }
        _modify {
            makeUnique()
            yield &box.fields.prefixes
        }
    }
    public internal(set) var userAgents: LabelledSet {
        get { box.fields.userAgents }
        _modify {
            makeUnique()
            yield &box.fields.userAgents
        }
    }
    public internal(set) var apiKeys: BottomKSet {
        get { box.fields.apiKeys }
        _modify {
            makeUnique()
            yield &box.fields.apiKeys
        }
    }
    public internal(set) var orgs: LabelledSet {
        get { box.fields.orgs }
        _modify {
            makeUnique()
            yield &box.fields.orgs
        }
    }
    public internal(set) var payments: LabelledSet {
        get { box.fields.payments }
        _modify {
            makeUnique()
            yield &box.fields.payments
        }
    }
    public internal(set) var models: LabelledSet {
        get { box.fields.models }
        _modify {
            makeUnique()
            yield &box.fields.models
        }
    }
    public internal(set) var modelUse: ModelUse {
        get { box.fields.modelUse }
        _modify {
            makeUnique()
            yield &box.fields.modelUse
        }
    }
    public internal(set) var countries: LabelledSet {
        get { box.fields.countries }
        _modify {
            makeUnique()
            yield &box.fields.countries
        }
    }
    public internal(set) var systemPrompts: BottomKSet {
        get { box.fields.systemPrompts }
        _modify {
            makeUnique()
            yield &box.fields.systemPrompts
        }
    }
    public internal(set) var toolCalls: Int {
        get { box.fields.toolCalls }
        _modify {
            makeUnique()
            yield &box.fields.toolCalls
        }
    }
    public internal(set) var toolResults: Int {
        get { box.fields.toolResults }
        _modify {
            makeUnique()
            yield &box.fields.toolResults
        }
    }
    public internal(set) var toolExchanges: Int {
        get { box.fields.toolExchanges }
        _modify {
            makeUnique()
            yield &box.fields.toolExchanges
        }
    }
    public internal(set) var toolSets: BottomKSet {
        get { box.fields.toolSets }
        _modify {
            makeUnique()
            yield &box.fields.toolSets
        }
    }
    public internal(set) var templates: BottomKSet {
        get { box.fields.templates }
        _modify {
            makeUnique()
            yield &box.fields.templates
        }
    }
    public internal(set) var nearDuplicates: BottomKSet {
        get { box.fields.nearDuplicates }
        _modify {
            makeUnique()
            yield &box.fields.nearDuplicates
        }
    }
    public internal(set) var topics: SparseCounts {
        get { box.fields.topics }
        _modify {
            makeUnique()
            yield &box.fields.topics
        }
    }
    public internal(set) var vocabulary: MinHashSketch {
        get { box.fields.vocabulary }
        _modify {
            makeUnique()
            yield &box.fields.vocabulary
        }
    }
    public internal(set) var synchronySketch: MinHashSketch {
        get { box.fields.synchronySketch }
        _modify {
            makeUnique()
            yield &box.fields.synchronySketch
        }
    }
    public internal(set) var actionSketch: MinHashSketch {
        get { box.fields.actionSketch }
        _modify {
            makeUnique()
            yield &box.fields.actionSketch
        }
    }
    public internal(set) var exemplars: SmallArray<Exemplar> {
        get { box.fields.exemplars }
        _modify {
            makeUnique()
            yield &box.fields.exemplars
        }
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
    }

    public static func == (a: AccountState, b: AccountState) -> Bool { a.box === b.box || a.box.fields == b.box.fields }

    /// Keeps a prompt as an exemplar (see `Fields.addExemplar`).
    mutating func addExemplar(rank: UInt64, textHash: UInt64, text: () -> String) {
        fields.addExemplar(rank: rank, textHash: textHash, text: text)
    }

    /// Keeps the exemplar if it ranks among the first three templates (see `Fields.restoreExemplar`).
    mutating func restoreExemplar(rank: UInt64, textHash: UInt64, text: String) {
        fields.restoreExemplar(rank: rank, textHash: textHash, text: text)
    }

    /// Forgets everything learned from prompt text, keeping the metadata.
    mutating func dropContent() { fields.dropContent() }

    /// Combines the state of the same account from another part of the logs.
    public mutating func merge(_ other: AccountState) {
        if box === other.box {
            // Merging a state with itself: merge with a copy (a merge reads the other
            // state's fields in place).
            let copy = AccountState(box: Box(other.box.fields))
            merge(copy)
            return
        }
        other.withFields { fields.merge(&$0) }
    }

    private init(box: Box) { self.box = box }

    /// Calls `body` with the fields in place, for reading only (the box may be shared with
    /// copies of this state): the schema's key paths read a field through an address, and a
    /// borrowed value would be copied whole (every buffer retained) for each field read.
    func withFields<R>(_ body: (inout Fields) throws -> R) rethrows -> R {
        try body(&box.fields)
    }

    /// The metadata action items of one exchange at `ts`: (bucket, network) when the exchange
    /// has a network (key non-zero), and (bucket, model · endpoint · user agent), each hash of
    /// an identifier's text (0 when absent).
    @inline(__always)
    static func actionItems(ts: Int64, network: UInt64, model: UInt64, endpoint: UInt64, userAgent: UInt64) -> (network: UInt64?, client: UInt64) {
        let width = synchronyBucketMs
        let bucket = UInt64(bitPattern: ts >= 0 ? ts / width : (ts - width + 1) / width)
        let net = network == 0 ? nil : StableHash.combine(StableHash.combine(bucket, 0x6E6574), network)
        let action = StableHash.combine(StableHash.combine(model, endpoint), userAgent)
        return (net, StableHash.combine(StableHash.combine(bucket, 0x616374), action))
    }
}

extension AccountState {
    /// Every field of an account's state. Equality is synthesised, so it covers every field.
    public struct Fields: Equatable, Sendable {
        public let accountID: String
        /// Exchanges (log records) of the account.
        public internal(set) var exchanges = 0
        /// Sums of the records' `input_tokens` and `output_tokens` (tokens).
        public internal(set) var inputTokens = 0
        public internal(set) var outputTokens = 0
        /// Exchanges with an HTTP status of 400 or more.
        public internal(set) var errors = 0
        /// Exchanges whose request held at most one user message.
        public internal(set) var singleTurn = 0
        /// Exchanges with prompt text; of those, prompts with chain-of-thought elicitation
        /// markers, and prompts holding a code block.
        public internal(set) var withPrompt = 0
        public internal(set) var chainOfThought = 0
        public internal(set) var codeBlocks = 0
        /// Time of the first exchange, epoch milliseconds UTC (`Int64.max` before any).
        public internal(set) var firstSeen = Int64.max
        /// Time of the last exchange, epoch milliseconds UTC (`Int64.min` before any).
        public internal(set) var lastSeen = Int64.min
        /// Earliest `account_created` seen, epoch milliseconds UTC, if any.
        public internal(set) var createdAt: Int64?
        /// Days since 1970 with activity (bounded by the days in the input or window).
        public internal(set) var activeDays = SparseCounts()
        /// Hours with activity, per day.
        public internal(set) var activeHours = DayHours()
        /// Hour of week (Monday 00 UTC = 0 … 167) → exchanges.
        public internal(set) var hourOfWeek = SparseCounts()
        /// Up to 48 exchange times (epoch ms), a deterministic sample (`TimestampSample`).
        public internal(set) var times = TimestampSample(capacity: 48)
        public internal(set) var ips = LabelledSet(capacity: 32, labelled: 3)
        public internal(set) var networks = LabelledSet(capacity: 32, labelled: 3)
        /// /16 (IPv4) and /32 (IPv6) prefixes of the addresses (`IPAddress.prefixKey`), the
        /// smallest 16: how many providers' ranges the account's traffic came from.
        public internal(set) var prefixes = BottomKSet(capacity: 16)
        public internal(set) var userAgents = LabelledSet(capacity: 16, labelled: 2)
        public internal(set) var apiKeys = BottomKSet(capacity: 32)
        public internal(set) var orgs: LabelledSet {
            get { rare.value.orgs }
            _modify { yield &rare.modify.orgs }
        }
        public internal(set) var payments = LabelledSet(capacity: 8, labelled: 3)
        public internal(set) var models = LabelledSet(capacity: 8, labelled: 3)
        /// Per model: first exchange (epoch ms) and exchanges (`ModelUse`), for the pivot to a
        /// newly released model.
        public internal(set) var modelUse = ModelUse()
        public internal(set) var countries: LabelledSet {
            get { rare.value.countries }
            _modify { yield &rare.modify.countries }
        }
        public internal(set) var systemPrompts: BottomKSet {
            get { rare.value.systemPrompts }
            _modify { yield &rare.modify.systemPrompts }
        }
        /// Tool calls and tool results in the conversations the account sent, and its exchanges
        /// whose conversation carried tool results (agentic tool loops).
        public internal(set) var toolCalls: Int {
            get { rare.value.toolCalls }
            _modify { yield &rare.modify.toolCalls }
        }
        public internal(set) var toolResults: Int {
            get { rare.value.toolResults }
            _modify { yield &rare.modify.toolResults }
        }
        public internal(set) var toolExchanges: Int {
            get { rare.value.toolExchanges }
            _modify { yield &rare.modify.toolExchanges }
        }
        /// Tool-set keys: order-free hashes of the tool definitions (names and schemas) offered.
        public internal(set) var toolSets: BottomKSet {
            get { rare.value.toolSets }
            _modify { yield &rare.modify.toolSets }
        }
        /// Organisations, countries, system prompts and tool loops: fields most accounts of a
        /// large population leave empty, kept apart so that they cost such an account one
        /// pointer, not 136 bytes.
        private var rare = RareFieldsBox()
        /// Template keys used (the smallest 48 by hash): exact sharing for most accounts. Prompt
        /// templates and, tagged apart, templates of the tool results the account sent back.
        public internal(set) var templates = BottomKSet(capacity: 48)
        /// Near-duplicate keys of the account's prompts (`PromptFeatures.nearDuplicateKey`, the
        /// smallest 48 by hash): paraphrases and slot-filled variants of one template, whose
        /// skeletons differ, share them (two prompts of Jaccard s with probability about s²).
        public internal(set) var nearDuplicates = BottomKSet(capacity: 48)
        /// Topic index → exchanges with a prompt classified to it.
        public internal(set) var topics = SparseCounts()
        /// MinHash of every word bigram the account sent: its content vocabulary.
        public internal(set) var vocabulary = MinHashSketch(binCount: AccountState.vocabularyBins)
        /// MinHash of (10-minute bucket, near-duplicate prompt key) actions, for synchrony.
        public internal(set) var synchronySketch = MinHashSketch(binCount: AccountState.synchronyBins)
        /// MinHash of the account's metadata actions, SynchroTrap-style (Cao et al., CCS 2014): per
        /// exchange the items (10-minute bucket, /24 or /48 network), hashed into bins 0–31, and
        /// (10-minute bucket, model · endpoint · user agent), into bins 32–63: each kind is compared
        /// on its own, so a campaign on rotating proxies (no shared network) still shares its
        /// client's batches. Needs no prompt text; kept when content is dropped.
        public internal(set) var actionSketch = MinHashSketch(binCount: AccountState.actionBins)
        /// Up to three prompts of distinct templates (the smallest template-key hashes), for reviewers.
        /// Per template, the variant with the smallest text hash, so merges pick the same text.
        public internal(set) var exemplars = SmallArray<Exemplar>()

        init(accountID: String) { self.accountID = accountID }

        /// Keeps a prompt as an exemplar (cut to `exemplarLength` characters); the caller has
        /// checked that its rank and text hash make the cut (see `HotAccountState.wantsExemplar`).
        mutating func addExemplar(rank: UInt64, textHash: UInt64, text: () -> String) {
            var body = text()
            // Counting characters stops at the cut: prompts can be long.
            if body.utf8.count > AccountState.exemplarLength,
                let cut = body.index(body.startIndex, offsetBy: AccountState.exemplarLength, limitedBy: body.endIndex),
                cut != body.endIndex {
                body = String(body[..<cut]) + "…"
            }
            restoreExemplar(rank: rank, textHash: textHash, text: body)
        }

        /// Forgets everything learned from prompt text (the fields the schema marks as content:
        /// counts, topics, templates, vocabulary, synchrony of near-duplicate prompts,
        /// exemplars), keeping the metadata.
        mutating func dropContent() {
            for field in Self.schema where field.isContent { field.reset(&self) }
        }

        /// Combines the state of the same account from another part of the logs (read in
        /// place, not changed), field by field as the schema says.
        mutating func merge(_ other: inout Fields) {
            precondition(other.accountID == accountID)
            for field in Self.schema { field.merge(&self, &other) }
        }

        /// Keeps the exemplar if it ranks among the first three templates (`Exemplar.restore`).
        mutating func restoreExemplar(rank: UInt64, textHash: UInt64, text: String) {
            Exemplar.restore(Exemplar(key: rank, textHash: textHash, text: text), into: &exemplars)
        }
    }
}

/// The rarely filled fields of `AccountState.Fields`.
struct RareFields: Equatable, Sendable {
    static let empty = RareFields()
    var orgs = LabelledSet(capacity: 8, labelled: 2)
    var countries = LabelledSet(capacity: 8, labelled: 2)
    var systemPrompts = BottomKSet(capacity: 16)
    var toolCalls = 0
    var toolResults = 0
    var toolExchanges = 0
    var toolSets = BottomKSet(capacity: 16)
}

/// `RareFields` behind a reference allocated at the first write and copied on write when
/// shared. Equal when the fields are equal, allocated or not.
struct RareFieldsBox: Equatable, @unchecked Sendable {
    private final class Box {
        var value: RareFields
        init(_ value: RareFields) { self.value = value }
    }

    private var box: Box?

    var value: RareFields { box?.value ?? .empty }

    /// Whether any rare field was ever written.
    var isAllocated: Bool { box != nil }

    /// The fields, made unique (and allocated) for writing.
    var modify: RareFields {
        get { value }
        _modify {
            if box == nil {
                box = Box(.empty)
            } else if !isKnownUniquelyReferenced(&box!) {
                box = Box(box!.value)
            }
            yield &box!.value
        }
    }

    static func == (a: RareFieldsBox, b: RareFieldsBox) -> Bool { a.box === b.box || a.value == b.value }
}

/// A prompt kept for reviewers: its template's rank (`key`, the smaller the likelier to be
/// kept), the hash of its text (ties between variants of one template go to the smaller) and
/// the text, cut to `AccountState.exemplarLength` characters.
public struct Exemplar: Equatable, Sendable {
    public var key: UInt64
    public var textHash: UInt64
    public var text: String

    /// Keeps `e` in `list` if it ranks among the first `AccountState.exemplarCount` templates;
    /// for a template already kept, the text with the smaller hash wins. Order-independent, as
    /// merges need.
    static func restore(_ e: Exemplar, into list: inout SmallArray<Exemplar>) {
        if let i = list.firstIndex(where: { $0.key == e.key }) {
            if e.textHash < list[i].textHash { list[i] = e }
            return
        }
        list.append(e)
        list.sort { $0.key < $1.key }
        if list.count > AccountState.exemplarCount { list.removeLast() }
    }
}

// MARK: The schema

extension AccountState.Fields {
    /// Every field of the state, once, in state-file order: how two parts of one account merge,
    /// from which state-file format version it is stored, whether `dropContent` clears it, and,
    /// for a field the hand-written hot fold (`HotAccountState.add`) does not keep, how an
    /// exchange updates it. Merge, `dropContent`, the file codec (`AccountStateFile`), the
    /// nightly store's blobs and the `features` columns a field declares are all driven from
    /// this list, and `AccountSchemaTests` fails when a stored field is missing from it. To add
    /// a field: declare it above, add its entry here (with `since` one above the newest, a
    /// `fold` and its `columns`), and extend the test data so that the field is filled.
    static let schema: [AccountFieldSpec] = [
        .counter("exchanges", \.exchanges),
        .counter("inputTokens", \.inputTokens),
        .counter("outputTokens", \.outputTokens),
        .counter("errors", \.errors),
        .counter("singleTurn", \.singleTurn),
        .counter("withPrompt", \.withPrompt, content: true),
        .counter("chainOfThought", \.chainOfThought, content: true),
        .counter("codeBlocks", \.codeBlocks, content: true),
        .value("firstSeen", \.firstSeen, merge: { $0 = min($0, $1) }),
        .value("lastSeen", \.lastSeen, merge: { $0 = max($0, $1) }),
        .value("createdAt", \.createdAt, merge: { a, b in if let b, b < (a ?? .max) { a = b } }),
        .summary("activeDays", \.activeDays),
        .summary("hourOfWeek", \.hourOfWeek),
        .summary("topics", \.topics, content: true),
        .summary("activeHours", \.activeHours),
        .summary("apiKeys", \.apiKeys),
        .summary("systemPrompts", \.systemPrompts),
        .summary("templates", \.templates, content: true),
        .summary("times", \.times),
        .summary("ips", \.ips),
        .summary("networks", \.networks),
        .summary("userAgents", \.userAgents),
        .summary("orgs", \.orgs),
        .summary("payments", \.payments),
        .summary("models", \.models),
        .summary("countries", \.countries),
        .summary("vocabulary", \.vocabulary, content: true),
        .summary("synchronySketch", \.synchronySketch, content: true),
        .value("exemplars", \.exemplars, content: true, merge: { a, b in for e in b { Exemplar.restore(e, into: &a) } }),
        .counter("toolCalls", \.toolCalls, since: 2),
        .counter("toolResults", \.toolResults, since: 2),
        .counter("toolExchanges", \.toolExchanges, since: 2),
        .summary("toolSets", \.toolSets, since: 2),
        .summary(
            "actionSketch", \.actionSketch, since: 3,
            encode: CountedSketch.encode, decode: CountedSketch.decode),
        .summary("modelUse", \.modelUse, since: 5),
        .summary("nearDuplicates", \.nearDuplicates, since: 6, content: true),
        .summary("prefixes", \.prefixes, since: 7),
    ]

    /// The fields' folds that run beside the hot fold, in schema order.
    static let extraFolds: [AccountFieldSpec.Fold] = schema.compactMap(\.fold)
}

/// Reads and writes one field of `AccountState.Fields` given its key path. A stored field is
/// reached at its offset in the struct: merging and coding every field of every state through
/// the key path runtime instead made `state merge` 25% and `nightly` 10% slower (CPU). A
/// computed field (the rarely filled ones behind `RareFieldsBox`) goes through the key path.
struct FieldAccess<V>: Sendable {
    typealias Fields = AccountState.Fields
    let path: WritableKeyPath<Fields, V> & Sendable
    let offset: Int?

    init(_ path: WritableKeyPath<Fields, V> & Sendable) {
        self.path = path
        offset = MemoryLayout<Fields>.offset(of: path)
    }

    /// Calls `body` with the field's address: in place for a stored field, a temporary
    /// written back for a computed one.
    @inline(__always)
    func withPointer<R>(_ fields: inout Fields, _ body: (UnsafeMutablePointer<V>) throws -> R) rethrows -> R {
        guard let offset else { return try withUnsafeMutablePointer(to: &fields[keyPath: path], body) }
        return try withUnsafeMutablePointer(to: &fields) { try body((UnsafeMutableRawPointer($0) + offset).assumingMemoryBound(to: V.self)) }
    }
}

/// One field of `AccountState.Fields` as `AccountState.Fields.schema` declares it. Built by
/// `counter`, `value` and `summary`, each from the field's key path, so the field's default
/// (declared once, on the stored property) is also what `dropContent` resets it to and what a
/// merge skips (merging an empty part changes nothing, and a rarely filled field stays
/// unallocated).
/// A class, so that walking the schema per account retains one reference per field, not each
/// of its closures.
final class AccountFieldSpec: Sendable {
    typealias Fields = AccountState.Fields
    /// Updates the field from one exchange and its prompt's features (nil without prompt text).
    typealias Fold = @Sendable (inout Fields, borrowing DecodedExchange, PromptFeatures?) -> Void

    /// The stored property's name (`AccountSchemaTests` checks it against the declaration).
    let name: String
    /// The state-file format version that added the field; older files leave it empty.
    let since: UInt32
    /// Learned from prompt text: `dropContent` resets it.
    let isContent: Bool
    /// Combines the field of the second fields (another part of the account, read only: taken
    /// `inout` so that key paths read it in place instead of copying it whole) into the first.
    let merge: @Sendable (inout Fields, inout Fields) -> Void
    let reset: @Sendable (inout Fields) -> Void
    /// Writes the field (the fields are read only, `inout` as for `merge`).
    let encode: @Sendable (inout Fields, inout ByteWriter) -> Void
    let decode: @Sendable (inout Fields, inout ByteReader) throws -> Void
    /// Nil for the fields `HotAccountState` folds by hand (the hot path: every exchange).
    let fold: Fold?
    /// Columns of `features` output the field adds after the built-in ones.
    let columns: [AccountFeatureColumn]

    init(
        name: String, since: UInt32, isContent: Bool, merge: @escaping @Sendable (inout Fields, inout Fields) -> Void,
        reset: @escaping @Sendable (inout Fields) -> Void, encode: @escaping @Sendable (inout Fields, inout ByteWriter) -> Void,
        decode: @escaping @Sendable (inout Fields, inout ByteReader) throws -> Void, fold: Fold?, columns: [AccountFeatureColumn]
    ) {
        self.name = name
        self.since = since
        self.isContent = isContent
        self.merge = merge
        self.reset = reset
        self.encode = encode
        self.decode = decode
        self.fold = fold
        self.columns = columns
    }

    /// A field of any stored kind; `merge` combines a non-empty part into the field.
    @inline(__always)
    static func value<V: StateFieldValue>(
        _ name: String, _ path: WritableKeyPath<Fields, V> & Sendable, since: UInt32 = 1, content: Bool = false,
        merge: @escaping @Sendable (inout V, V) -> Void,
        encode: @escaping @Sendable (V, inout ByteWriter) -> Void = { $0.encode(to: &$1) },
        decode: @escaping @Sendable (inout ByteReader, V) throws -> V = { try V.decode(from: &$0, prototype: $1) },
        fold: Fold? = nil, columns: [AccountFeatureColumn] = []
    ) -> AccountFieldSpec {
        let empty = Fields(accountID: "")[keyPath: path]
        let field = FieldAccess(path)
        return AccountFieldSpec(
            name: name, since: since, isContent: content,
            merge: { a, b in
                field.withPointer(&b) { part in
                    if part.pointee != empty { field.withPointer(&a) { merge(&$0.pointee, part.pointee) } }
                }
            },
            reset: { a in field.withPointer(&a) { $0.pointee = empty } },
            encode: { f, w in field.withPointer(&f) { encode($0.pointee, &w) } },
            decode: { a, r in
                try field.withPointer(&a) { $0.pointee = try decode(&r, empty) }
            },
            fold: fold, columns: columns)
    }

    /// A count: parts add (saturating at Int.max).
    @inline(__always)
    static func counter(
        _ name: String, _ path: WritableKeyPath<Fields, Int> & Sendable, since: UInt32 = 1, content: Bool = false,
        fold: Fold? = nil, columns: [AccountFeatureColumn] = []
    ) -> AccountFieldSpec {
        value(name, path, since: since, content: content, merge: { $0 = $0.addingSaturating($1) }, fold: fold, columns: columns)
    }

    /// A mergeable summary (`MergeableSummaries`): parts merge exactly.
    @inline(__always)
    static func summary<V: MergeableStateValue>(
        _ name: String, _ path: WritableKeyPath<Fields, V> & Sendable, since: UInt32 = 1, content: Bool = false,
        encode: @escaping @Sendable (V, inout ByteWriter) -> Void = { $0.encode(to: &$1) },
        decode: @escaping @Sendable (inout ByteReader, V) throws -> V = { try V.decode(from: &$0, prototype: $1) },
        fold: Fold? = nil, columns: [AccountFeatureColumn] = []
    ) -> AccountFieldSpec {
        value(name, path, since: since, content: content, merge: { $0.merge($1) }, encode: encode, decode: decode, fold: fold, columns: columns)
    }
}
