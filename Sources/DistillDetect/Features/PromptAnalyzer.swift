// Per-exchange content features from the prompt's bytes: the template skeleton and its key,
// word-bigram shingles and their MinHash sketch, capability topic scores and chain-of-thought
// elicitation markers. One pass over the bytes, no Strings, buffers reused across prompts.

/// Hashes of the skeleton's placeholders.
enum SkeletonToken {
    static let number = StableHash.hash("<num>")
    static let identifier = StableHash.hash("<id>")
    static let name = StableHash.hash("<name>")
    static let quoted = StableHash.hash("<q>")
    static let code = StableHash.hash("<code>")
}

/// Splits text into tokens. Shared by prompts and by the taxonomy's keyword phrases, so a
/// phrase matches exactly the way its words are read in a prompt.
struct PromptTokenizer {
    @inline(__always)
    static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c >= 0x80
    }

    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c }

    /// Hash of a word for keyword matching: lowercase, without a plural, -ing or -ed ending.
    @inline(__always)
    static let hashStart: UInt64 = 0xcbf2_9ce4_8422_2325 ^ 0x6B77
    static let hashPrime: UInt64 = 0x100_0000_01b3

    /// Picks the FNV-1a state of the word without a plural, -ing or -ed ending (`h` is the
    /// state after all bytes, `h1`…`h3` before the last one…three; `c1` is the last byte,
    /// lowercased) and finishes it with a multiply-xorshift.
    @inline(__always)
    static func stemmedHash(length n: Int, _ h: UInt64, _ h1: UInt64, _ h2: UInt64, _ h3: UInt64,
                            last c1: UInt8, _ c2: UInt8, _ c3: UInt8) -> UInt64 {
        var x = h
        if n > 5 && c3 == 0x69 && c2 == 0x6E && c1 == 0x67 {
            x = h3
        } else if n > 4 && c2 == 0x65 && c1 == 0x64 {
            x = h2
        } else if n > 3 && c1 == 0x73 && c2 != 0x73 {
            x = h1
        }
        x ^= x >> 29
        x &*= 0xbf58_476d_1ce4_e5b9
        x ^= x >> 32
        return x
    }

    /// Hash of a word for keyword matching: lowercase, without a plural, -ing or -ed ending.
    /// FNV-1a over the bytes: words are short, so a byte loop beats the block hash here.
    static func keywordHash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var h = hashStart, h1 = hashStart, h2 = hashStart, h3 = hashStart
        var c1: UInt8 = 0, c2: UInt8 = 0, c3: UInt8 = 0
        for i in 0..<count {
            let lowered = lower(p[i])
            h3 = h2
            h2 = h1
            h1 = h
            h = (h ^ UInt64(lowered)) &* hashPrime
            c3 = c2
            c2 = c1
            c1 = lowered
        }
        return stemmedHash(length: count, h, h1, h2, h3, last: c1, c2, c3)
    }

    /// Keyword hashes of a phrase, as a prompt containing it would produce them.
    static func phraseHashes(_ phrase: String) -> [UInt64] {
        var analyzer = PromptAnalyzer(taxonomy: nil)
        var bytes = Array(phrase.utf8)
        return bytes.withUnsafeMutableBytes { raw in
            analyzer.tokenize(UnsafeRawBufferPointer(raw), sentenceStart: false)
            return analyzer.keywordHashes
        }
    }
}

/// The taxonomy compiled to hash tables of keyword n-grams.
public final class CompiledTaxonomy: Sendable {
    public let taxonomy: Taxonomy
    public let topicNames: [String]
    let defaultTopic: Int
    /// n-gram hash → (topic, weight) entries, open addressing.
    let keywordTable: [(hash: UInt64, first: Int32, count: Int32)]
    let keywordEntries: [(topic: Int32, weight: Double)]
    let markerTable: [UInt64]
    /// `markerTable.count - 1` (a power of two at least twice the markers, so probes end).
    let markerMask: Int
    /// Bloom filters over the last word of multi-word keywords and of markers: most words end
    /// no phrase, so their n-gram keys are never computed.
    let phraseEndBloom: [UInt64]
    let markerEndBloom: [UInt64]
    let codeBlockWeights: [Double]
    let identifierWeights: [Double]
    let numberWeights: [Double]
    let mathSymbolWeights: [Double]
    let questionWeights: [Double]
    /// Keyword hashes of words that open a question.
    let questionWords: Set<UInt64>

