// IP addresses from log text to numbers, and their /24 (IPv4) or /48 (IPv6) network.

public struct IPAddress: Equatable, Sendable {
    public var isIPv6: Bool
    /// IPv4 in the low 32 bits of `low`; IPv6 as two 64-bit halves.
    public var high: UInt64
    public var low: UInt64
    /// The log masked the host part (`81.2.69.***`, `81.2.69.xxx`): only the network is known,
    /// so the address counts as its network and never as a distinct IP.
    public var isMasked = false

    /// Hash of the address, equal for every spelling of it.
    public var addressKey: UInt64 { StableHash.combine(StableHash.combine(isIPv6 ? 6 : 4, high), low) }

    /// Hash of the /24 (IPv4) or /48 (IPv6) network.
    public var networkKey: UInt64 {
        isIPv6 ? StableHash.combine(0x4836, high >> 16) : StableHash.combine(0x2434, low >> 8)
    }

    /// The address as text: dotted IPv4, or IPv6 in RFC 5952 form (lower case, the longest
    /// run of zero groups as `::`).
    public var text: String {
        if !isIPv6 {
            let v = low
            return "\(v >> 24 & 255).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)"
        }
        var groups: [UInt64] = []
        for k in 0..<4 { groups.append((high >> UInt64(48 - 16 * k)) & 0xFFFF) }
        for k in 0..<4 { groups.append((low >> UInt64(48 - 16 * k)) & 0xFFFF) }
        var best = (start: -1, length: 0)
        var k = 0
        while k < 8 {
            guard groups[k] == 0 else { k += 1; continue }
            var j = k
            while j < 8 && groups[j] == 0 { j += 1 }
            if j - k > best.length && j - k >= 2 { best = (k, j - k) }
            k = j
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.length)...].joined(separator: ":")
    }

    /// Hash of the /16 (IPv4) or /32 (IPv6) prefix: the scale of one provider's ranges (an
    /// ISP's region, a mobile carrier's NAT pool), not of one site.
    public var prefixKey: UInt64 {
        isIPv6 ? StableHash.combine(0x3236, high >> 32) : StableHash.combine(0x1634, low >> 16)
    }

    public var networkLabel: String {
        if !isIPv6 {
            let v = low
            return "\(v >> 24 & 255).\(v >> 16 & 255).\(v >> 8 & 255).0/24"
        }
        let groups = [high >> 48, high >> 32 & 0xFFFF, high >> 16 & 0xFFFF].map { String($0, radix: 16) }
        return groups.joined(separator: ":") + "::/48"
    }

    public init(isIPv6: Bool, high: UInt64, low: UInt64, isMasked: Bool = false) {
        self.isIPv6 = isIPv6
        self.high = high
        self.low = low
        self.isMasked = isMasked
    }

    /// False for loopback, private (RFC 1918, fc00::/7), link-local, carrier-grade NAT
    /// (100.64.0.0/10) and unspecified addresses: the hops a proxy adds to X-Forwarded-For.
    public var isPublic: Bool {
        if isIPv6 {
            if high == 0 && (low == 0 || low == 1) { return false }
            let top = high >> 48
            return top & 0xFE00 != 0xFC00 && top & 0xFFC0 != 0xFE80
        }
        let v = UInt32(truncatingIfNeeded: low)
        let a = v >> 24, b = v >> 16 & 255
        if a == 0 || a == 10 || a == 127 { return false }
        if a == 172 && (16...31).contains(b) { return false }
        if a == 192 && b == 168 { return false }
        if a == 169 && b == 254 { return false }
        if a == 100 && (64...127).contains(b) { return false }
        return true
    }

    /// Parses an IPv4 or IPv6 address (`::ffff:a.b.c.d` counts as IPv4); a port or zone
    /// suffix is ignored. A comma-separated list (an X-Forwarded-For value) yields its first
    /// public address, or its first address when none is public. An IPv4 address with a
    /// masked last octet (`***`, `xxx`, `x`) parses with `isMasked` set.
    public static func parse(_ text: UnsafeRawBufferPointer) -> IPAddress? {
        guard text.firstIndex(of: 0x2C) != nil else { return parseOne(text) }
        var first: IPAddress?
        var start = 0
        while start <= text.count {
            var end = start
            while end < text.count && text[end] != 0x2C { end += 1 }
            var a = start, b = end
            while a < b && (text[a] == 0x20 || text[a] == 0x09) { a += 1 }
            while b > a && (text[b - 1] == 0x20 || text[b - 1] == 0x09) { b -= 1 }
            if let address = parseOne(UnsafeRawBufferPointer(rebasing: text[a..<b])) {
                if address.isPublic { return address }
                if first == nil { first = address }
            }
            start = end + 1
        }
        return first
    }

    static func parseOne(_ text: UnsafeRawBufferPointer) -> IPAddress? {
        var n = text.count
        for i in 0..<text.count where text[i] == 0x20 || text[i] == 0x25 {
            if i > 0 { n = i; break }
        }
        let bytes = UnsafeRawBufferPointer(rebasing: text[0..<n])
        if let v4 = parseIPv4(bytes) { return IPAddress(isIPv6: false, high: 0, low: UInt64(v4)) }
        if let lastDot = bytes.lastIndex(of: 0x2E), lastDot + 1 < n,
            bytes[(lastDot + 1)...].allSatisfy({ $0 == 0x2A || $0 | 0x20 == 0x78 }),
            let v4 = parseIPv4(UnsafeRawBufferPointer(rebasing: bytes[0..<lastDot]), parts: 3)
        {
            return IPAddress(isIPv6: false, high: 0, low: UInt64(v4) << 8, isMasked: true)
        }
        // "[v6]:port" and "v4:port"
        if n > 2, bytes[0] == 0x5B, let close = bytes.firstIndex(of: 0x5D) {
            return parseOne(UnsafeRawBufferPointer(rebasing: bytes[1..<close]))
        }
        if let colon = bytes.firstIndex(of: 0x3A), bytes[(colon + 1)...].firstIndex(of: 0x3A) == nil,
            let v4 = parseIPv4(UnsafeRawBufferPointer(rebasing: bytes[0..<colon]))
        {
            return IPAddress(isIPv6: false, high: 0, low: UInt64(v4))
        }
        return parseIPv6(bytes)
    }

    public static func parse(_ text: String) -> IPAddress? {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// `parts` dotted decimal octets (4 for an address, 3 for the network of a masked one).
    static func parseIPv4(_ b: UnsafeRawBufferPointer, parts expected: Int = 4) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var parts = 0
        for c in b {
            if c >= 0x30 && c <= 0x39 {
                octet = octet * 10 + UInt32(c - 0x30)
                digits += 1
                if digits > 3 || octet > 255 { return nil }
            } else if c == 0x2E {
                guard digits > 0, parts < expected - 1 else { return nil }
                value = value << 8 | octet
                parts += 1
                octet = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard parts == expected - 1, digits > 0 else { return nil }
        return value << 8 | octet
    }

    static func parseIPv6(_ b: UnsafeRawBufferPointer) -> IPAddress? {
        guard b.count >= 2, b.count <= 45 else { return nil }
        // Groups before "::" fill from the front, groups after it are collected separately and
        // shifted to the back; no heap allocation.
        var head = (0 as UInt64, 0 as UInt64)  // 8 groups of 16 bits, big-endian order
        var headCount = 0
        var tail = (0 as UInt64, 0 as UInt64)
        var tailCount = 0
        var sawGap = false
        /// Appends a group before or after the "::"; false when there are too many.
        @inline(__always) func append(_ g: UInt64) -> Bool {
            let k = sawGap ? tailCount : headCount
            guard k < 8 else { return false }
            if sawGap {
                if k < 4 { tail.0 |= g << UInt64(48 - 16 * k) } else { tail.1 |= g << UInt64(48 - 16 * (k - 4)) }
                tailCount += 1
            } else {
                if k < 4 { head.0 |= g << UInt64(48 - 16 * k) } else { head.1 |= g << UInt64(48 - 16 * (k - 4)) }
                headCount += 1
            }
            return true
        }
        var i = 0
        let n = b.count
        if b[0] == 0x3A {
            guard b[1] == 0x3A else { return nil }
            sawGap = true
            i = 2
        }
        while i < n {
            var j = i
            var group: UInt64 = 0
            var digits = 0
            while j < n, let h = JSONText.hexValue(b[j]) {
                group = group << 4 | UInt64(h)
                digits += 1
                j += 1
            }
            if j < n && b[j] == 0x2E {
                // An embedded IPv4 tail: two groups.
                guard let v4 = parseIPv4(UnsafeRawBufferPointer(rebasing: b[i..<n])) else { return nil }
                guard append(UInt64(v4 >> 16)), append(UInt64(v4 & 0xFFFF)) else { return nil }
                i = n
                break
            }
            guard digits >= 1, digits <= 4, append(group) else { return nil }
            i = j
            if i == n { break }
            guard b[i] == 0x3A else { return nil }
            i += 1
            if i < n && b[i] == 0x3A {
                guard !sawGap else { return nil }
                sawGap = true
                i += 1
            } else if i == n {
                return nil
            }
        }
        let total = headCount + tailCount
        guard sawGap ? total < 8 : total == 8 else { return nil }
        // Shift the tail groups to the last positions: as a 128-bit value, right by 16 * (8 - tailCount).
        var high = head.0
        var low = head.1
        if tailCount > 0 {
            let shift = 16 * (8 - tailCount)
            var th = tail.0
            var tl = tail.1
            if shift >= 64 {
                tl = th >> UInt64(shift - 64)
                th = 0
            } else {
                tl = (tl >> UInt64(shift)) | (th << UInt64(64 - shift))
                th >>= UInt64(shift)
            }
            high |= th
            low |= tl
        }
        // ::ffff:a.b.c.d is an IPv4 address.
        if high == 0 && low >> 32 == 0xFFFF { return IPAddress(isIPv6: false, high: 0, low: low & 0xFFFF_FFFF) }
        return IPAddress(isIPv6: true, high: high, low: low)
    }
}
