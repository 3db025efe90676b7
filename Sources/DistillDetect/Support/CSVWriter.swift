// RFC 4180 CSV: quoted where needed, `\n` line ends, UTF-8, `.` decimals. Text from logs is
// attacker-written: a cell that a spreadsheet would run as a formula is neutralised.
import Foundation

public enum CSVField: Equatable, Sendable {
    /// Text, possibly from logs: quoted as needed, and prefixed with `'` when it starts with
    /// `=`, `+`, `-`, `@`, tab or CR, which spreadsheets would evaluate (CSV injection), or
    /// with `'` itself, so that `readBack` recovers every text exactly.
    case text(String)
    /// A number already formatted.
    case number(String)
    /// An integer, formatted when written.
    case int(Int)
    /// A decimal held as millionths: written with up to six decimals, trailing zeros dropped.
    case millionths(Int64)
    case empty

    public static func integer(_ v: Int) -> CSVField { .int(v) }

    /// Whether a text starting with this byte is written with a leading `'`.
    @inline(__always)
    static func neutralised(_ first: UInt8) -> Bool {
        first == 0x3D || first == 0x2B || first == 0x2D || first == 0x40 || first == 0x09 || first == 0x0D || first == 0x27
    }

    /// The text of a `.text` cell as read back from CSV (after unquoting): the `'` written
    /// before a neutralised text is removed.
    public static func readBack(_ cell: String) -> String {
        var bytes = cell.utf8.makeIterator()
        guard bytes.next() == 0x27, let second = bytes.next(), neutralised(second) else { return cell }
        return String(cell.dropFirst())
    }

    /// Up to six decimals, trailing zeros dropped, no exponent, `.` as separator. Formatted by
    /// hand, straight into the output bytes: String(format:) goes through ICU and cost seconds
    /// on large tables, and building a String per cell was most of the cost of writing.
    public static func decimal(_ v: Double) -> CSVField {
        guard v.isFinite else { return .empty }
        guard v.magnitude < 1e12 else { return .int(Int(Int64(v.rounded()))) }
        return .millionths(Int64((v * 1_000_000).rounded()))
    }

    /// The cell as written (without the separator).
    public var encoded: String {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value of a number cell (nil for text and empty cells), as a reader of the CSV gets it.
    public var numericValue: Double? {
        switch self {
        case .number(let s): return Double(s)
        case .int(let v): return Double(v)
        case .millionths: return Double(encoded)
        case .text, .empty: return nil
        }
    }

    func append(to out: inout [UInt8]) {
        switch self {
        case .empty: return
        case .number(let s): out.append(contentsOf: s.utf8)
        case .int(let v):
            if v < 0 { out.append(0x2D) }
            Self.appendDigits(UInt64(v.magnitude), minimumWidth: 1, to: &out)
        case .millionths(let scaled):
            let magnitude = scaled.magnitude
            if scaled < 0 { out.append(0x2D) }
            Self.appendDigits(magnitude / 1_000_000, minimumWidth: 1, to: &out)
            var fraction = magnitude % 1_000_000
            guard fraction > 0 else { return }
            var digits = 6
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            out.append(0x2E)
            Self.appendDigits(fraction, minimumWidth: digits, to: &out)
        case .text(let s):
            var needsQuotes = false
            for c in s.utf8 where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D {
                needsQuotes = true
                break
            }
            if needsQuotes { out.append(0x22) }
            if let first = s.utf8.first, Self.neutralised(first) { out.append(0x27) }
            if needsQuotes {
                for c in s.utf8 {
                    out.append(c)
                    if c == 0x22 { out.append(0x22) }
                }
                out.append(0x22)
            } else {
                out.append(contentsOf: s.utf8)
            }
        }
    }

    @inline(__always)
    static func appendDigits(_ v: UInt64, minimumWidth: Int, to out: inout [UInt8]) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { b in
            var i = b.count
            var x = v
            repeat {
                i -= 1
                b[i] = UInt8(truncatingIfNeeded: x % 10) | 0x30
                x /= 10
            } while x > 0 || b.count - i < minimumWidth
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[i...]))
        }
    }
}

public enum CSVWriter {
    public static func line(_ fields: [CSVField]) -> String {
        var out: [UInt8] = []
        append(fields, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends one row (with its line end) to `out`.
    public static func append(_ fields: [CSVField], to out: inout [UInt8]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(0x2C) }
            field.append(to: &out)
        }
        out.append(0x0A)
    }

    /// Builds the rows of a table on `threads` threads (rows are independent), in order.
    public static func table<T: Sendable>(header: [String], items: [T], threads: Int, row: @escaping @Sendable (T) -> [CSVField]) -> [UInt8] {
        let shared = UncheckedSendable(items)
        return Array(Self.header(header).utf8) + parallelBlocks(count: items.count, blockSize: 2048, threads: threads) { range in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(range.count * 400)
            for i in range { append(row(shared.value[i]), to: &bytes) }
            return bytes
        }
    }

    public static func header(_ names: [String]) -> String { names.joined(separator: ",") + "\n" }

    /// Writes the whole file atomically: a temporary file in the same folder, then a rename.
    public static func write(path: String, header: [String], rows: [[CSVField]]) throws {
        var bytes = Array(Self.header(header).utf8)
        for row in rows { append(row, to: &bytes) }
        try AtomicFile.write(Data(bytes), to: path)
    }

    /// Writes a table built by `table(...)` atomically.
    public static func write<T: Sendable>(path: String, header: [String], items: [T], threads: Int, row: @escaping @Sendable (T) -> [CSVField]) throws {
        try AtomicFile.write(Data(table(header: header, items: items, threads: threads, row: row)), to: path)
    }
}

/// Writes a file so that readers see the old content or the new, never a part. Temporary
/// files of the same name left by runs that died are removed first.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        let temporary = directory.appendingPathComponent("\(prefix)\(getpid())")
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path) {
            for entry in entries where entry.hasPrefix(prefix) {
                if let pid = OutputSet.pid(in: entry, marker: ".tmp-"), OutputSet.isDead(pid) {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(entry))
                }
            }
        }
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw OutputError.cannotWrite(path: path, reason: systemErrorText(errno))
            }
        } catch let error as OutputError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