    public init(_ taxonomy: Taxonomy) {
        self.taxonomy = taxonomy
        topicNames = taxonomy.topics.map(\.name)
        defaultTopic = topicNames.firstIndex(of: taxonomy.defaultTopic) ?? 0
        var grouped: [UInt64: [(Int32, Double)]] = [:]
        var phraseEnds = [UInt64](repeating: 0, count: Self.bloomWords)
        var markerEnds = [UInt64](repeating: 0, count: Self.bloomWords)
        for (t, topic) in taxonomy.topics.enumerated() {
            for (phrase, weight) in topic.keywords.sorted(by: { $0.key < $1.key }) {
                let hashes = PromptTokenizer.phraseHashes(phrase)
                guard !hashes.isEmpty, hashes.count <= 3 else { continue }
                // Phrases that read the same (feel, feeling) count once, at their highest weight.
                let key = CompiledTaxonomy.ngramKey(hashes[...])
                if let i = grouped[key]?.firstIndex(where: { $0.0 == Int32(t) }) {
                    grouped[key]![i].1 = max(grouped[key]![i].1, weight)
                } else {
                    grouped[key, default: []].append((Int32(t), weight))
                }
                if hashes.count > 1 { Self.bloomAdd(&phraseEnds, hashes.last!) }
            }
        }
        var entries: [(topic: Int32, weight: Double)] = []
        var size = 64
        while size < grouped.count * 3 { size *= 2 }
        var table = [(hash: UInt64, first: Int32, count: Int32)](repeating: (0, 0, 0), count: size)
        for (key, values) in grouped.sorted(by: { $0.key < $1.key }) {
            var slot = Int(truncatingIfNeeded: key) & (size - 1)
            while table[slot].hash != 0 { slot = (slot + 1) & (size - 1) }
            table[slot] = (key, Int32(entries.count), Int32(values.count))
            entries += values.map { (topic: $0.0, weight: $0.1) }
        }
        keywordTable = table
        keywordEntries = entries
        var markerSize = 256
        while markerSize < 2 * taxonomy.chainOfThoughtMarkers.count { markerSize <<= 1 }
        var markers = Array(repeating: UInt64(0), count: markerSize)
        for marker in taxonomy.chainOfThoughtMarkers {
            let hashes = PromptTokenizer.phraseHashes(marker)
            guard !hashes.isEmpty, hashes.count <= 4 else { continue }
            Self.bloomAdd(&markerEnds, hashes.last!)
            let key = CompiledTaxonomy.ngramKey(hashes[...])
            var slot = Int(truncatingIfNeeded: key) & (markerSize - 1)
            while markers[slot] != 0 && markers[slot] != key { slot = (slot + 1) & (markerSize - 1) }
            markers[slot] = key
        }
        markerTable = markers
        markerMask = markerSize - 1
        phraseEndBloom = phraseEnds
        markerEndBloom = markerEnds
        codeBlockWeights = taxonomy.topics.map { $0.codeBlockWeight ?? 0 }
        identifierWeights = taxonomy.topics.map { $0.identifierWeight ?? 0 }
        numberWeights = taxonomy.topics.map { $0.numberWeight ?? 0 }
        mathSymbolWeights = taxonomy.topics.map { $0.mathSymbolWeight ?? 0 }
        questionWeights = taxonomy.topics.map { $0.questionWeight ?? 0 }
        questionWords = Set(["what", "what's", "who", "who's", "when", "where", "why", "how", "which", "is", "are", "was",
                             "were", "do", "does", "did", "can", "could", "should", "will", "would"]
            .flatMap { PromptTokenizer.phraseHashes($0) })
    }

    public static let builtIn = CompiledTaxonomy(.builtIn)

    static let bloomWords = 64  // 4096 bits

