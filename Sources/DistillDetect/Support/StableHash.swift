// A seeded 64-bit hash that is the same in every process (Swift's Hasher is reseeded per
// process, useless for stored sketches) and hashes bytes in place. wyhash-style mixing.

public enum StableHash {
    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    @inline(__always)
    static func read64(_ p: UnsafeRawPointer, _ i: Int) -> UInt64 { p.loadUnaligned(fromByteOffset: i, as: UInt64.self) }

    @inline(__always)
    static func read32(_ p: UnsafeRawPointer, _ i: Int) -> UInt64 { UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self)) }

    static let p0: UInt64 = 0xa076_1d64_78bd_642f
    static let p1: UInt64 = 0xe703_7ed1_a0b4_28db
    static let p2: UInt64 = 0x8ebc_6af0_9c88_c6e3
    static let p3: UInt64 = 0x5899_65cc_7537_4cc3

    /// Hash of `bytes` under `seed`.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = bytes.count
        var s = seed ^ mix(seed ^ p0, p1)
        var a: UInt64 = 0
        var b: UInt64 = 0
        guard let p = bytes.baseAddress else { return mix(p1 ^ 0, mix(s, p0)) }
        if n <= 16 {
            if n >= 4 {
                a = (read32(p, 0) << 32) | read32(p, ((n >> 3) << 2))
                b = (read32(p, n - 4) << 32) | read32(p, n - 4 - ((n >> 3) << 2))
            } else if n > 0 {
                a = (UInt64(bytes[0]) << 16) | (UInt64(bytes[n >> 1]) << 8) | UInt64(bytes[n - 1])
            }
        } else {
            var i = 0
            var remaining = n
            if remaining > 48 {
                var s1 = s
                var s2 = s
                while remaining > 48 {
                    s = mix(read64(p, i) ^ p1, read64(p, i + 8) ^ s)
                    s1 = mix(read64(p, i + 16) ^ p2, read64(p, i + 24) ^ s1)
                    s2 = mix(read64(p, i + 32) ^ p3, read64(p, i + 40) ^ s2)
                    i += 48
                    remaining -= 48
                }
                s ^= s1 ^ s2
            }
            while remaining > 16 {
                s = mix(read64(p, i) ^ p1, read64(p, i + 8) ^ s)
                i += 16
                remaining -= 16
            }
            a = read64(p, n - 16)
            b = read64(p, n - 8)
        }
        return mix(p1 ^ UInt64(n), mix(a ^ p1, b ^ s))
    }

    public static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var copy = text
        return copy.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
    }

    /// Combines two hashes (for composite keys).
    @inline(__always)
    public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 { mix(a ^ p0, b ^ p2) }
}
