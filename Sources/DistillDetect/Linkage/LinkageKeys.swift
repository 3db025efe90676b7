// Candidate generation as a grouping on keys, so that it can leave the process: each account
// emits its linkage keys (LSH band keys of its vocabulary sketch, its payment fingerprints,
// LSH band keys of its metadata action sketch), accounts sharing a key form a bucket, and each
// bucket proposes pairs by one rule (all pairs of a bucket of up to `smallBucket` accounts, a
// chain with skips through a larger one, so a bucket costs pairs linear in its size). In-process
// linkage runs exactly this; `state keys` and `state pairs` run its two halves apart (the Spark
// job groups the keys), and `detect --candidates` verifies the pairs found: the same pairs,
// hence the same links and clusters.
import Foundation

/// What a linkage key is made of; keys of different sources never group together.
public enum LinkageKeySource: String, Sendable, CaseIterable {
    /// An LSH band of the densified vocabulary sketch (accounts with enough prompts).
    case contentBand = "band"
    /// A payment fingerprint (any volume).
    case payment
    /// An LSH band of one half of the metadata action sketch (`synchronyMinItems` items).
    case synchrony = "sync"
}

/// Candidate pairs found outside, by account index: content (bands and payments) and synchrony.
public struct ExternalCandidates: Sendable {
    /// `a << 32 | b` with a < b, indices into the sorted account list.
    public var content: [Int64] = []
    public var synchrony: [Int64] = []

    public init() {}
}

public enum LinkageKeys {
    /// Buckets up to this size propose all their pairs; larger ones a chain with skips 1–3.
    public static let smallBucket = 24

    /// The keys of one account from one source (empty when it is not eligible).
    public static func keys(_ a: AccountState, source: LinkageKeySource, options: DetectionConfig) -> [UInt64] {
        switch source {
        case .contentBand:
            guard a.withPrompt >= options.minPrompts, AccountLinkage.filledBins(a.vocabulary) >= options.minVocabularyBins else { return [] }
            return MinHashSketch.bandKeys(densified: a.vocabulary.densified(), bands: options.bands, rows: options.rows)
        case .payment:
            return a.payments.values.hashes
        case .synchrony:
            guard !a.actionSketch.isEmpty else { return [] }
            precondition(options.synchronyBands * options.synchronyRows <= SynchronyRarity.half)
            var keys: [UInt64] = []
            for kind in 0..<2 {
                let (row, filled) = SynchronyRarity.densifiedHalf(a.actionSketch.bins, kind: kind)
                guard filled >= options.synchronyMinItems else { continue }
                for key in MinHashSketch.bandKeys(densified: row, bands: options.synchronyBands, rows: options.synchronyRows) {
                    keys.append(StableHash.combine(key, UInt64(kind)))
                }
            }
            return keys
        }
    }

    /// The pairs one bucket proposes; `members` ascending (account order, that is by id).
    public static func propose(_ members: [Int], into candidates: inout [Int64]) {
        if members.count <= smallBucket {
            for i in 0..<members.count {
                for j in (i + 1)..<members.count { candidates.append(Int64(members[i]) << 32 | Int64(members[j])) }
            }
        } else {
            for i in 1..<members.count {
                for step in 1...3 where i >= step { candidates.append(Int64(members[i - step]) << 32 | Int64(members[i])) }
            }
        }
    }

    /// Every pair the buckets of `source` propose among `accounts` (unsorted, with repeats).
    public static func candidates(_ accounts: [AccountState], source: LinkageKeySource, options: DetectionConfig) -> [Int64] {
        var entries: [(key: UInt64, account: Int)] = []
        // (Accounts are read in place: iterating them would copy each state.)
        for i in accounts.indices {
            for key in keys(accounts[i], source: source, options: options) { entries.append((key, i)) }
        }
        var candidates: [Int64] = []
        AccountLinkage.proposeGroups(&entries) { propose($0, into: &candidates) }
        return candidates
    }

    /// The parameters keys depend on, written at the head of key and pair files and checked
    /// by `detect --candidates`, so pairs are never verified under other settings.
    public static func parameterLine(_ options: DetectionConfig) -> String {
        "# distill-detect linkage v1 bands=\(options.bands) rows=\(options.rows) min_prompts=\(options.minPrompts) "
            + "min_vocabulary_bins=\(options.minVocabularyBins) synchrony_bands=\(options.synchronyBands) "
            + "synchrony_rows=\(options.synchronyRows) synchrony_min_items=\(options.synchronyMinItems)"
    }

