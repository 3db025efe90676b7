// report.html: one self-contained page for reviewers (no network, no scripts): the cluster
// table, and per cluster its daily volume, topic mix, shared infrastructure, exemplar prompts
// and members. Everything that comes from logs is attacker-written and is HTML-escaped; the
// page's Content-Security-Policy also forbids scripts and remote loads.
import DistillDetect
import Foundation

public enum HTMLReport {
    public struct Page {
        public var title: String
        /// Label → value lines shown at the top.
        public var facts: [(String, String)]
        public var detection: DetectionResult
        public var accounts: [AccountState]
        public var topicNames: [String]
        public var clusterIDs: [String]
        /// First date each cluster was reported (nightly), or empty.
        public var firstReported: [String] = []
        /// Changes since the previous night, or nil (analyze).
        public var changes: [ClusterChange]?

        public init(
            title: String, facts: [(String, String)], detection: DetectionResult, accounts: [AccountState], topicNames: [String],
            clusterIDs: [String], firstReported: [String] = [], changes: [ClusterChange]? = nil
        ) {
            self.title = title
            self.facts = facts
            self.detection = detection
            self.accounts = accounts
            self.topicNames = topicNames
            self.clusterIDs = clusterIDs
            self.firstReported = firstReported
            self.changes = changes
        }
    }

    /// Members listed per cluster; the CSV has them all.
    static let memberRows = 100
    static let exemplarCount = 6

    public static func write(_ page: Page, to path: String) throws {
        try AtomicFile.write(Data(render(page).utf8), to: path)
    }

