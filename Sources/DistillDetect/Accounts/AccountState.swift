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

    /// The fields, by value; mutating them copies the box first when it is shared.
    var fields: Fields {
        get { box.fields }
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
    public mutating func merge(_ other: AccountState) { fields.merge(other.box.fields) }

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
        public internal(set) var exchanges = 0
        public internal(set) var inputTokens = 0
        public internal(set) var outputTokens = 0
        public internal(set) var errors = 0
        /// Exchanges whose request held at most one user message.
        public internal(set) var singleTurn = 0
        public internal(set) var withPrompt = 0
        public internal(set) var chainOfThought = 0
        public internal(set) var codeBlocks = 0
        public internal(set) var firstSeen = Int64.max
        public internal(set) var lastSeen = Int64.min
        /// Earliest `account_created` seen, if any.
        public internal(set) var createdAt: Int64?
        /// Days since 1970 with activity (bounded by the days in the input or window).
        public internal(set) var activeDays = SparseCounts()
        /// Hours with activity, per day.
        public internal(set) var activeHours = DayHours()
        /// Hour of week (Monday 00 UTC = 0 … 167) → exchanges.
        public internal(set) var hourOfWeek = SparseCounts()
        public internal(set) var times = TimestampSample(capacity: 48)
        public internal(set) var ips = LabelledSet(capacity: 32, labelled: 3)
        public internal(set) var networks = LabelledSet(capacity: 32, labelled: 3)
        public internal(set) var userAgents = LabelledSet(capacity: 16, labelled: 2)
        public internal(set) var apiKeys = BottomKSet(capacity: 32)
        public internal(set) var orgs: LabelledSet {
            get { rare.value.orgs }
            _modify { yield &rare.modify.orgs }
        }
        public internal(set) var payments = LabelledSet(capacity: 8, labelled: 3)
        public internal(set) var models = LabelledSet(capacity: 8, labelled: 3)
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

        /// Forgets everything learned from prompt text (counts, topics, templates, vocabulary,
        /// synchrony of near-duplicate prompts, exemplars), keeping the metadata.
        mutating func dropContent() {
            withPrompt = 0
            chainOfThought = 0
            codeBlocks = 0
            topics = SparseCounts()
            templates = BottomKSet(capacity: 48)
            vocabulary = MinHashSketch(binCount: AccountState.vocabularyBins)
            synchronySketch = MinHashSketch(binCount: AccountState.synchronyBins)
            exemplars = []
        }

        /// Combines the state of the same account from another part of the logs.
        mutating func merge(_ other: Fields) {
            precondition(other.accountID == accountID)
            exchanges = exchanges.addingSaturating(other.exchanges)
            inputTokens = inputTokens.addingSaturating(other.inputTokens)
            outputTokens = outputTokens.addingSaturating(other.outputTokens)
            errors = errors.addingSaturating(other.errors)
            singleTurn = singleTurn.addingSaturating(other.singleTurn)
            withPrompt = withPrompt.addingSaturating(other.withPrompt)
            chainOfThought = chainOfThought.addingSaturating(other.chainOfThought)
            codeBlocks = codeBlocks.addingSaturating(other.codeBlocks)
            firstSeen = min(firstSeen, other.firstSeen)
            lastSeen = max(lastSeen, other.lastSeen)
            if let c = other.createdAt, c < (createdAt ?? .max) { createdAt = c }
            activeDays.merge(other.activeDays)
            activeHours.merge(other.activeHours)
            hourOfWeek.merge(other.hourOfWeek)
            times.merge(other.times)
            ips.merge(other.ips)
            networks.merge(other.networks)
            userAgents.merge(other.userAgents)
            apiKeys.merge(other.apiKeys)
            payments.merge(other.payments)
            models.merge(other.models)
            templates.merge(other.templates)
            if other.rare.isAllocated { rare.modify.merge(other.rare.value) }
            topics.merge(other.topics)
            vocabulary.merge(other.vocabulary)
            synchronySketch.merge(other.synchronySketch)
            actionSketch.merge(other.actionSketch)
            for e in other.exemplars { restoreExemplar(rank: e.key, textHash: e.textHash, text: e.text) }
        }

        /// Keeps the exemplar if it ranks among the first three templates; for a template already
        /// kept, the text with the smaller hash wins. Order-independent, as merges need.
        mutating func restoreExemplar(rank: UInt64, textHash: UInt64, text: String) {
            if let i = exemplars.firstIndex(where: { $0.key == rank }) {
                if textHash < exemplars[i].textHash { exemplars[i] = Exemplar(key: rank, textHash: textHash, text: text) }
                return
            }
            exemplars.append(Exemplar(key: rank, textHash: textHash, text: text))
            exemplars.sort { $0.key < $1.key }
            if exemplars.count > AccountState.exemplarCount { exemplars.removeLast() }
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

    mutating func merge(_ other: RareFields) {
        orgs.merge(other.orgs)
        countries.merge(other.countries)
        systemPrompts.merge(other.systemPrompts)
        toolCalls = toolCalls.addingSaturating(other.toolCalls)
        toolResults = toolResults.addingSaturating(other.toolResults)
        toolExchanges = toolExchanges.addingSaturating(other.toolExchanges)
        toolSets.merge(other.toolSets)
    }
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
}
