// The part of an account's state that every exchange touches, laid out flat in one fixed-size
// value (inline arrays, no heap buffers), so folding an exchange in costs a few cache lines at
// known offsets from one address instead of a dozen separately allocated arrays. Profiles of
// `features` over a million exchanges and 28k accounts showed the array-per-summary layout
// spending more time waiting on those buffers than on everything else per exchange.
//
// Each field folds in exactly as the matching summary of `AccountState` does, and
// `finish(into:)` hands the values over, so an account built here is equal to one built
// summary by summary (the accumulator tests compare them). Rarely touched parts (identifier
// sets, labels, exemplar texts) stay in the `AccountState` the accumulator keeps beside it.

struct HotAccountState {
    static let timeCapacity = 48
    static let templateCapacity = 48
    static let hotTopics = 16
    static let dayEntries = 4

    var exchanges = 0
    var inputTokens = 0
    var outputTokens = 0
    var errors = 0
    var singleTurn = 0
    var withPrompt = 0
    var chainOfThought = 0
    var codeBlocks = 0
    var firstSeen = Int64.max
    var lastSeen = Int64.min
    var createdAt = Int64.max
    /// Per identifier set (see `IdentifierSet`): the last four hashes handed to it and the
    /// hash above which it keeps nothing more (once saturated). A value found here needs no
    /// look at the cold set: sets ignore repeats and values beyond their k smallest, so this
    /// skips work, never values.
    var recentIdentifiers = InlineArray<36, UInt64>(repeating: 0)
    var recentNext = InlineArray<9, UInt8>(repeating: 0)
    var identifierCeiling = InlineArray<9, UInt64>(repeating: UInt64.max)
    /// Hash of the last `ip` text, so an unchanged address is not parsed again.
    var lastIPText: UInt64 = 0
    /// The last tool-set key handed to the cold set (tool loops repeat theirs every step).
    var lastToolSet: UInt64 = 0
    /// Days being counted (activity and hour mask); flushed to the cold state when a fifth day
    /// shows up and at the end. Counts add and masks OR, so flushing is exact.
    var days = InlineArray<4, Int64>(repeating: Int64.min)
    var dayCounts = InlineArray<4, UInt32>(repeating: 0)
    var dayMasks = InlineArray<4, UInt32>(repeating: 0)
    /// Hour of week → exchanges; a count about to overflow moves to the cold state.
    var hourOfWeek = InlineArray<168, UInt16>(repeating: 0)
    /// Topic → exchanges for the first 16 topics (the rest go to the cold state).
    var topics = InlineArray<16, UInt32>(repeating: 0)
    var timeCount = 0
    /// Ascending by `TimestampSample.rank`.
    var times = InlineArray<48, Int64>(repeating: 0)
    var templateCount = 0
    var templatesSaturated = false
    var templates = InlineArray<48, UInt64>(repeating: 0)
    /// Near-duplicate keys of the prompts (`AccountState.nearDuplicates`), kept as the templates.
    var nearDuplicateCount = 0
    var nearDuplicatesSaturated = false
    var nearDuplicates = InlineArray<48, UInt64>(repeating: 0)
    var vocabularyUsed = false
    var vocabulary = InlineArray<128, UInt16>(repeating: MinHashSketch.emptyBin)
    var synchronyUsed = false
    var synchrony = InlineArray<64, UInt16>(repeating: MinHashSketch.emptyBin)
    var actionsUsed = false
    var actions = InlineArray<64, UInt16>(repeating: MinHashSketch.emptyBin)
    /// Network key of the last parsed address (0 when none), for the network action item.
    var lastNetworkKey: UInt64 = 0
    /// The current run of exchanges with one model (hash, first time in epoch ms, count), handed
    /// to the cold `modelUse` when the model changes and at the end: an account mostly keeps
    /// its model, so the cold state is touched once per change, not once per exchange.
    var modelRun: UInt64 = 0
    var modelRunFirst = Int64.max
    var modelRunCount: UInt32 = 0
    /// Ranks and text hashes of the exemplars kept in the cold state (its `exemplars`, in order).
    var exemplarCount = 0
    var exemplarRanks = InlineArray<3, UInt64>(repeating: 0)
    var exemplarTextHashes = InlineArray<3, UInt64>(repeating: 0)

