// JSON string unescaping for spans the scanner has already validated.

public enum JSONText {
    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    static func hex4(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32? {
        guard i + 4 <= p.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = hexValue(p[i + k]) else { return nil }
            v = v << 4 | h
        }
        return v
    }

    @inline(__always)
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Appends the decoded bytes of a validated JSON string body to `out`. Surrogate pairs
    /// are combined; a lone surrogate becomes U+FFFD.
    public static func unescape(_ body: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var i = 0
        let n = body.count
        while i < n {
            let c = body[i]
            if c != 0x5C {
                // Copy the run up to the next backslash in one go.
                var j = i + 1
                while j < n && body[j] != 0x5C { j += 1 }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[i..<j]))
                i = j
                continue
            }
            guard i + 1 < n else { break }
            let e = body[i + 1]
            i += 2
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard let unit = hex4(body, i) else { break }
                i += 4
                if unit >= 0xD800 && unit < 0xDC00 {
                    if i + 6 <= n, body[i] == 0x5C, body[i + 1] == 0x75, let low = hex4(body, i + 2),
                        low >= 0xDC00 && low < 0xE000
                    {
                        i += 6
                        appendUTF8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), to: &out)
                    } else {
                        appendUTF8(0xFFFD, to: &out)
                    }
                } else if unit >= 0xDC00 && unit < 0xE000 {
                    appendUTF8(0xFFFD, to: &out)
                } else {
                    appendUTF8(unit, to: &out)
                }
            default: out.append(e)  // \" \\ \/
            }
        }
    }

    /// The text of a span of `line`.
    public static func decode(_ line: UnsafeRawBufferPointer, _ span: TextSpan) -> String {
        let body = UnsafeRawBufferPointer(rebasing: line[Int(span.start)..<Int(span.end)])
        if !span.escaped { return String(decoding: body, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        unescape(body, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
