// The pivot to a newly released model: campaigns copy the newest model, and their traffic moves
// to it within a day of its release (design notes, "The problem"), while ordinary users try it
// and mostly stay where they were. Read from each account's `modelUse` (first exchange and
// exchanges per model), so it needs no prompt text.
import Foundation

/// Models released during the run, and per account the share of its traffic it moved to them.
struct ModelPivot: Sendable {
    struct Release: Sendable {
        /// Hash of the model's name (as `AccountState.models` holds it).
        var model: UInt64
        /// The name, when some account kept it as a label.
        var name: String?
        /// Epoch ms of the model's appearance in the run: the third account's first exchange
        /// with it (the first when fewer used it), so one early-access tester or one skewed
        /// clock does not move it.
        var firstSeen: Int64
        /// Accounts that took it up within the window of its appearance.
        var adopters: Int
        /// Accounts that used it at all in the run.
        var users: Int
    }

    /// Models that appeared at least the window after the run began (an early account's first
    /// exchange with a model: the first percentile of those, so a stray old timestamp does not
    /// move it), by appearance; at most 64.
    let releases: [Release]
    /// Per account: the share (0–1) of its exchanges from the day of a release on that went to
    /// releases it took up within the window of their appearance.
    let share: [Float]
    /// Per account: the release (index into `releases`) it moved most exchanges to, -1 for none.
    let pivotedTo: [Int8]
    /// Per account: bit r set when it used release r at all.
    let uses: [UInt64]
    /// The user agents (hashes) of each account that took a release up.
    let agents: [Int: [UInt64]]

    static let maxReleases = 64

    /// `windowHours`: `DetectionConfig.pivotWindowHours`.
    init(_ accounts: [AccountState], windowHours: Double) {
        let window = Int64(windowHours * 3_600_000)
        // The run's start as far as model use goes: the first percentile of the accounts' first
        // exchanges with any model. Day states of a format before model use (a nightly window
        // across the upgrade), or logs that carry the model only from some day on, then move
        // the start to where model use was recorded, instead of making every model a release.
        var starts = accounts.compactMap { a in a.modelUse.entries.map(\.first).min() }
        starts.sort()
        // The three earliest first uses of each model.
        var earliest: [UInt64: [Int64]] = [:]
        var users: [UInt64: Int] = [:]
        for a in accounts {
            for e in a.modelUse.entries {
                users[e.model, default: 0] += 1
                var list = earliest[e.model, default: []]
                list.append(e.first)
                list.sort()
                if list.count > 3 { list.removeLast() }
                earliest[e.model] = list
            }
        }
        var share = [Float](repeating: 0, count: accounts.count)
        var pivotedTo = [Int8](repeating: -1, count: accounts.count)
        var uses = [UInt64](repeating: 0, count: accounts.count)
        var agents: [Int: [UInt64]] = [:]
        guard !starts.isEmpty else {
            releases = []
            self.share = share
            self.pivotedTo = pivotedTo
            self.uses = uses
            self.agents = agents
            return
        }
        let runStart = starts[starts.count / 100]
        let appeared = earliest.mapValues { $0[min(2, $0.count - 1)] }
        var releases = appeared.filter { $0.value >= runStart + window }
            .map { Release(model: $0.key, name: nil, firstSeen: $0.value, adopters: 0, users: users[$0.key] ?? 0) }
            .sorted { ($0.firstSeen, $0.model) < ($1.firstSeen, $1.model) }
        if releases.count > Self.maxReleases { releases.removeLast(releases.count - Self.maxReleases) }
        let index = Dictionary(uniqueKeysWithValues: releases.enumerated().map { ($0.element.model, $0.offset) })
        if !releases.isEmpty {
            for (i, a) in accounts.enumerated() {
                var moved: UInt64 = 0
                var most: (count: UInt32, release: Int) = (0, -1)
                var fromDay = Int64.max
                for e in a.modelUse.entries {
                    guard let r = index[e.model] else { continue }
                    uses[i] |= 1 << UInt64(r)
                    guard e.first - releases[r].firstSeen <= window else { continue }
                    moved += UInt64(e.count)
                    if e.count > most.count { most = (e.count, r) }
                    fromDay = min(fromDay, Timestamp.day(releases[r].firstSeen))
                    releases[r].adopters += 1
                }
                if moved > 0 {
                    // Of the exchanges from the release's day on (days are what the state
                    // counts, keyed by the day number's low 16 bits: 1970 to 2149): what the
                    // account sent before the release is not traffic it could have moved.
                    let day = Int64(UInt16(truncatingIfNeeded: fromDay))
                    var since: UInt64 = 0
                    for d in a.activeDays.entries where Int64(d.key) >= day { since += UInt64(d.count) }
                    share[i] = Float(min(1, Double(moved) / Double(max(1, since))))
                    pivotedTo[i] = Int8(most.release)
                    agents[i] = a.userAgents.values.hashes
                }
                let labels = a.models.labels
                for (k, h) in a.models.values.hashes.prefix(labels.count).enumerated() {
                    if let r = index[h], releases[r].name == nil { releases[r].name = labels[k] }
                }
            }
        }
        self.releases = releases
        self.share = share
        self.pivotedTo = pivotedTo
        self.uses = uses
        self.agents = agents
    }

    /// The pivot figure of a group: the members' mean share, each weighted by the share of its
    /// release's users that are outside the group. A release is public: a model only the group
    /// uses (a product's own, or one a group of users was moved to) is no release it pivoted
    /// to, however together it moved; one used across the run is. Nil when half or more of the
    /// members that took a release up (two or more) send one user agent: then the move is
    /// their product's (a tool whose default model changed on release day), not theirs.
    func figure(_ group: [Int]) -> Double? {
        var pivoting = 0
        var agentCount: [UInt64: Int] = [:]
        for m in group {
            guard let list = agents[m] else { continue }
            pivoting += 1
            for h in list { agentCount[h, default: 0] += 1 }
        }
        if pivoting >= 2, let most = agentCount.values.max(), 2 * most >= pivoting { return nil }
        var inside = [Int](repeating: 0, count: releases.count)
        for m in group {
            var bits = uses[m]
            while bits != 0 {
                inside[bits.trailingZeroBitCount] += 1
                bits &= bits - 1
            }
        }
        var total = 0.0
        for m in group where pivotedTo[m] >= 0 {
            let r = Int(pivotedTo[m])
            total += Double(share[m]) * (1 - Double(inside[r]) / Double(max(1, releases[r].users)))
        }
        return total / Double(max(1, group.count))
    }

    /// The test's label: "share of exchanges on a model released in the run (…), taken up within 24 h of its first appearance".
    func label(windowHours: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let named = releases.prefix(3).map {
            "\($0.name ?? "a model") out \(formatter.string(from: Date(timeIntervalSince1970: Double($0.firstSeen) / 1000))) UTC, used by \($0.users) accounts"
        }
        let more = releases.count > 3 ? " and \(releases.count - 3) more" : ""
        return "share of exchanges on a model released in the run (\(named.joined(separator: "; "))\(more)), taken up within \(String(format: "%g", windowHours)) h of its appearance, weighted by the share of its users outside the group"
    }
}