    static func bloomAdd(_ bloom: inout [UInt64], _ h: UInt64) {
        let bit = Int(truncatingIfNeeded: h >> 52)  // top 12 bits
        bloom[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    @inline(__always)
    static func bloomMayContain(_ bloom: UnsafeBufferPointer<UInt64>, _ h: UInt64) -> Bool {
        let bit = Int(truncatingIfNeeded: h >> 52)
        return bloom[bit >> 6] >> UInt64(bit & 63) & 1 == 1
    }

    @inline(__always)
    static func ngramKey<C: Collection>(_ hashes: C) -> UInt64 where C.Element == UInt64 {
        var key = UInt64(hashes.count)
        for h in hashes { key = StableHash.combine(key, h) }
        return key | 1
    }

    @inline(__always)
    func keywordMatches(_ key: UInt64) -> Range<Int>? {
        let mask = keywordTable.count - 1
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = keywordTable[slot]
            if e.hash == 0 { return nil }
            if e.hash == key { return Int(e.first)..<Int(e.first + e.count) }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    func isMarker(_ key: UInt64) -> Bool {
        var slot = Int(truncatingIfNeeded: key) & markerMask
        while true {
            let m = markerTable[slot]
            if m == 0 { return false }
            if m == key { return true }
            slot = (slot + 1) & markerMask
        }
    }
}

/// What the analyzer learned of one prompt.
public struct PromptFeatures: Sendable, Equatable {
    /// Hash of the template skeleton: slot-filled variants of one template share it.
    public var templateKey: UInt64 = 0
    /// LSH key of two sketch bins: prompts with Jaccard s share it with probability s².
    public var nearDuplicateKey: UInt64 = 0
    public var topic = 0
    public var topicScore = 0.0
    public var chainOfThought = false
    public var tokens = 0
    public var hasCodeBlock = false
    /// Hash of the prompt's text (identity of the exact prompt).
    public var textHash: UInt64 = 0
}

/// Reusable per-worker prompt analysis. `analyze` fills `features`, `shingles` (word-bigram
/// hashes of the skeleton) and `sketch`.
public struct PromptAnalyzer {
    public static let sketchBins = 64
    let taxonomy: CompiledTaxonomy?
    public private(set) var features = PromptFeatures()
    /// Shingles of the last prompt analysed (not served from the cache).
    private var computedShingles: [UInt64] = []
    /// Cache slot that served the last prompt, or -1.
    private var cachedSlot = -1
    /// Bins of the last prompt's MinHash sketch (`sketchBins` of them), kept dense: it is
    /// refilled for every prompt.
    private var promptBins = [UInt16](repeating: MinHashSketch.emptyBin, count: PromptAnalyzer.sketchBins)
    /// MinHash sketch of the last prompt's shingles.
    public var sketch: MinHashSketch { MinHashSketch(bins: promptBins) }
    /// Skeleton token hashes of the last prompt.
    public private(set) var skeleton: [UInt64] = []
    var keywordHashes: [UInt64] = []
    var scores: [Double] = []
    var identifierCount = 0
    var numberCount = 0
    var mathSymbolCount = 0
    var endsWithQuestionMark = false
    private var text: [UInt8] = []

    public init(taxonomy: CompiledTaxonomy?) {
        self.taxonomy = taxonomy
        scores = Array(repeating: 0, count: taxonomy?.topicNames.count ?? 0)
        computedShingles.reserveCapacity(256)
        skeleton.reserveCapacity(256)
        keywordHashes.reserveCapacity(256)
        text.reserveCapacity(4096)
    }

    /// The last prompt analyzed from a log line, as text (for exemplars).
    public var promptText: String { String(decoding: text, as: UTF8.self) }

    /// Decodes the last prompt's text when a cache hit skipped it; call before `promptText`.
    public mutating func materializeText() {
        guard !textIsCurrent, let line = pendingLine else { return }
        decodeText(line: line, spans: pendingSpans)
        textIsCurrent = true
    }

    private var cache = PromptCache()
    private var textIsCurrent = true
    private var pendingLine: UnsafeRawBufferPointer?
    private var pendingSpans: ArraySlice<TextSpan> = []

    private mutating func decodeText(line: UnsafeRawBufferPointer, spans: ArraySlice<TextSpan>) {
        text.removeAll(keepingCapacity: true)
        for (i, span) in spans.enumerated() {
            if i > 0 { text.append(0x0A) }
            let body = UnsafeRawBufferPointer(rebasing: line[Int(span.start)..<Int(span.end)])
            if span.escaped {
                JSONText.unescape(body, into: &text)
            } else {
                text.append(contentsOf: body)
            }
        }
    }

    /// Analyzes a prompt given as JSON string bodies (escapes undecoded) from a log line.
    /// Repeated prompts (retries, templated integrations, popular questions) are served from
    /// a small per-worker cache keyed by a 64-bit hash of their raw bytes: analysis is a pure
    /// function of the text, so a hit gives the same features and shingles.
    public mutating func analyze(line: UnsafeRawBufferPointer, spans: ArraySlice<TextSpan>) {
        var key: UInt64 = 0x5043
        for span in spans {
            key = StableHash.combine(key, StableHash.hash(UnsafeRawBufferPointer(rebasing: line[Int(span.start)..<Int(span.end)])))
        }
        if let slot = cache.lookup(key, features: &features) {
            cachedSlot = slot
            textIsCurrent = false
            pendingLine = line
            pendingSpans = spans
            return
        }
        decodeText(line: line, spans: spans)
        textIsCurrent = true
        pendingLine = nil
        let local = text
        text = []
        local.withUnsafeBytes { analyze($0) }
        text = local
        cache.store(key, features: features, shingles: computedShingles)
    }

    /// The last prompt's shingles (word-bigram hashes of its skeleton).
    public var shingles: [UInt64] { cachedSlot >= 0 ? cache.shingles(cachedSlot) : computedShingles }

    /// Calls `body` with the last prompt's shingles where they lie (a cache hit is not copied out).
    @inline(__always)
    func withShingles<R>(_ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        if cachedSlot >= 0 {
            return cache.withShingles(cachedSlot, body)
        } else {
            return computedShingles.withUnsafeBufferPointer(body)
        }
    }

    /// Analyzes prompt text given as UTF-8 bytes.
    public mutating func analyze(_ bytes: UnsafeRawBufferPointer) {
        features = PromptFeatures()
        cachedSlot = -1
        features.textHash = StableHash.hash(bytes, seed: 0x7478)
        tokenize(bytes, sentenceStart: true)
        features.tokens = skeleton.count
        // Template key: the skeleton sequence.
        var key: UInt64 = 0x7E3A
        for h in skeleton { key = StableHash.combine(key, h) }
        features.templateKey = key
        // Shingles: skeleton bigrams (a lone token stands for itself).
        computedShingles.removeAll(keepingCapacity: true)
        if skeleton.count == 1 {
            computedShingles.append(StableHash.combine(0x51, skeleton[0]))
        } else if skeleton.count > 1 {
            for i in 1..<skeleton.count { computedShingles.append(StableHash.combine(skeleton[i - 1], skeleton[i])) }
        }
        let shift = UInt64(64 - Self.sketchBins.trailingZeroBitCount)
        promptBins.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = MinHashSketch.emptyBin }
            for hash in computedShingles {
                let bin = Int(truncatingIfNeeded: hash >> shift)
                let value = min(UInt16(truncatingIfNeeded: hash), MinHashSketch.emptyBin - 1)
                if value < b[bin] { b[bin] = value }
            }
        }
        if !computedShingles.isEmpty {
            let pair = UInt64(MinHashSketch.densifiedBin(0, of: promptBins)) << 32 | UInt64(MinHashSketch.densifiedBin(1, of: promptBins))
            features.nearDuplicateKey = StableHash.combine(pair, 0x4E44)
        }
        classify()
    }

    /// Fills `skeleton` and `keywordHashes`, and counts identifiers and code blocks.
    mutating func tokenize(_ bytes: UnsafeRawBufferPointer, sentenceStart startAtSentence: Bool) {
        skeleton.removeAll(keepingCapacity: true)
        keywordHashes.removeAll(keepingCapacity: true)
        identifierCount = 0
        numberCount = 0
        mathSymbolCount = 0
        endsWithQuestionMark = false
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else { return }
        let n = bytes.count
        var i = 0
        var sentenceStart = startAtSentence
        while i < n {
            let c = base[i]
            // Fenced code block: one placeholder for the whole block.
            if c == 0x60 && i + 2 < n && base[i + 1] == 0x60 && base[i + 2] == 0x60 {
                var j = i + 3
                var closed = n
                while j + 2 < n {
                    if base[j] == 0x60 && base[j + 1] == 0x60 && base[j + 2] == 0x60 {
                        closed = j + 3
                        break
                    }
                    j += 1
                }
                skeleton.append(SkeletonToken.code)
                features.hasCodeBlock = true
                i = closed
                sentenceStart = true
                continue
            }
            // Inline code and double-quoted strings on one line: a slot value.
            if c == 0x60 || c == 0x22 {
                var j = i + 1
                while j < n && j - i < 200 && base[j] != c && base[j] != 0x0A { j += 1 }
                if j < n && base[j] == c && j > i + 1 {
                    skeleton.append(SkeletonToken.quoted)
                    i = j + 1
                    sentenceStart = false
                    continue
                }
                i += 1
                continue
            }
            // <tag>: one token, e.g. <thinking>.
            if c == 0x3C {
                var j = i + 1
                while j < n && j - i < 24 && (PromptTokenizer.isWordByte(base[j]) || base[j] == 0x2F) { j += 1 }
                if j < n && base[j] == 0x3E && j > i + 1 {
                    let h = PromptTokenizer.keywordHash(base + i, j + 1 - i)
                    skeleton.append(h)
                    keywordHashes.append(h)
                    i = j + 1
                    continue
                }
                i += 1
                continue
            }
            guard PromptTokenizer.isWordByte(c) else {
                if c == 0x2E || c == 0x21 || c == 0x3F || c == 0x0A || c == 0x3A { sentenceStart = true }
                // = + * ^ % count as arithmetic; - and / too often join words.
                if c == 0x3D || c == 0x2B || c == 0x2A || c == 0x5E || c == 0x25 { mathSymbolCount += 1 }
                if c == 0x3F { endsWithQuestionMark = true } else if c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09 { endsWithQuestionMark = false }
                i += 1
                continue
            }
            endsWithQuestionMark = false
            // A word: letters, digits, '_', UTF-8; inner '.', '-', '/', '\'' joined; '+' and '#'
            // after a letter (c++, c#). One pass: classify each byte and hash it lowercased,
            // keeping the hash states before the last three bytes for stemming.
            let start = i
            var hasDigit = false
            var hasLetter = false
            var hasLower = false
            var hasUnderscore = false
            var hasDot = false
            var innerUpper = false
            var previousUpper = false
            var h: UInt64 = PromptTokenizer.hashStart
            var h1 = h, h2 = h, h3 = h
            var c1: UInt8 = 0, c2: UInt8 = 0, c3: UInt8 = 0
            while i < n {
                let b = base[i]
                let isUpper = b &- 0x41 < 26
                let isLowerLetter = b &- 0x61 < 26
                let isDigitByte = b &- 0x30 < 10
                if isUpper || isLowerLetter || isDigitByte || b == 0x5F || b >= 0x80 {
                    if isDigitByte { hasDigit = true } else if b == 0x5F { hasUnderscore = true } else { hasLetter = true }
                    if isLowerLetter { hasLower = true }
                    if isUpper && i > start && !previousUpper { innerUpper = true }
                    previousUpper = isUpper
                } else if (b == 0x2E || b == 0x2D || b == 0x2F || b == 0x27 || b == 0x2C) && i + 1 < n
                    && PromptTokenizer.isWordByte(base[i + 1]) && i > start
                {
                    if b == 0x2C && !(base[i - 1] &- 0x30 < 10) { break }  // 1,000 but not a,b
                    if b == 0x2E { hasDot = true }
                    previousUpper = false
                } else if (b == 0x2B || b == 0x23) && hasLetter && i - start <= 2 {
                    previousUpper = false
                } else {
                    break
                }
                let lowered = isUpper ? b | 0x20 : b
                h3 = h2
                h2 = h1
                h1 = h
                h = (h ^ UInt64(lowered)) &* PromptTokenizer.hashPrime
                c3 = c2
                c2 = c1
                c1 = lowered
                i += 1
            }
            let length = i - start
            let keyword = PromptTokenizer.stemmedHash(length: length, h, h1, h2, h3, last: c1, c2, c3)
            keywordHashes.append(keyword)
            let firstIsUpper = base[start] &- 0x41 < 26
            let allCaps = !hasLower
            if !hasLetter && hasDigit {
                skeleton.append(SkeletonToken.number)
                numberCount += 1
            } else if hasUnderscore || (hasDigit && hasLetter) || innerUpper && !allCaps || (hasDot && hasLetter && !hasDigit && length > 3 && isDottedName(base + start, length)) {
                skeleton.append(SkeletonToken.identifier)
                identifierCount += 1
            } else if firstIsUpper && !sentenceStart && length > 1 && !allCaps {
                skeleton.append(SkeletonToken.name)
            } else {
                skeleton.append(keyword)
            }
            sentenceStart = false
        }
    }

    /// `file.py`, `os.path`, `res.json`: a dot with letters on both sides, not a sentence end.
    private func isDottedName(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for k in 1..<(n - 1) where p[k] == 0x2E {
            if PromptTokenizer.isWordByte(p[k - 1]) && PromptTokenizer.isWordByte(p[k + 1]) { return true }
        }
        return false
    }

    /// Topic scores from keyword n-grams, code blocks and identifiers; CoT markers.
    private mutating func classify() {
        guard let taxonomy else { return }
        let topics = scores.count
        scores.withUnsafeMutableBufferPointer { s in
            for t in 0..<topics { s[t] = 0 }
            keywordHashes.withUnsafeBufferPointer { words in
                taxonomy.phraseEndBloom.withUnsafeBufferPointer { phraseEnds in
                    taxonomy.markerEndBloom.withUnsafeBufferPointer { markerEnds in
                        @inline(__always) func score(_ key: UInt64) {
                            if let r = taxonomy.keywordMatches(key) {
                                for e in r { s[Int(taxonomy.keywordEntries[e].topic)] += taxonomy.keywordEntries[e].weight }
                            }
                        }
                        let count = words.count
                        for i in 0..<count {
                            let w = words[i]
                            score(CompiledTaxonomy.ngramKey(words[i...i]))
                            if i >= 1 && CompiledTaxonomy.bloomMayContain(phraseEnds, w) {
                                score(CompiledTaxonomy.ngramKey(words[(i - 1)...i]))
                                if i >= 2 { score(CompiledTaxonomy.ngramKey(words[(i - 2)...i])) }
                            }
                            if !features.chainOfThought && CompiledTaxonomy.bloomMayContain(markerEnds, w) {
                                for n in 1...4 where i + 1 >= n {
                                    if taxonomy.isMarker(CompiledTaxonomy.ngramKey(words[(i + 1 - n)...i])) {
                                        features.chainOfThought = true
                                        break
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let isQuestion = endsWithQuestionMark || (keywordHashes.first.map { taxonomy.questionWords.contains($0) } ?? false)
            for t in 0..<topics {
                if features.hasCodeBlock { s[t] += taxonomy.codeBlockWeights[t] }
                s[t] += Double(min(identifierCount, 3)) * taxonomy.identifierWeights[t]
                s[t] += Double(min(numberCount, 4)) * taxonomy.numberWeights[t]
                s[t] += Double(min(mathSymbolCount, 4)) * taxonomy.mathSymbolWeights[t]
                if isQuestion { s[t] += taxonomy.questionWeights[t] }
            }
            var best = taxonomy.defaultTopic
            var bestScore = 0.0
            for t in 0..<topics where s[t] > bestScore {
                best = t
                bestScore = s[t]
            }
            if bestScore < taxonomy.taxonomy.minimumScore { best = taxonomy.defaultTopic }
            features.topic = best
            features.topicScore = bestScore
        }
    }
}

/// A direct-mapped cache of prompt analyses (features and shingles), per worker.
struct PromptCache {
    static let slots = 4096
    static let maxShingles = 160
    private var keys = [UInt64](repeating: 0, count: PromptCache.slots)
    private var features = [PromptFeatures](repeating: PromptFeatures(), count: PromptCache.slots)
    private var counts = [UInt16](repeating: 0, count: PromptCache.slots)
    /// Left uninitialised (5 MB per worker): a slot's shingles are read only after they were
    /// written, so the pages are touched only as slots fill.
    private var arena = [UInt64](unsafeUninitializedCapacity: PromptCache.slots * PromptCache.maxShingles) { _, count in
        count = PromptCache.slots * PromptCache.maxShingles
    }

    /// Copies the cached features of `key` out and returns its slot (for its shingles); nil
    /// on a miss.
    func lookup(_ key: UInt64, features out: inout PromptFeatures) -> Int? {
        let slot = Int(truncatingIfNeeded: key >> 52)
        guard keys[slot] == key | 1 else { return nil }
        out = features[slot]
        return slot
    }

    func withShingles<R>(_ slot: Int, _ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        arena.withUnsafeBufferPointer { a in
            body(UnsafeBufferPointer(rebasing: a[(slot * Self.maxShingles)..<(slot * Self.maxShingles + Int(counts[slot]))]))
        }
    }

    func shingles(_ slot: Int) -> [UInt64] { withShingles(slot) { Array($0) } }

    /// Keeps an analysis unless its shingles do not fit.
    mutating func store(_ key: UInt64, features f: PromptFeatures, shingles: [UInt64]) {
        guard shingles.count <= Self.maxShingles else { return }
        let slot = Int(truncatingIfNeeded: key >> 52)
        keys[slot] = key | 1
        features[slot] = f
        counts[slot] = UInt16(shingles.count)
        arena.withUnsafeMutableBufferPointer { a in
            for (k, h) in shingles.enumerated() { a[slot * Self.maxShingles + k] = h }
        }
    }
}
