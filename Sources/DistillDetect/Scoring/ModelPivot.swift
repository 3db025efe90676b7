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
        /// Epoch ms of the model's first exchange in the run.
        var firstSeen: Int64
        /// Accounts that took it up within the window of its first appearance.
        var adopters: Int
    }

    /// Models first seen at least the window after the run began (an early account's first
    /// exchange: the first percentile of first exchanges, so a stray old timestamp does not
    /// move it), by first appearance.
    let releases: [Release]
    /// Per account: the share (0–1) of its exchanges from the day of a release on that went to
    /// a release it took up within the window of the release's first appearance.
    let share: [Float]

    /// `windowHours`: `DetectionConfig.pivotWindowHours`.
    init(_ accounts: [AccountState], windowHours: Double) {
        let window = Int64(windowHours * 3_600_000)
        var starts = accounts.compactMap { $0.exchanges > 0 && $0.firstSeen != .max ? $0.firstSeen : nil }
        starts.sort()
        var firstSeen: [UInt64: Int64] = [:]
        for a in accounts {
            for e in a.modelUse.entries where e.first < firstSeen[e.model, default: .max] { firstSeen[e.model] = e.first }
        }
        guard !starts.isEmpty else {
            releases = []
            share = [Float](repeating: 0, count: accounts.count)
            return
        }
        let runStart = starts[starts.count / 100]
        let released = firstSeen.filter { $0.value >= runStart + window }
        var share = [Float](repeating: 0, count: accounts.count)
        var adopters: [UInt64: Int] = [:]
        var names: [UInt64: String] = [:]
        if !released.isEmpty {
            for (i, a) in accounts.enumerated() {
                var moved: UInt64 = 0
                var fromDay = Int64.max
                for e in a.modelUse.entries {
                    guard let at = released[e.model], e.first - at <= window else { continue }
                    moved += UInt64(e.count)
                    fromDay = min(fromDay, Timestamp.day(at))
                    adopters[e.model, default: 0] += 1
                }
                if moved > 0 {
                    // Of the exchanges from the release's day on (days are what the state
                    // counts): what the account sent before the release is not traffic it
                    // could have moved.
                    var since: UInt64 = 0
                    for d in a.activeDays.entries where Int64(d.key) >= fromDay { since += UInt64(d.count) }
                    share[i] = Float(min(1, Double(moved) / Double(max(1, since))))
                }
                let labels = a.models.labels
                for (k, h) in a.models.values.hashes.prefix(labels.count).enumerated() where released[h] != nil && names[h] == nil {
                    names[h] = labels[k]
                }
            }
        }
        releases = released.map { Release(model: $0.key, name: names[$0.key], firstSeen: $0.value, adopters: adopters[$0.key] ?? 0) }
            .sorted { ($0.firstSeen, $0.model) < ($1.firstSeen, $1.model) }
        self.share = share
    }

    /// The test's label: "share of exchanges on a model released in the run (…), taken up within 24 h of its first appearance".
    func label(windowHours: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let named = releases.prefix(3).map {
            "\($0.name ?? "a model") first seen \(formatter.string(from: Date(timeIntervalSince1970: Double($0.firstSeen) / 1000))) UTC"
        }
        let more = releases.count > 3 ? " and \(releases.count - 3) more" : ""
        return "share of exchanges on a model released in the run (\(named.joined(separator: "; "))\(more)), taken up within \(String(format: "%g", windowHours)) h of its first appearance"
    }
}