    /// The string a JSON string literal holds, or nil when it is not one. Ids without
    /// backslashes (almost all) are cut out directly; others go through the JSON parser.
    static func unquoted(_ field: Substring) -> String? {
        let utf8 = field.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "\""), utf8.last == UInt8(ascii: "\"") else { return nil }
        if !utf8.contains(UInt8(ascii: "\\")) {
            let inner = field.dropFirst().dropLast()
            return inner.utf8.contains(UInt8(ascii: "\"")) ? nil : String(inner)
        }
        return (try? JSONSerialization.jsonObject(with: Data(utf8), options: [.fragmentsAllowed])) as? String
    }

    /// The strings of a JSON array of string literals, or nil when it is not one.
    static func unquotedList(_ field: Substring) -> [String]? {
        guard field.utf8.first == UInt8(ascii: "["), field.utf8.last == UInt8(ascii: "]") else { return nil }
        let inner = field.dropFirst().dropLast()
        // Fast path: no backslash, so no escaped quote or comma inside an id.
        guard !inner.utf8.contains(UInt8(ascii: "\\")) else {
            return (try? JSONSerialization.jsonObject(with: Data(field.utf8))) as? [String]
        }
        var out: [String] = []
        var rest = inner[...]
        while !rest.isEmpty {
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            out.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
            if rest.first == "," { rest = rest.dropFirst() } else if !rest.isEmpty { return nil }
        }
        return out
    }

    /// An account id as a JSON string: safe in a tab-separated line whatever it holds.
    public static func quoted(_ id: String) -> String {
        if !id.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/") }) {
            return "\"" + id + "\""
        }
        let data = (try? JSONSerialization.data(withJSONObject: id, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: Key and pair files (tab-separated, one header line of parameters)

extension LinkageKeys {
    /// Key lines of `accounts`: `source TAB key (16 hex digits) TAB account id (JSON string)`,
    /// after the parameter line. Content is taken as the states hold it: `detect` drops band
    /// pairs itself when the run's content signals are off.
    public static func keyLines(_ accounts: [AccountState], options: DetectionConfig) -> [String] {
        var lines = [parameterLine(options)]
        for i in accounts.indices {
            let id = quoted(accounts[i].accountID)
            for source in LinkageKeySource.allCases {
                for key in keys(accounts[i], source: source, options: options) {
                    let hex = String(key, radix: 16)
                    lines.append("\(source.rawValue)\t\(String(repeating: "0", count: 16 - hex.count))\(hex)\t\(id)")
                }
            }
        }
        return lines
    }

    /// The pairs of one bucket line, `source TAB JSON array of the account ids sharing a key`,
    /// as `source TAB id TAB id` lines (ids as JSON strings, the lower id first): the members
    /// are sorted as the account list is, so the bucket proposes what it proposes in-process.
    public static func pairLines(bucket line: Substring) throws -> [String] {
        let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
        guard fields.count == 2, LinkageKeySource(rawValue: String(fields[0])) != nil, let ids = unquotedList(fields[1])
        else { throw StateFileError.incompatible(reason: "not a bucket line (source TAB JSON array of ids): \(line.prefix(200))") }
        let members = Array(Set(ids)).sorted()
        guard members.count >= 2 else { return [] }
        var pairs: [Int64] = []
        propose(Array(members.indices), into: &pairs)
        let quotedIDs = members.map(quoted)
        return pairs.map { "\(fields[0])\t\(quotedIDs[Int($0 >> 32)])\t\(quotedIDs[Int($0 & 0xFFFF_FFFF)])" }
    }

    /// Reads pair files (`state pairs` output, any order, repeats allowed) into candidates among
    /// `accounts` (sorted by id). Band pairs are left out when `contentDropped` (content signals
    /// off: in-process linkage has no band keys then). A file written under other parameters, an
    /// id not in the state, or a malformed line is an error naming the file and line.
    public static func readPairs(_ paths: [String], accounts: [AccountState], options: DetectionConfig, contentDropped: Bool) throws -> ExternalCandidates {
        var index: [String: Int] = [:]
        index.reserveCapacity(accounts.count)
        for i in accounts.indices { index[accounts[i].accountID] = i }
        var result = ExternalCandidates()
        let expected = parameterLine(options)
        for path in paths {
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw StateFileError.unreadable(path: path, reason: error.localizedDescription)
            }
            guard bytes.starts(with: Array(expected.utf8)) else {
                throw StateFileError.incompatible(reason: "\(path): no linkage parameter line at its head (written by `state pairs`?)")
            }
            // Byte by byte: pair files run to millions of lines.
            func id(_ field: ArraySlice<UInt8>) -> String? {
                if field.count >= 2, field.first == UInt8(ascii: "\""), field.last == UInt8(ascii: "\""),
                    !field.contains(UInt8(ascii: "\\"))
                {
                    let inner = field.dropFirst().dropLast()
                    return inner.contains(UInt8(ascii: "\"")) ? nil : String(decoding: inner, as: UTF8.self)
                }
                return unquoted(Substring(String(decoding: field, as: UTF8.self)))
            }
            let sources: [(name: [UInt8], source: LinkageKeySource)] = LinkageKeySource.allCases.map { (Array($0.rawValue.utf8), $0) }
            var number = 0
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
                defer { start = end + 1 }
                number += 1
                let line = bytes[start..<end]
                if line.isEmpty { continue }
                if line.first == UInt8(ascii: "#") {
                    guard line.elementsEqual(expected.utf8) else {
                        throw StateFileError.incompatible(reason: "\(path):\(number): pairs found under other linkage parameters (\(String(decoding: line, as: UTF8.self))); this run uses \(expected)")
                    }
                    continue
                }
                let fields = line.split(separator: 9, omittingEmptySubsequences: false)
                guard fields.count == 3, let source = sources.first(where: { fields[0].elementsEqual($0.name) })?.source,
                    let a = id(fields[1]), let b = id(fields[2])
                else { throw StateFileError.incompatible(reason: "\(path):\(number): not a pair line (source TAB id TAB id)") }
                guard let i = index[a], let j = index[b] else {
                    throw StateFileError.incompatible(reason: "\(path):\(number): account \(index[a] == nil ? a : b) is not in the state")
                }
                let pair = Int64(min(i, j)) << 32 | Int64(max(i, j))
                switch source {
                case .contentBand: if !contentDropped { result.content.append(pair) }
                case .payment: result.content.append(pair)
                case .synchrony: result.synchrony.append(pair)
                }
            }
        }
        return result
    }
}