    /// Counts the exchange's day and hour; returns false when a day must be flushed first
    /// (`flushDay` then retries).
    @inline(__always)
    mutating func addDay(_ day: Int64, hour: Int) -> Bool {
        for i in 0..<Self.dayEntries where days[i] == day {
            dayCounts[i] &+= 1
            dayMasks[i] |= 1 << UInt32(hour)
            return true
        }
        for i in 0..<Self.dayEntries where days[i] == Int64.min {
            days[i] = day
            dayCounts[i] = 1
            dayMasks[i] = 1 << UInt32(hour)
            return true
        }
        return false
    }

    /// Moves every counted day into `cold`.
    mutating func flushDays(into cold: inout AccountState.Fields) {
        for i in 0..<Self.dayEntries where days[i] != Int64.min {
            let d = UInt16(truncatingIfNeeded: days[i])
            cold.activeDays.add(d, dayCounts[i])
            cold.activeHours.add(day: d, mask: dayMasks[i])
            days[i] = Int64.min
        }
    }

    @inline(__always)
    mutating func addHourOfWeek(_ k: Int, cold: inout AccountState.Fields) {
        if hourOfWeek[k] == UInt16.max {
            cold.hourOfWeek.add(UInt16(k), UInt32(UInt16.max))
            hourOfWeek[k] = 0
        }
        hourOfWeek[k] &+= 1
    }

    /// `TimestampSample.insert` on the inline sample.
    @inline(__always)
    mutating func insertTime(_ ms: Int64) {
        let h = TimestampSample.rank(ms)
        let n = timeCount
        if n == Self.timeCapacity && h >= TimestampSample.rank(times[n - 1]) { return }
        var lo = 0
        var hi = n
        while lo < hi {
            let mid = (lo + hi) >> 1
            if TimestampSample.rank(times[mid]) < h { lo = mid + 1 } else { hi = mid }
        }
        if lo < n && times[lo] == ms { return }
        var k = min(n, Self.timeCapacity - 1)
        while k > lo {
            times[k] = times[k - 1]
            k -= 1
        }
        times[lo] = ms
        if n < Self.timeCapacity { timeCount = n + 1 }
    }

    /// `BottomKSet.insert` on the inline template set.
    @inline(__always)
    mutating func insertTemplate(_ h: UInt64) {
        Self.insert(h, into: &templates, count: &templateCount, saturated: &templatesSaturated)
    }

    /// `BottomKSet.insert` on the inline near-duplicate set.
    @inline(__always)
    mutating func insertNearDuplicate(_ h: UInt64) {
        Self.insert(h, into: &nearDuplicates, count: &nearDuplicateCount, saturated: &nearDuplicatesSaturated)
    }

    /// `BottomKSet.insert` on an inline set of `templateCapacity` ascending hashes.
    @inline(__always)
    static func insert(_ h: UInt64, into set: inout InlineArray<48, UInt64>, count: inout Int, saturated: inout Bool) {
        let n = count
        if n == Self.templateCapacity && h > set[n - 1] {
            saturated = true
            return
        }
        var lo = 0
        var hi = n
        while lo < hi {
            let mid = (lo + hi) >> 1
            if set[mid] < h { lo = mid + 1 } else { hi = mid }
        }
        if lo < n && set[lo] == h { return }
        if n < Self.templateCapacity { count = n + 1 } else { saturated = true }
        var k = count - 1
        while k > lo {
            set[k] = set[k - 1]
            k -= 1
        }
        set[lo] = h
    }

    /// `MinHashSketch.insert(contentsOf:)` on the inline vocabulary sketch (128 bins).
    @inline(__always)
    mutating func insertVocabulary(_ hashes: UnsafeBufferPointer<UInt64>) {
        guard !hashes.isEmpty else { return }
        vocabularyUsed = true
        for hash in hashes {
            let bin = Int(truncatingIfNeeded: hash >> 57)
            let value = min(UInt16(truncatingIfNeeded: hash), MinHashSketch.emptyBin - 1)
            if value < vocabulary[bin] { vocabulary[bin] = value }
        }
    }

    /// `MinHashSketch.insert` on the inline synchrony sketch (64 bins).
    @inline(__always)
    mutating func insertSynchrony(_ hash: UInt64) {
        synchronyUsed = true
        let bin = Int(truncatingIfNeeded: hash >> 58)
        let value = min(UInt16(truncatingIfNeeded: hash), MinHashSketch.emptyBin - 1)
        if value < synchrony[bin] { synchrony[bin] = value }
    }

