// `analyze` outputs: clusters.csv, accounts.csv (the list a reviewer acts on), summary.json
// and, with --format json, clusters.json and accounts.json. Every file is written atomically.
import DistillDetect
import Foundation

public struct DetectionSummary: Codable, Sendable {
    /// Every setting of linkage, clustering and scoring in force.
    public var config: DetectionConfig
    /// Significance level each evidence family was tested at.
    public var familyLevel: Double
    public var links: Int
    /// Supported synchrony links, and the groups they form before accounts already in content
    /// clusters or network blocks are left to those (nil when synchrony linkage is off).
    public var synchronyLinks: Int?
    public var synchronyGroups: Int?
    /// Creation bursts found, and candidates formed by dense blocks of shared credentials (nil
    /// when credential blocks are off).
    public var creationBursts: Int
    public var credentialBlocks: Int?
    public var clustersScored: Int
    public var clustersReported: Int
    public var accountsFlagged: Int
    public var populationExtractionShare: Double
    public var populationChainOfThoughtShare: Double
    public var populationContentP95: Double

    public init(options: DetectionConfig, result: DetectionResult) {
        config = options
        familyLevel = result.familyLevel
        links = result.links
        synchronyLinks = options.synchronyLinkage ? result.synchronyLinks : nil
        synchronyGroups = options.synchronyLinkage ? result.synchronyGroups : nil
        creationBursts = result.creationBursts
        credentialBlocks = options.credentialBlocks ? result.credentialBlocks : nil
        clustersScored = result.scoredClusters
        clustersReported = result.reported.count
        accountsFlagged = result.reported.reduce(0) { $0 + $1.members.count }
        populationExtractionShare = result.baseline.extractionShare
        populationChainOfThoughtShare = result.baseline.chainOfThoughtShare
        populationContentP95 = result.baseline.contentP95
    }

    enum CodingKeys: String, CodingKey {
        case config, links
        case synchronyLinks = "synchrony_links"
        case synchronyGroups = "synchrony_groups"
        case creationBursts = "creation_bursts"
        case credentialBlocks = "credential_blocks"
        case familyLevel = "family_level"
        case clustersScored = "clusters_scored"
        case clustersReported = "clusters_reported"
        case accountsFlagged = "accounts_flagged"
        case populationExtractionShare = "population_extraction_share"
        case populationChainOfThoughtShare = "population_cot_share"
        case populationContentP95 = "population_content_similarity_p95"
    }
}

/// Names of the reported clusters and extra columns (added at the end of each row).
public struct ReportAnnotations: Sendable {
    /// One id per reported cluster, in report order.
    public var clusterIDs: [String]
    public var clusterColumns: [String] = []
    /// One row of extra values per reported cluster.
    public var clusterValues: [[CSVField]] = []
    public var accountColumns: [String] = []
    /// Extra values by account id.
    public var accountValues: [String: [CSVField]] = [:]

    public init(clusterIDs: [String]) { self.clusterIDs = clusterIDs }
}

public enum DetectionReport {
    public static let clusterColumns = [
        "cluster_id", "score", "accounts", "exchanges", "input_tokens", "output_tokens", "first_seen", "last_seen",
        "distinct_ips", "distinct_networks", "shared_payment_fingerprints", "top_topic", "top_topic_share",
        "extraction_topic_share", "template_sharing_share", "cot_share", "content_similarity", "synchrony",
        "creation_spread_hours", "created_in_burst_share", "volume_cv", "shared_network_share", "reasons",
    ]

    public static let accountColumns = [
        "cluster_id", "account_id", "score", "exchanges", "input_tokens", "output_tokens", "active_days", "top_topic",
        "top_topic_share", "shared_template_share", "cot_share", "distinct_ips", "first_seen", "last_seen",
        "account_created", "payment_fingerprints", "networks", "exemplar_prompt", "reasons",
    ]

