import Foundation
import Testing

/// Comments and help texts point at documents in this repository, not at files a reader of a
/// clone does not have.
@Suite("Document pointers")
struct DocumentPointerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("every *.md named in a comment in Sources exists in the repository")
    func pointersResolve() throws {
        let pattern = try NSRegularExpression(pattern: #"([A-Za-z0-9_./-]+)\.md\b"#)
        var missing: [String] = []
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        var checked = 0
        for case let url as URL in files where url.pathExtension == "swift" {
            // The comment part of each line (generated text may name files of its own).
            let text = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                .compactMap { line in line.range(of: "//").map { String(line[$0.upperBound...]) } }.joined(separator: "\n")
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let name = (text as NSString).substring(with: m.range)
                checked += 1
                let candidates = [name, "docs/" + name, "docs/" + (name as NSString).lastPathComponent]
                if !candidates.contains(where: { FileManager.default.fileExists(atPath: Self.root.appendingPathComponent($0).path) }) {
                    missing.append("\(url.lastPathComponent): \(name)")
                }
            }
        }
        #expect(checked > 0, "no document named in Sources: the pattern or the path is wrong")
        #expect(missing.isEmpty, "named in Sources but not in the repository: \(missing)")
    }
}
