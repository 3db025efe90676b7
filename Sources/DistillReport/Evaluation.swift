// `evaluate`: a run's flagged accounts against labels (precision, recall, F1, benign
// false-positive rate, per-campaign recall and fragmentation, look-alikes flagged).
import DistillDetect
import Foundation

/// RFC 4180 reading, for the tool's own CSV files and labels.
public enum CSVReader {
    public static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && chars.first == "\n" { chars.removeFirst() }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }

    /// Rows as dictionaries keyed by the header row. Throws `CSVFileError` when the file
    /// cannot be read as UTF-8 text.
    public static func records(path: String) throws -> [[String: String]] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            var isDirectory: ObjCBool = false
            let reason = !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                ? "no such file" : isDirectory.boolValue ? "a directory, not a CSV file" : "not readable as UTF-8 text"
            throw CSVFileError(path: path, reason: reason)
        }
        let all = rows(text)
        guard let header = all.first else { return [] }
        return all.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }.map { row in
            Dictionary(zip(header, row).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
        }
    }
}

/// A CSV file that cannot be read; `description` names the file.
public struct CSVFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): cannot read: \(reason)" }
}

public struct EvaluationResult: Codable, Sendable {
    public struct Campaign: Codable, Sendable {
        public var campaign: String
        public var accounts: Int
        public var flagged: Int
        public var recall: Double
        /// Clusters its flagged accounts are spread over.
        public var clusters: Int
        /// Share of its accounts in its largest cluster.
        public var largestClusterShare: Double

        enum CodingKeys: String, CodingKey {
            case campaign, accounts, flagged, recall, clusters
            case largestClusterShare = "largest_cluster_share"
        }
    }

    public var flagged: Int
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var benignAccounts: Int
    public var benignFalsePositiveRate: Double
    public var campaigns: [Campaign]
    /// Look-alike kind → accounts of that kind flagged.
    public var lookAlikesFlagged: [String: Int]
    /// Clusters holding accounts of more than one campaign.
    public var mixedClusters: Int
    public var unlabelledFlagged: Int

    enum CodingKeys: String, CodingKey {
        case flagged, precision, recall, f1, campaigns
        case truePositives = "true_positives"
        case falsePositives = "false_positives"
        case falseNegatives = "false_negatives"
        case benignAccounts = "benign_accounts"
        case benignFalsePositiveRate = "benign_false_positive_rate"
        case lookAlikesFlagged = "look_alikes_flagged"
        case mixedClusters = "mixed_clusters"
        case unlabelledFlagged = "unlabelled_flagged"
    }
}

public enum Evaluation {
    public static func run(labelsPath: String, accountsPath: String) throws -> EvaluationResult {
        let labels = try CSVReader.records(path: labelsPath)
        let flaggedRows = try CSVReader.records(path: accountsPath)
        var campaignOf: [String: String] = [:]
        var kindOf: [String: String] = [:]
        for row in labels {
            guard let id = row["account_id"], !id.isEmpty else { continue }
            campaignOf[id] = row["campaign_id"] ?? ""
            kindOf[id] = row["kind"] ?? ""
        }
        var clusterOf: [String: String] = [:]
        for row in flaggedRows {
            // accounts.csv neutralises ids a spreadsheet would run (`=…` is written `'=…`).
            if let id = row["account_id"], let cluster = row["cluster_id"] { clusterOf[CSVField.readBack(id)] = cluster }
        }
        var tp = 0
        var fp = 0
        var unlabelled = 0
        var lookAlikes: [String: Int] = [:]
        for (id, _) in clusterOf {
            guard let campaign = campaignOf[id] else {
                unlabelled += 1
                continue
            }
            if campaign.isEmpty {
                fp += 1
                if let kind = kindOf[id], !kind.isEmpty, kind != "benign" { lookAlikes[kind, default: 0] += 1 }
            } else {
                tp += 1
            }
        }
        let positives = campaignOf.values.filter { !$0.isEmpty }.count
        let benign = campaignOf.count - positives
        let fn = positives - tp
        let precision = tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
        let recall = positives == 0 ? 1 : Double(tp) / Double(positives)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        var campaigns: [EvaluationResult.Campaign] = []
        for campaign in Set(campaignOf.values.filter { !$0.isEmpty }).sorted() {
            let members = campaignOf.filter { $0.value == campaign }.map(\.key)
            var perCluster: [String: Int] = [:]
            for id in members { if let c = clusterOf[id] { perCluster[c, default: 0] += 1 } }
            let flagged = perCluster.values.reduce(0, +)
            campaigns.append(.init(
                campaign: campaign, accounts: members.count, flagged: flagged,
                recall: members.isEmpty ? 0 : Double(flagged) / Double(members.count), clusters: perCluster.count,
                largestClusterShare: members.isEmpty ? 0 : Double(perCluster.values.max() ?? 0) / Double(members.count)))
        }
        var campaignsPerCluster: [String: Set<String>] = [:]
        for (id, cluster) in clusterOf {
            if let c = campaignOf[id], !c.isEmpty { campaignsPerCluster[cluster, default: []].insert(c) }
        }
        return EvaluationResult(
            flagged: clusterOf.count, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: precision,
            recall: recall, f1: f1, benignAccounts: benign,
            benignFalsePositiveRate: benign == 0 ? 0 : Double(fp) / Double(benign), campaigns: campaigns,
            lookAlikesFlagged: lookAlikes, mixedClusters: campaignsPerCluster.values.filter { $0.count > 1 }.count,
            unlabelledFlagged: unlabelled)
    }

    public static func render(_ r: EvaluationResult) -> String {
        var out = [String(
            format: "flagged %d accounts: precision %.4f, recall %.4f, F1 %.4f; benign false-positive rate %.5f (%d of %d benign)",
            r.flagged, r.precision, r.recall, r.f1, r.benignFalsePositiveRate, r.falsePositives, r.benignAccounts)]
        for c in r.campaigns {
            out.append(String(
                format: "  %@: %d/%d accounts flagged (recall %.3f) in %d cluster(s), largest holds %.0f%%",
                c.campaign, c.flagged, c.accounts, c.recall, c.clusters, c.largestClusterShare * 100))
        }
        out.append("look-alikes flagged: " + (r.lookAlikesFlagged.isEmpty ? "none" : r.lookAlikesFlagged.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        out.append("clusters mixing campaigns: \(r.mixedClusters)")
        if r.unlabelledFlagged > 0 { out.append("flagged accounts missing from the labels: \(r.unlabelledFlagged)") }
        return out.joined(separator: "\n")
    }
}