    /// candidates.csv: every cluster of at least the minimum size, reported or not, with each
    /// family's figure, null mean, p-value and the test it came from, the verdict, the first
    /// accounts by id (up to `candidateAccounts`) and the reasons.
    public static var candidateColumns: [String] {
        ["candidate", "cluster_id", "reported", "score", "accounts", "exchanges", "distinct_templates"]
            + EvidenceFamily.allCases.flatMap { ["\($0.name)_figure", "\($0.name)_null_mean", "\($0.name)_p_value", "\($0.name)_test"] }
            + ["formed_by", "significant_families", "family_level", "verdict", "first_accounts", "reasons"]
    }

    static let candidateAccounts = 20

    static func candidateRow(_ c: ScoredCluster, rank: Int, clusterID: String?, level: Double, accounts: [AccountState]) -> [CSVField] {
        var row: [CSVField] = [
            .text(String(format: "K%04d", rank + 1)), .text(clusterID ?? ""), .text(c.isReported ? "yes" : "no"),
            .decimal(c.score), .integer(c.members.count), .integer(c.exchanges), .integer(c.distinctTemplates),
        ]
        for e in c.evidence {
            row += e.available
                ? [.decimal(e.statistic), .decimal(e.nullMean), .number(String(format: "%.3g", e.pValue)), .text(e.label)]
                : [.empty, .empty, .empty, .empty]
        }
        row += [
            .text(c.formation.rawValue),
            .text(c.significantFamilies.map(\.name).joined(separator: " ")), .number(String(format: "%.3g", level)),
            .text(c.verdict),
            .text(c.members.map { accounts[$0].accountID }.sorted().prefix(candidateAccounts).joined(separator: " ")),
            .text(c.reasons),
        ]
        return row
    }

    package static func clusterID(_ rank: Int) -> String { ClusterMatching.clusterID(number: rank + 1) }

    static func time(_ ms: Int64) -> CSVField { .text(Timestamp.format(milliseconds: ms)) }

    public static func clusterRow(_ c: ScoredCluster, id: String) -> [CSVField] {
        [
            .text(id), .decimal(c.score), .integer(c.members.count), .integer(c.exchanges),
            .integer(c.inputTokens), .integer(c.outputTokens), time(c.firstSeen), time(c.lastSeen),
            .integer(c.distinctIPs), .integer(c.distinctNetworks), .integer(c.sharedPayments), .text(c.topTopic),
            .decimal(c.topTopicShare), .decimal(c.extractionShare), .decimal(c.templateSharing),
            .decimal(c.chainOfThoughtShare), .decimal(c.contentSimilarity), .decimal(c.synchrony),
            c.creationSpreadHours.map { .decimal($0) } ?? .empty, .decimal(c.createdInBurstShare), .decimal(c.volumeCV),
            .decimal(c.sharedNetworkShare), .text(c.reasons),
        ]
    }

    public static func accountRows(_ c: ScoredCluster, id: String, accounts: [AccountState], topicNames: [String]) -> [[CSVField]] {
        var templateUse: [UInt64: Int] = [:]
        for m in c.members { for h in accounts[m].templates.hashes { templateUse[h, default: 0] += 1 } }
        return c.members.map { m in
            let a = accounts[m]
            let shared = a.templates.hashes.isEmpty ? 0 : Double(a.templates.hashes.filter { templateUse[$0, default: 0] > 1 }.count) / Double(a.templates.hashes.count)
            let top = a.topTopic
            var reasons = "member of \(id) (\(c.members.count) accounts, score \(String(format: "%.2f", c.score)))"
            reasons += "; \(Int((shared * 100).rounded()))% of its templates are used by other members"
            if a.chainOfThoughtShare > 0.2 { reasons += "; \(Int((a.chainOfThoughtShare * 100).rounded()))% of its prompts request step-by-step reasoning" }
            return [
                .text(id), .text(a.accountID), .decimal(c.score), .integer(a.exchanges), .integer(a.inputTokens),
                .integer(a.outputTokens), .integer(a.activeDayCount), .text(top.map { topicNames[$0.index] } ?? ""),
                top.map { .decimal($0.share) } ?? .empty, .decimal(shared), .decimal(a.chainOfThoughtShare),
                .integer(Int(a.ips.distinctCount.rounded())), time(a.firstSeen), time(a.lastSeen),
                a.createdAt.map(time) ?? .empty, .text(a.payments.labels.joined(separator: " ")),
                .text(a.networks.labels.joined(separator: " ")), .text(a.exemplars.first?.text ?? ""), .text(reasons),
            ]
        }
    }

