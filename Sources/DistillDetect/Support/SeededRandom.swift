// Deterministic randomness for the generator and the null model: every stream is derived from a
// seed and a path of integers, so output never depends on thread count or scheduling.
import Foundation

public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A stream for (seed, path...): independent streams for independent parts of the output.
    public init(seed: UInt64, _ path: UInt64...) {
        var s = seed
        for p in path { s = SeededRandom.splitMix(s ^ SeededRandom.splitMix(p &+ 0x9E37_79B9_7F4A_7C15)) }
        var x = s
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            return SeededRandom.splitMix(x)
        }
        state = (next(), next(), next(), next())
    }

    static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// xoshiro256**.
    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func int(_ range: Range<Int>) -> Int {
        precondition(!range.isEmpty)
        return range.lowerBound + Int(next() % UInt64(range.count))
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { int(range.lowerBound..<(range.upperBound + 1)) }

    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    public mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300)
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * normal()) }

    /// Index drawn with probability proportional to `weights`.
    public mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            x -= w
            if x < 0 { return i }
        }
        return weights.count - 1
    }

    public mutating func hex(_ digits: Int) -> String {
        let alphabet = Array("0123456789abcdef")
        return String((0..<digits).map { _ in alphabet[int(0..<16)] })
    }
}

/// Splits `total` into integers proportional to `weights` (largest remainder), summing exactly.
public func apportion(_ total: Int, weights: [Double]) -> [Int] {
    guard !weights.isEmpty else { return [] }
    let sum = weights.reduce(0, +)
    guard sum > 0 else {
        var out = [Int](repeating: 0, count: weights.count)
        out[0] = total
        return out
    }
    let exact = weights.map { Double(total) * $0 / sum }
    var out = exact.map { Int($0.rounded(.down)) }
    var left = total - out.reduce(0, +)
    let order = exact.indices.sorted { (exact[$0] - Double(out[$0]), -$0) > (exact[$1] - Double(out[$1]), -$1) }
    var k = 0
    while left > 0 {
        out[order[k % order.count]] += 1
        left -= 1
        k += 1
    }
    return out
}