    /// `MinHashSketch.insert` on the inline metadata action sketch, into the half of its 64
    /// bins kept for the item's kind (0: network items, 1: client items), so that each kind
    /// can be compared on its own (`SynchronyRarity`).
    @inline(__always)
    mutating func insertAction(_ hash: UInt64, kind: Int) {
        actionsUsed = true
        let bin = kind << 5 | Int(truncatingIfNeeded: hash >> 59)
        let value = min(UInt16(truncatingIfNeeded: hash), MinHashSketch.emptyBin - 1)
        if value < actions[bin] { actions[bin] = value }
    }

    /// Whether an exemplar of this rank and text hash would be kept (`AccountState.addExemplar`
    /// decides the same way on the cold list).
    @inline(__always)
    func wantsExemplar(rank: UInt64, textHash: UInt64) -> Bool {
        let n = exemplarCount
        if n == AccountState.exemplarCount && exemplarRanks[n - 1] < rank { return false }
        for i in 0..<n where exemplarRanks[i] == rank { return textHash < exemplarTextHashes[i] }
        return true
    }

    mutating func syncExemplars(from cold: AccountState.Fields) {
        exemplarCount = cold.exemplars.count
        for (i, e) in cold.exemplars.enumerated() {
            exemplarRanks[i] = e.key
            exemplarTextHashes[i] = e.textHash
        }
    }

    /// Hands the current model run to the cold `modelUse`.
    @inline(__always)
    mutating func flushModelRun(into cold: inout AccountState.Fields) {
        guard modelRunCount > 0 else { return }
        cold.modelUse.add(modelRun, first: modelRunFirst, count: modelRunCount)
        modelRunFirst = .max
        modelRunCount = 0
    }

    /// Hands every hot value to `cold`, which then equals the state built summary by summary.
    mutating func finish(into cold: inout AccountState.Fields) {
        flushModelRun(into: &cold)
        cold.exchanges = cold.exchanges.addingSaturating(exchanges)
        cold.inputTokens = cold.inputTokens.addingSaturating(inputTokens)
        cold.outputTokens = cold.outputTokens.addingSaturating(outputTokens)
        cold.errors = cold.errors.addingSaturating(errors)
        cold.singleTurn = cold.singleTurn.addingSaturating(singleTurn)
        cold.withPrompt = cold.withPrompt.addingSaturating(withPrompt)
        cold.chainOfThought = cold.chainOfThought.addingSaturating(chainOfThought)
        cold.codeBlocks = cold.codeBlocks.addingSaturating(codeBlocks)
        cold.firstSeen = min(cold.firstSeen, firstSeen)
        cold.lastSeen = max(cold.lastSeen, lastSeen)
        if createdAt < (cold.createdAt ?? .max) { cold.createdAt = createdAt }
        flushDays(into: &cold)
        for k in 0..<168 where hourOfWeek[k] > 0 { cold.hourOfWeek.add(UInt16(k), UInt32(hourOfWeek[k])) }
        for t in 0..<Self.hotTopics where topics[t] > 0 { cold.topics.add(UInt16(t), topics[t]) }
        var sample = TimestampSample(capacity: Self.timeCapacity, entries: (0..<timeCount).map { times[$0] })
        sample.merge(cold.times)
        cold.times = sample
        var set = BottomKSet(capacity: Self.templateCapacity, hashes: (0..<templateCount).map { templates[$0] }, saturated: templatesSaturated)
        set.merge(cold.templates)
        cold.templates = set
        if nearDuplicateCount > 0 {
            var keys = BottomKSet(
                capacity: Self.templateCapacity, hashes: (0..<nearDuplicateCount).map { nearDuplicates[$0] }, saturated: nearDuplicatesSaturated)
            keys.merge(cold.nearDuplicates)
            cold.nearDuplicates = keys
        }
        if vocabularyUsed {
            cold.vocabulary.merge(MinHashSketch(bins: (0..<128).map { vocabulary[$0] }))
        }
        if synchronyUsed {
            cold.synchronySketch.merge(MinHashSketch(bins: (0..<64).map { synchrony[$0] }))
        }
        if actionsUsed {
            cold.actionSketch.merge(MinHashSketch(bins: (0..<64).map { actions[$0] }))
        }
    }
}