    /// Writes clusters.csv and accounts.csv (and their JSON twins when asked) into `directory`.
    /// `annotations` name the clusters (rank order by default) and add columns at the end.
    public static func write(
        _ result: DetectionResult, accounts: [AccountState], topicNames: [String], directory: String, json: Bool,
        annotations: ReportAnnotations? = nil
    ) throws {
        let notes = annotations ?? ReportAnnotations(clusterIDs: result.reported.indices.map(clusterID))
        let clusterRows = result.reported.enumerated().map {
            clusterRow($0.element, id: notes.clusterIDs[$0.offset]) + (notes.clusterValues.isEmpty ? [] : notes.clusterValues[$0.offset])
        }
        let accountRows = result.reported.enumerated().flatMap { k, cluster in
            zip(cluster.members, self.accountRows(cluster, id: notes.clusterIDs[k], accounts: accounts, topicNames: topicNames)).map {
                $1 + (notes.accountColumns.isEmpty ? [] : notes.accountValues[accounts[$0].accountID] ?? [])
            }
        }
        let clusterHeader = clusterColumns + notes.clusterColumns
        let accountHeader = accountColumns + notes.accountColumns
        try CSVWriter.write(path: path(directory, "clusters.csv"), header: clusterHeader, rows: clusterRows)
        try CSVWriter.write(path: path(directory, "accounts.csv"), header: accountHeader, rows: accountRows)
        // Near misses: reported clusters keep their ids; the others have only a candidate number.
        var reportedID: [Int: String] = [:]
        for (k, c) in result.reported.enumerated() { reportedID[c.members[0]] = notes.clusterIDs[k] }
        let candidateRows = result.candidates.enumerated().map {
            candidateRow(
                $0.element, rank: $0.offset, clusterID: $0.element.isReported ? reportedID[$0.element.members[0]] : nil,
                level: result.familyLevel, accounts: accounts)
        }
        try CSVWriter.write(path: path(directory, "candidates.csv"), header: candidateColumns, rows: candidateRows)
        if json {
            try AtomicFile.write(try JSONOutput.encode(objects(clusterHeader, clusterRows)), to: path(directory, "clusters.json"))
            try AtomicFile.write(try JSONOutput.encode(objects(accountHeader, accountRows)), to: path(directory, "accounts.json"))
        }
    }

    package static func path(_ directory: String, _ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Creates the output directory (and its parents) if needed.
    static func makeDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError.cannotWrite(path: directory, reason: error.localizedDescription)
        }
    }

    /// Rows as JSON objects keyed by column (numbers as numbers, text as strings, raw text).
    static func objects(_ columns: [String], _ rows: [[CSVField]]) -> [[String: JSONCell]] {
        rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(columns, row).map { column, field in
                switch field {
                case .empty: return (column, JSONCell.null)
                case .text(let s): return (column, .string(s))
                case .number(let s): return (column, Double(s).map(JSONCell.number) ?? .string(s))
                case .int, .millionths: return (column, field.numericValue.map(JSONCell.number) ?? .null)
                }
            })
        }
    }
}

/// A JSON value of an output cell.
public enum JSONCell: Encodable, Sendable {
    case string(String)
    case number(Double)
    case null

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let d): try c.encode(d)
        case .null: try c.encodeNil()
        }
    }
}
