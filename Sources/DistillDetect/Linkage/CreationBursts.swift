// Accounts created together beyond what the run's sign-up rate allows. A campaign registers its
// accounts in a few sittings (a script, a batch of purchased identities); ordinary users sign up
// one at a time, at a rate that changes slowly. Each hour's sign-ups are tested against the rate
// of the two weeks around it (a Poisson tail, as in scan statistics for event clusters: Kulldorff,
// "A spatial scan statistic", Communications in Statistics 1997, in its purely temporal form);
// consecutive burst hours are one burst.
//
// Written by hand: a one-dimensional Poisson scan over hour counts is a few lines, not a package.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creation bursts among a run's accounts.
public struct CreationBursts: Sendable {
    /// One burst: consecutive hours each with more sign-ups than the surrounding rate allows.
    public struct Burst: Sendable, Equatable {
        /// First hour (milliseconds since the epoch, at the hour) and number of hours.
        public var startMs: Int64
        public var hours: Int
        /// Accounts created in it.
        public var accounts: Int
        /// Sign-ups expected in those hours at the surrounding rate.
        public var expected: Double
    }

    /// Per account, the index into `bursts` of the burst it was created in (nil: none, or no
    /// creation time).
    public let burstOf: [Int?]
    public let bursts: [Burst]

    static let hourMs: Int64 = 3_600_000

    /// P(X ≥ k) for X ~ Poisson(λ), summed in logs from k up (the terms fall fast once k > λ).
    static func poissonTail(_ k: Int, _ lambda: Double) -> Double {
        guard k > 0 else { return 1 }
        guard lambda > 0 else { return 0 }
        var logTerm = Double(k) * log(lambda) - lambda - lgamma(Double(k) + 1)
        var total = 0.0
        var i = k
        while true {
            let term = exp(logTerm)
            total += term
            if term < total * 1e-12 || i > k + 10_000 { break }
            i += 1
            logTerm += log(lambda) - log(Double(i))
        }
        return min(1, total)
    }

    /// `createdAt[i]` is account i's creation time (ms) or nil. An hour with k ≥ `minAccounts`
    /// sign-ups is a burst hour when P(Poisson(λ) ≥ k) ≤ `level`, λ being the mean sign-ups per
    /// hour over the `windowDays` days either side (that hour left out; at least one sign-up
    /// per window, so a lone hour in an empty stretch is measured against a rate, not zero).
    /// Cost: a sort of the creation hours and one pass with two pointers, O(n log n).
    public init(createdAt: [Int64?], level: Double, minAccounts: Int = 3, windowDays: Int = 7) {
        var hours: [Int64] = []
        hours.reserveCapacity(createdAt.count)
        for c in createdAt { if let c { hours.append(c >= 0 ? c / Self.hourMs : (c - Self.hourMs + 1) / Self.hourMs) } }
        hours.sort()
        // Distinct hours with their counts, ascending.
        var keys: [Int64] = []
        var counts: [Int] = []
        for h in hours {
            if keys.last == h { counts[counts.count - 1] += 1 } else {
                keys.append(h)
                counts.append(1)
            }
        }
        let window = Int64(windowDays * 24)
        var burstHour = [Bool](repeating: false, count: keys.count)
        var lo = 0
        var hi = 0
        var inWindow = 0  // sign-ups in keys[lo..<hi]
        var expected = [Double](repeating: 0, count: keys.count)
        for k in keys.indices {
            while hi < keys.count && keys[hi] <= keys[k] + window {
                inWindow += counts[hi]
                hi += 1
            }
            while keys[lo] < keys[k] - window {
                inWindow -= counts[lo]
                lo += 1
            }
            let lambda = Double(max(1, inWindow - counts[k])) / Double(2 * window)
            expected[k] = lambda
            if counts[k] >= minAccounts && Self.poissonTail(counts[k], lambda) <= level { burstHour[k] = true }
        }
        // Consecutive burst hours are one burst.
        var bursts: [Burst] = []
        var burstOfHour = [Int?](repeating: nil, count: keys.count)
        for k in keys.indices where burstHour[k] {
            if k > 0, burstHour[k - 1], keys[k - 1] == keys[k] - 1, let b = burstOfHour[k - 1] {
                bursts[b].hours += 1
                bursts[b].accounts += counts[k]
                bursts[b].expected += expected[k]
                burstOfHour[k] = b
            } else {
                burstOfHour[k] = bursts.count
                bursts.append(Burst(startMs: keys[k] * Self.hourMs, hours: 1, accounts: counts[k], expected: expected[k]))
            }
        }
        var index: [Int64: Int] = [:]
        for k in keys.indices { if let b = burstOfHour[k] { index[keys[k]] = b } }
        burstOf = createdAt.map { c in
            guard let c else { return nil }
            return index[c >= 0 ? c / Self.hourMs : (c - Self.hourMs + 1) / Self.hourMs]
        }
        self.bursts = bursts
    }
}