extension HotAccountState {
    /// Folds one exchange into the account. `prompt` is nil when the line carried no prompt
    /// text; `promptText` is called only to keep an exemplar. `cold` is the account's state for
    /// everything not kept here. The prompt's shingles go in by `insertVocabulary`.
    @inline(__always)
    mutating func add(
        _ record: borrowing DecodedExchange, prompt: PromptFeatures?, cold: inout AccountState.Fields, promptText: () -> String
    ) {
        exchanges += 1
        let ts = record.timestampMilliseconds
        if ts < firstSeen { firstSeen = ts }
        if ts > lastSeen { lastSeen = ts }
        let day = Timestamp.day(ts)
        let hour = ts >= 0 ? ts / 3_600_000 : (ts - 3_599_999) / 3_600_000
        let hourOfDay = Int(hour - day * 24)
        if !addDay(day, hour: hourOfDay) {
            flushDays(into: &cold)
            _ = addDay(day, hour: hourOfDay)
        }
        // 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7.
        let weekday = ((day + 3) % 7 + 7) % 7
        addHourOfWeek(Int(weekday) * 24 + hourOfDay, cold: &cold)
        insertTime(ts)
        // Counts are at most 2^40 (clamped at decode); sums saturate.
        if let v = record.integer(.inputTokens), v > 0 { inputTokens = inputTokens.addingSaturating(Int(v)) }
        if let v = record.integer(.outputTokens), v > 0 { outputTokens = outputTokens.addingSaturating(Int(v)) }
        if let status = record.integer(.status), status >= 400 { errors += 1 }
        if record.userMessageCount <= 1 { singleTurn += 1 }
        if let created = record.integer(.accountCreated), created < createdAt { createdAt = created }
        addIdentifiers(record, cold: &cold)
        // Metadata actions (SynchroTrap): what the account did in which 10-minute bucket, from
        // the envelope alone. An account's own API key is left out (it is never shared, so it
        // would only dilute the overlap of accounts acting together); shared keys are evidence
        // of the infrastructure family.
        let model = Self.identifierHash(record, .model)
        if model != 0 {
            if model != modelRun {
                flushModelRun(into: &cold)
                modelRun = model
            }
            if ts < modelRunFirst { modelRunFirst = ts }
            modelRunCount &+= 1
            if modelRunCount == .max { flushModelRun(into: &cold) }
        }
        let items = AccountState.actionItems(
            ts: ts, network: lastNetworkKey, model: model,
            endpoint: Self.identifierHash(record, .endpoint), userAgent: Self.identifierHash(record, .userAgent))
        if let net = items.network { insertAction(net, kind: 0) }
        insertAction(items.client, kind: 1)
        if record.toolCalls > 0 || record.toolResults > 0 || record.toolSetKey != 0 {
            // Agentic traffic only: the cold state's counters are touched for it alone.
            cold.toolCalls = cold.toolCalls.addingSaturating(record.toolCalls)
            cold.toolResults = cold.toolResults.addingSaturating(record.toolResults)
            if record.hasToolResults { cold.toolExchanges += 1 }
            if record.toolSetKey != 0 && record.toolSetKey != lastToolSet {
                lastToolSet = record.toolSetKey
                cold.toolSets.insert(record.toolSetKey)
            }
        }
        guard let prompt else { return }
        withPrompt += 1
        if prompt.chainOfThought { chainOfThought += 1 }
        if prompt.hasCodeBlock { codeBlocks += 1 }
        if prompt.topic < Self.hotTopics {
            topics[prompt.topic] &+= 1
        } else {
            cold.topics.add(UInt16(prompt.topic))
        }
        insertTemplate(prompt.templateKey)
        insertNearDuplicate(prompt.nearDuplicateKey)
        let bucket = ts / AccountState.synchronyBucketMs
        insertSynchrony(StableHash.combine(UInt64(bitPattern: bucket), prompt.nearDuplicateKey))
        let rank = StableHash.combine(prompt.templateKey, 0x6578)
        if wantsExemplar(rank: rank, textHash: prompt.textHash) {
            cold.addExemplar(rank: rank, textHash: prompt.textHash, text: promptText)
            syncExemplars(from: cold)
        }
    }

    /// The identifier sets of the cold state, as indices into the hot filters.
    enum IdentifierSet: Int {
        case apiKeys, orgs, payments, userAgents, models, countries, ips, networks, systemPrompts
    }

