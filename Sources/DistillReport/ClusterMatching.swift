// Stable cluster ids across nights, and what changed since the previous night.
import DistillDetect
import Foundation

public enum ClusterChangeKind: String, Sendable, CaseIterable {
    case new, grown, shrunk, unchanged, gone
}

/// One row of changes.csv.
public struct ClusterChange: Sendable, Equatable {
    public var kind: ClusterChangeKind
    public var clusterID: String
    public var accountsBefore: Int
    public var accountsNow: Int
    public var added: Int
    public var removed: Int
    public var scoreBefore: Double?
    public var scoreNow: Double?
}

/// A cluster as a run reported it.
public struct StoredCluster: Sendable, Equatable {
    public var id: String
    /// Account ids, sorted.
    public var members: [String]
    public var score: Double
    public var exchanges: Int

    public init(id: String, members: [String], score: Double, exchanges: Int) {
        self.id = id
        self.members = members
        self.score = score
        self.exchanges = exchanges
    }
}

public enum ClusterMatching {
    /// Smallest share of the smaller cluster's accounts that two clusters must share to be
    /// the same cluster: a campaign that grows night after night keeps its id.
    public static let minimumOverlap = 0.5

    /// Gives each current cluster (member ids, sorted) the id of the previous cluster it
    /// overlaps most, or a new id from `nextNumber`. Each previous id goes to at most one
    /// current cluster (on a split, the part sharing the most accounts keeps it).
    public static func assignIDs(
        current: [[String]], previous: [StoredCluster], nextNumber: inout Int
    ) -> [String] {
        var owner: [String: Int] = [:]
        for (p, cluster) in previous.enumerated() { for m in cluster.members { owner[m] = p } }
        var candidates: [(shared: Int, current: Int, previous: Int)] = []
        for (c, members) in current.enumerated() {
            var shared: [Int: Int] = [:]
            for m in members { if let p = owner[m] { shared[p, default: 0] += 1 } }
            for (p, n) in shared {
                let smaller = min(members.count, previous[p].members.count)
                if Double(n) >= minimumOverlap * Double(smaller) { candidates.append((n, c, p)) }
            }
        }
        // Most shared accounts first; ties by position, so the result is deterministic.
        candidates.sort { ($1.shared, $0.current, $0.previous) < ($0.shared, $1.current, $1.previous) }
        var ids = [String?](repeating: nil, count: current.count)
        var used = Set<Int>()
        for candidate in candidates where ids[candidate.current] == nil && !used.contains(candidate.previous) {
            ids[candidate.current] = previous[candidate.previous].id
            used.insert(candidate.previous)
        }
        return ids.map { id in
            if let id { return id }
            defer { nextNumber += 1 }
            return clusterID(number: nextNumber)
        }
    }

    public static func clusterID(number: Int) -> String { String(format: "C%04d", number) }

    /// Changes from `before` to `now` (both with their ids), new first, then grown, shrunk,
    /// unchanged and gone; by id within each kind.
    public static func changes(now: [StoredCluster], before: [StoredCluster]) -> [ClusterChange] {
        let previous = Dictionary(uniqueKeysWithValues: before.map { ($0.id, $0) })
        var out: [ClusterChange] = []
        for cluster in now {
            guard let old = previous[cluster.id] else {
                out.append(ClusterChange(
                    kind: .new, clusterID: cluster.id, accountsBefore: 0, accountsNow: cluster.members.count,
                    added: cluster.members.count, removed: 0, scoreBefore: nil, scoreNow: cluster.score))
                continue
            }
            let oldSet = Set(old.members)
            let nowSet = Set(cluster.members)
            let kind: ClusterChangeKind =
                nowSet.count > oldSet.count ? .grown : nowSet.count < oldSet.count ? .shrunk : .unchanged
            out.append(ClusterChange(
                kind: kind, clusterID: cluster.id, accountsBefore: oldSet.count, accountsNow: nowSet.count,
                added: nowSet.subtracting(oldSet).count, removed: oldSet.subtracting(nowSet).count,
                scoreBefore: old.score, scoreNow: cluster.score))
        }
        let kept = Set(now.map(\.id))
        for old in before where !kept.contains(old.id) {
            out.append(ClusterChange(
                kind: .gone, clusterID: old.id, accountsBefore: old.members.count, accountsNow: 0, added: 0,
                removed: old.members.count, scoreBefore: old.score, scoreNow: nil))
        }
        let order = Dictionary(uniqueKeysWithValues: ClusterChangeKind.allCases.enumerated().map { ($0.element, $0.offset) })
        return out.sorted { (order[$0.kind]!, $0.clusterID) < (order[$1.kind]!, $1.clusterID) }
    }
}
