// Keeps a record whose line is over the line limit by dropping its oversized string values
// (a base64 image, a pasted file), so the ids, time and text around them are still read.

/// A streaming, string-aware pass over one JSON record that copies it and replaces every
/// string *value* longer than `valueThreshold` bytes by `null`, as its bytes arrive: a string
/// is never held beyond the threshold. Keys are kept whatever their length.
///
/// Used only for records over the line limit, so the plain path never pays for it. The output
/// is never longer than the input read so far, so it may be written over its own input.
/// Memory: one byte per open container.
package struct OversizedValueCompactor {
    /// Strings in value position longer than this many bytes (as written, escapes included)
    /// are dropped: 64 KiB, far above any id, time or prompt the detector keys on.
    package static let valueThreshold = 64 << 10

    /// Containers open at this point, innermost last: true for an object.
    private var containers: [Bool] = []
    private var expectKey = false
    private var inString = false
    private var escaped = false
    private var stringIsKey = false
    private var dropping = false
    /// Output offset of the opening quote of the string being read.
    private var stringStart = 0
    private var stringLength = 0
    /// String values replaced by `null` so far.
    private(set) var dropped = 0

    init() { containers.reserveCapacity(16) }

    /// How a call to `compact` stopped.
    enum Stop {
        /// Every input byte was consumed; the record may go on.
        case needMore
        /// A newline ended the record (consumed, not written).
        case lineEnd
        /// The output passed `limit`: the record is too long even without its oversized values.
        case overflow
    }

    /// Copies `input[0..<count]` to `output[written...]`, dropping oversized string values,
    /// until a newline, the end of the input, or `written` passing `limit`. Returns how many
    /// input bytes were consumed and why it stopped. `output` may be `input` itself or any
    /// address before it: the output never gets ahead of the input.
    mutating func compact(
        _ input: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer, written: inout Int, limit: Int
    ) -> (consumed: Int, stop: Stop) {
        var i = 0
        while i < count {
            let c = input.load(fromByteOffset: i, as: UInt8.self)
            i += 1
            if c == 0x0A { return (i, .lineEnd) }
            if inString {
                if dropping {
                    if escaped {
                        escaped = false
                    } else if c == 0x5C {
                        escaped = true
                    } else if c == 0x22 {
                        inString = false
                        dropping = false
                    }
                    continue
                }
                output.storeBytes(of: c, toByteOffset: written, as: UInt8.self)
                written += 1
                if escaped {
                    escaped = false
                } else if c == 0x5C {
                    escaped = true
                } else if c == 0x22 {
                    inString = false
                    continue
                }
                stringLength += 1
                if !stringIsKey && stringLength > Self.valueThreshold {
                    written = stringStart
                    for b in "null".utf8 {
                        output.storeBytes(of: b, toByteOffset: written, as: UInt8.self)
                        written += 1
                    }
                    dropping = true
                    dropped += 1
                }
                if written > limit { return (i, .overflow) }
                continue
            }
            output.storeBytes(of: c, toByteOffset: written, as: UInt8.self)
            written += 1
            switch c {
            case 0x22:
                inString = true
                escaped = false
                stringIsKey = expectKey && containers.last == true
                stringStart = written - 1
                stringLength = 0
            case UInt8(ascii: "{"):
                containers.append(true)
                expectKey = true
            case UInt8(ascii: "["):
                containers.append(false)
                expectKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = containers.popLast()
                expectKey = false
            case UInt8(ascii: ","):
                expectKey = containers.last == true
            case UInt8(ascii: ":"):
                expectKey = false
            default:
                break
            }
            if written > limit { return (i, .overflow) }
        }
        return (count, .needMore)
    }

    /// Compacts one whole line in place. Returns its new length and the values dropped, or nil
    /// when it is still longer than `limit`.
    static func compactLine(_ line: UnsafeMutableRawPointer, length: Int, limit: Int) -> (length: Int, dropped: Int)? {
        var compactor = OversizedValueCompactor()
        var written = 0
        let (_, stop) = compactor.compact(UnsafeRawPointer(line), count: length, into: line, written: &written, limit: limit)
        guard stop != .overflow else { return nil }
        return (written, compactor.dropped)
    }
}
