// RFC 4180 CSV: quoted where needed, `\n` line ends, UTF-8, `.` decimals. Text from logs is
// attacker-written: a cell that a spreadsheet would run as a formula is neutralised.
import Foundation

public enum CSVField: Equatable, Sendable {
    /// Text, possibly from logs: quoted as needed, and prefixed with `'` when it starts with
    /// `=`, `+`, `-`, `@`, tab or CR, which spreadsheets would evaluate (CSV injection).
    case text(String)
    /// A number already formatted.
    case number(String)
    case empty

    public static func integer(_ v: Int) -> CSVField { .number(String(v)) }

    /// Up to six decimals, trailing zeros dropped, no exponent, `.` as separator. Formatted by
    /// hand: String(format:) goes through ICU and cost seconds on large tables.
    public static func decimal(_ v: Double) -> CSVField {
        guard v.isFinite else { return .empty }
        guard v.magnitude < 1e12 else { return .number(String(Int64(v.rounded()))) }
        let scaled = Int64((v * 1_000_000).rounded())
        let negative = scaled < 0
        let magnitude = scaled.magnitude
        var text = String(magnitude / 1_000_000)
        var fraction = magnitude % 1_000_000
        if fraction > 0 {
            var digits = 6
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return .number(negative && scaled != 0 ? "-" + text : text)
    }

    public var encoded: String {
        switch self {
        case .empty: return ""
        case .number(let s): return s
        case .text(var s):
            if let first = s.utf8.first, first == 0x3D || first == 0x2B || first == 0x2D || first == 0x40 || first == 0x09 || first == 0x0D {
                s = "'" + s
            }
            var needsQuotes = false
            var hasQuote = false
            for c in s.utf8 where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D {
                needsQuotes = true
                if c == 0x22 { hasQuote = true }
            }
            guard needsQuotes else { return s }
            return "\"" + (hasQuote ? s.replacingOccurrences(of: "\"", with: "\"\"") : s) + "\""
        }
    }
}

public enum CSVWriter {
    public static func line(_ fields: [CSVField]) -> String {
        var out = ""
        append(fields, to: &out)
        return out
    }

    /// Appends one row (with its line end) to `out`.
    public static func append(_ fields: [CSVField], to out: inout String) {
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(",") }
            switch field {
            case .empty: break
            case .number(let s): out.append(s)
            case .text: out.append(field.encoded)
            }
        }
        out.append("\n")
    }

    /// Builds the rows of a table on `threads` threads (rows are independent), in order.
    public static func table<T: Sendable>(header: [String], items: [T], threads: Int, row: @escaping @Sendable (T) -> [CSVField]) -> String {
        let parts = max(1, min(threads, items.count / 1000 + 1))
        let results = ResultSlots<String>(count: parts)
        let shared = UncheckedSendable(items)
        runOnThreads(parts) { part in
            let range = (shared.value.count * part / parts)..<(shared.value.count * (part + 1) / parts)
            var text = ""
            text.reserveCapacity(range.count * 400)
            for i in range { append(row(shared.value[i]), to: &text) }
            results.set(part, text)
        }
        var out = Self.header(header)
        for part in 0..<parts { out += results.take(part) }
        return out
    }

    public static func header(_ names: [String]) -> String { names.joined(separator: ",") + "\n" }

    /// Writes the whole file atomically: a temporary file in the same folder, then a rename.
    public static func write(path: String, header: [String], rows: [[CSVField]]) throws {
        var text = Self.header(header)
        for row in rows { append(row, to: &text) }
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    /// Writes a table built by `table(...)` atomically.
    public static func write<T: Sendable>(path: String, header: [String], items: [T], threads: Int, row: @escaping @Sendable (T) -> [CSVField]) throws {
        try AtomicFile.write(Data(table(header: header, items: items, threads: threads, row: row).utf8), to: path)
    }
}

/// Writes a file so that readers see the old content or the new, never a part.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
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