    /// Text for HTML element content and quoted attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// "YYYY-MM-DD HH:MM" (UTC), short enough for a table cell.
    static func shortTime(_ ms: Int64) -> String {
        String(Timestamp.format(milliseconds: ms).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func pct(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
    static func num(_ x: Int) -> String {
        let s = String(x)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    public static func render(_ page: Page) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(page.title))</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#1d2330;padding:0 16px}
            h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d5d9e0;padding-bottom:4px}
            h3{font-size:14px;margin:16px 0 6px;color:#444}
            table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid #e6e8ec;padding:4px 8px;text-align:left;vertical-align:top}
            th{background:#f4f5f7;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
            .facts td:first-child{color:#555;width:220px}.reasons{color:#444;font-size:13px}td.t{white-space:nowrap}
            .bar{background:#4a6fa5;height:12px;display:inline-block;vertical-align:middle}
            .grid{display:grid;grid-template-columns:1fr 1fr;gap:24px}
            pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f9;border:1px solid #e2e4e8;padding:8px;margin:6px 0;font-size:12px;max-height:160px;overflow:auto}
            .badge{display:inline-block;padding:1px 6px;border-radius:8px;font-size:12px;background:#e8edf6}
            .new{background:#fde2e1}.grown{background:#fff1d6}.gone{background:#e6e6e6}
            .muted{color:#777}
            </style></head><body>
            <h1>\(escape(page.title))</h1>

            """
        h += "<table class=\"facts\">"
        for (label, value) in page.facts { h += "<tr><td>\(escape(label))</td><td>\(escape(value))</td></tr>" }
        let reported = page.detection.reported
        h += "<tr><td>Clusters reported</td><td>\(reported.count) (\(num(reported.reduce(0) { $0 + $1.members.count })) accounts)</td></tr>"
        h += "</table>\n"
        if let changes = page.changes {
            h += "<h2>Changes since the previous night</h2>\n"
            if changes.isEmpty {
                h += "<p class=\"muted\">No clusters now or before.</p>\n"
            } else {
                h += "<table><tr><th>Change</th><th>Cluster</th><th>Accounts before</th><th>Accounts now</th><th>Added</th><th>Removed</th></tr>"
                for c in changes {
                    h += "<tr><td><span class=\"badge \(c.kind.rawValue)\">\(c.kind.rawValue)</span></td><td>\(escape(c.clusterID))</td>"
                    h += "<td class=\"n\">\(c.accountsBefore)</td><td class=\"n\">\(c.accountsNow)</td><td class=\"n\">\(c.added)</td><td class=\"n\">\(c.removed)</td></tr>"
                }
                h += "</table>\n"
            }
        }
        h += "<h2>Suspect clusters</h2>\n"
        if reported.isEmpty {
            h += "<p class=\"muted\">No cluster reached the threshold.</p>\n"
        } else {
            h += "<table><tr><th>Cluster</th><th>Score</th><th>Accounts</th><th>Exchanges</th><th>Top topic</th><th>Chain-of-thought</th><th>First seen</th><th>Last seen</th>"
            if !page.firstReported.isEmpty { h += "<th>First reported</th>" }
            h += "</tr>"
            let columns = page.firstReported.isEmpty ? 8 : 9
            for (k, c) in reported.enumerated() {
                let id = escape(page.clusterIDs[k])
                h += "<tr><td><a href=\"#\(id)\">\(id)</a></td><td class=\"n\">\(String(format: "%.2f", c.score))</td>"
                h += "<td class=\"n\">\(num(c.members.count))</td><td class=\"n\">\(num(c.exchanges))</td>"
                h += "<td>\(escape(c.topTopic)) \(pct(c.topTopicShare))</td><td class=\"n\">\(pct(c.chainOfThoughtShare))</td>"
                h += "<td class=\"t\">\(shortTime(c.firstSeen))</td><td class=\"t\">\(shortTime(c.lastSeen))</td>"
                if !page.firstReported.isEmpty { h += "<td class=\"t\">\(escape(page.firstReported[k]))</td>" }
                h += "</tr><tr><td></td><td colspan=\"\(columns - 1)\" class=\"reasons\">\(escape(c.reasons))</td></tr>"
            }
            h += "</table>\n"
        }
        h += candidateChart(page.detection)
        for (k, c) in reported.enumerated() { h += clusterSection(c, id: page.clusterIDs[k], page: page) }
        h += "<p class=\"muted\">distill-detect \(escape(DistillDetectVersion.current)). Text from the logs is shown escaped; this page runs no scripts.</p>\n</body></html>\n"
        return h
    }

    static func clusterSection(_ c: ScoredCluster, id: String, page: Page) -> String {
        let members = c.members.map { page.accounts[$0] }
        var h = "<h2 id=\"\(escape(id))\">\(escape(id)): \(num(members.count)) accounts, \(num(c.exchanges)) exchanges, score \(String(format: "%.2f", c.score))</h2>\n"
        h += "<p class=\"reasons\">\(escape(c.reasons))</p>\n<div class=\"grid\"><div>\n<h3>Daily volume (exchanges per UTC day)</h3>\n"
        var perDay: [Int64: Int] = [:]
        for a in members { for e in a.activeDays.entries { perDay[Int64(e.key), default: 0] += Int(e.count) } }
        h += dailyChart(perDay)
        h += "<h3>Topic mix</h3><table>"
        var topics = [Int](repeating: 0, count: page.topicNames.count)
        for a in members { for e in a.topics.entries where Int(e.key) < topics.count { topics[Int(e.key)] += Int(e.count) } }
        let topicTotal = max(1, topics.reduce(0, +))
        for (t, n) in topics.enumerated().sorted(by: { ($1.element, $0.offset) < ($0.element, $1.offset) }) where n > 0 {
            let share = Double(n) / Double(topicTotal)
            h += "<tr><td>\(escape(page.topicNames[t]))</td><td><span class=\"bar\" style=\"width:\(Int((share * 240).rounded()))px\"></span> \(pct(share))</td><td class=\"n\">\(num(n))</td></tr>"
        }
        h += "</table></div><div>\n<h3>Infrastructure overlap</h3>\n"
        h += "<p>\(num(c.distinctIPs)) distinct IPs in \(num(c.distinctNetworks)) networks; \(c.sharedPayments) payment fingerprints shared by several members; \(pct(c.sharedNetworkShare)) of members on a shared network.</p>\n"
        h += sharedTable("Payment fingerprint", members.map(\.payments.labels), total: members.count)
        h += sharedTable("Network", members.map(\.networks.labels), total: members.count)
        h += sharedTable("User agent", members.map(\.userAgents.labels), total: members.count)
        h += "</div></div>\n<h3>Exemplar prompts</h3>\n"
        var shown = Set<String>()
        for a in members {
            for e in a.exemplars where shown.count < exemplarCount && !shown.contains(e.text) {
                shown.insert(e.text)
                h += "<pre>\(escape(e.text))</pre>\n"
            }
            if shown.count >= exemplarCount { break }
        }
        if shown.isEmpty { h += "<p class=\"muted\">No prompt text in these logs.</p>\n" }
        h += "<h3>Members</h3><table><tr><th>Account</th><th>Exchanges</th><th>Active days</th><th>Chain-of-thought</th><th>First seen</th><th>Last seen</th><th>Created</th></tr>"
        for a in members.prefix(memberRows) {
            h += "<tr><td>\(escape(a.accountID))</td><td class=\"n\">\(num(a.exchanges))</td><td class=\"n\">\(a.activeDayCount)</td>"
            h += "<td class=\"n\">\(pct(a.chainOfThoughtShare))</td><td class=\"t\">\(shortTime(a.firstSeen))</td>"
            h += "<td class=\"t\">\(shortTime(a.lastSeen))</td><td class=\"t\">\(a.createdAt.map(shortTime) ?? "")</td></tr>"
        }
        h += "</table>\n"
        if members.count > memberRows { h += "<p class=\"muted\">\(members.count - memberRows) more in accounts.csv.</p>\n" }
        return h
    }

    /// Labels held by more than one member, most shared first.
    static func sharedTable(_ title: String, _ labels: [[String]], total: Int) -> String {
        var counts: [String: Int] = [:]
        for list in labels { for l in Set(list) { counts[l, default: 0] += 1 } }
        let shared = counts.filter { $0.value > 1 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(5)
        guard !shared.isEmpty else { return "" }
        var h = "<table><tr><th>\(escape(title))</th><th>Members</th></tr>"
        for (label, n) in shared { h += "<tr><td>\(escape(label))</td><td class=\"n\">\(n) of \(total)</td></tr>" }
        return h + "</table>\n"
    }

    /// An inline SVG bar chart of exchanges per day, every day from the first to the last.
    /// Every candidate cluster as a point: size (accounts, log scale) against score, with the
    /// reporting line drawn, so a reviewer sees what sits just below it. Inline SVG: no script.
    static func candidateChart(_ detection: DetectionResult) -> String {
        let candidates = detection.candidates
        var h = "<h2>All candidate clusters</h2>\n"
        guard !candidates.isEmpty else { return h + "<p class=\"muted\">No cluster of the minimum size formed.</p>\n" }
        let line = detection.config.threshold ?? 0.5
        h += "<p class=\"muted\">\(candidates.count) clusters of at least \(detection.config.minClusterSize) accounts; score against size. "
        h += "The line is the reporting line (score \(String(format: "%.2f", line)): \(detection.config.requiredFamilies) evidence families significant at p ≤ \(String(format: "%.2g", detection.familyLevel))). candidates.csv has each family's figures.</p>\n"
        let (width, height, left, bottom, top, right) = (720.0, 300.0, 48.0, 36.0, 12.0, 16.0)
        let maxSize = Double(candidates.map(\.members.count).max() ?? 10)
        let logMax = max(1.0, log10(maxSize * 1.2))
        let logMin = log10(Double(max(2, detection.config.minClusterSize)) * 0.8)
        func x(_ n: Int) -> Double { left + (log10(Double(n)) - logMin) / (logMax - logMin) * (width - left - right) }
        func y(_ score: Double) -> Double { top + (1 - score) * (height - top - bottom) }
        h += "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"candidate clusters\">"
        h += "<line x1=\"\(left)\" y1=\"\(y(0))\" x2=\"\(width - right)\" y2=\"\(y(0))\" stroke=\"#999\"/>"
        h += "<line x1=\"\(left)\" y1=\"\(y(0))\" x2=\"\(left)\" y2=\"\(y(1))\" stroke=\"#999\"/>"
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            h += "<text x=\"\(left - 6)\" y=\"\(y(tick) + 4)\" font-size=\"11\" text-anchor=\"end\">\(String(format: "%.2f", tick))</text>"
        }
        var n = 1
        while Double(n) <= maxSize * 1.2 {
            if log10(Double(n)) >= logMin {
                h += "<text x=\"\(x(n))\" y=\"\(height - bottom + 16)\" font-size=\"11\" text-anchor=\"middle\">\(n)</text>"
            }
            n *= 10
        }
        h += "<text x=\"\((width + left) / 2)\" y=\"\(height - 4)\" font-size=\"12\" text-anchor=\"middle\">accounts in the cluster</text>"
        h += "<line x1=\"\(left)\" y1=\"\(y(line))\" x2=\"\(width - right)\" y2=\"\(y(line))\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/>"
        for c in candidates {
            let color = c.isReported ? "#c0392b" : "#4a6fa5"
            h += "<circle cx=\"\(String(format: "%.1f", x(c.members.count)))\" cy=\"\(String(format: "%.1f", y(c.score)))\" r=\"4\" fill=\"\(color)\" fill-opacity=\"0.7\">"
            h += "<title>\(c.members.count) accounts, score \(String(format: "%.2f", c.score)): \(escape(c.verdict))</title></circle>"
        }
        h += "</svg>\n"
        return h
    }

    static func dailyChart(_ perDay: [Int64: Int]) -> String {
        guard let first = perDay.keys.min(), let last = perDay.keys.max() else { return "<p class=\"muted\">No activity.</p>\n" }
        let days = Int(last - first) + 1
        let width = 520.0, height = 140.0, left = 44.0, bottom = 20.0
        let peak = Double(perDay.values.max() ?? 1)
        let step = (width - left) / Double(days)
        var s = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"exchanges per day\">"
        s += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width)\" y2=\"\(height - bottom)\" stroke=\"#999\"/>"
        s += "<text x=\"\(left - 4)\" y=\"12\" font-size=\"10\" text-anchor=\"end\">\(num(Int(peak)))</text>"
        let labelEvery = max(1, days / 8)
        for i in 0..<days {
            let day = first + Int64(i)
            let n = Double(perDay[day] ?? 0)
            let barHeight = (height - bottom - 8) * n / max(peak, 1)
            let x = left + Double(i) * step + 1
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a6fa5\"><title>%@: %d</title></rect>",
                        x, height - bottom - barHeight, max(1, step - 2), barHeight, Timestamp.formatDay(day), Int(n))
            if i % labelEvery == 0 {
                s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%@</text>", x, height - 6, String(Timestamp.formatDay(day).dropFirst(5)))
            }
        }
        return s + "</svg>\n"
    }
}