    /// Whether `h` can be skipped for the set: absent (0), one of the last four values, or
    /// above what the saturated set keeps. Otherwise remembers it and returns false.
    @inline(__always)
    private mutating func known(_ h: UInt64, _ set: IdentifierSet) -> Bool {
        let s = set.rawValue
        if h == 0 || h > identifierCeiling[s] { return true }
        for j in 0..<4 where recentIdentifiers[s * 4 + j] == h { return true }
        let next = Int(recentNext[s])
        recentIdentifiers[s * 4 + next] = h
        recentNext[s] = UInt8((next + 1) & 3)
        return false
    }

    @inline(__always)
    private mutating func inserted(_ set: IdentifierSet, _ values: BottomKSet) {
        identifierCeiling[set.rawValue] = values.ceiling
    }

    /// Adds the exchange's identifiers to the account's sets, skipping the values the hot
    /// filters know (most requests of an account repeat its key, card, agent and model).
    @inline(__always)
    private mutating func addIdentifiers(_ record: borrowing DecodedExchange, cold: inout AccountState.Fields) {
        let key = Self.identifierHash(record, .apiKeyID)
        if !known(key, .apiKeys) {
            cold.apiKeys.insert(key)
            inserted(.apiKeys, cold.apiKeys)
        }
        addLabelled(record, .orgID, .orgs, \.orgs, cold: &cold)
        addLabelled(record, .paymentFingerprint, .payments, \.payments, cold: &cold)
        addLabelled(record, .userAgent, .userAgents, \.userAgents, cold: &cold)
        addLabelled(record, .model, .models, \.models, cold: &cold)
        addLabelled(record, .country, .countries, \.countries, cold: &cold)
        let ip = Self.identifierHash(record, .ip)
        if ip == 0 { lastNetworkKey = 0 }
        if ip != lastIPText {
            lastIPText = ip
            if ip != 0 {
                var text: String?
                var address: IPAddress?
                let raw = record.rawBytes(.ip)
                if let raw {
                    address = IPAddress.parse(raw)
                } else if let decoded = record.string(.ip) {
                    text = decoded
                    address = IPAddress.parse(decoded)
                }
                lastNetworkKey = address?.networkKey ?? 0
                if let address {
                    // A masked address is only its network: counting it as an IP would make
                    // every client behind one masked /24 look like one address.
                    if !address.isMasked && !known(address.addressKey, .ips) {
                        cold.ips.insert(address.addressKey) {
                            let written = text ?? raw.map { String(decoding: $0, as: UTF8.self) } ?? ""
                            // An X-Forwarded-For list is labelled by the address taken from it.
                            return written.contains(",") ? address.text : written
                        }
                        inserted(.ips, cold.ips.values)
                    }
                    if !known(address.networkKey, .networks) {
                        cold.networks.insert(address.networkKey) { address.networkLabel }
                        inserted(.networks, cold.networks.values)
                        cold.prefixes.insert(address.prefixKey)
                    } else if cold.networks.values.saturated {
                        // Networks beyond the 32 kept are skipped by the filter; their prefixes
                        // still count.
                        cold.prefixes.insert(address.prefixKey)
                    }
                }
            }
        }
        var system: UInt64 = 0
        if let spans = record.systemSpans {
            system = 0x5359
            for i in spans {
                let s = record.textSpans[i]
                system = StableHash.combine(system, StableHash.hash(UnsafeRawBufferPointer(rebasing: record.line[Int(s.start)..<Int(s.end)])))
            }
        }
        if !known(system, .systemPrompts) {
            cold.systemPrompts.insert(system)
            inserted(.systemPrompts, cold.systemPrompts)
        }
    }

    /// Adds a field's value to one of the labelled sets (labelled by the field's text) unless
    /// the hot filter knows it.
    @inline(__always)
    private mutating func addLabelled(
        _ record: borrowing DecodedExchange, _ field: LogField, _ set: IdentifierSet,
        _ path: WritableKeyPath<AccountState.Fields, LabelledSet>, cold: inout AccountState.Fields
    ) {
        let h = Self.identifierHash(record, field)
        guard !known(h, set) else { return }
        cold[keyPath: path].insert(h) { record.string(field) ?? "" }
        inserted(set, cold[keyPath: path].values)
    }

    /// Hash of an identifier field's text (0 when absent): the raw bytes when unescaped.
    @inline(__always)
    static func identifierHash(_ record: borrowing DecodedExchange, _ field: LogField) -> UInt64 {
        if let raw = record.rawBytes(field) { return StableHash.hash(raw) | 1 }
        if let text = record.string(field) { return StableHash.hash(text) | 1 }
        return 0
    }
}
