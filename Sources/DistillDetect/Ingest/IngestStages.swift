// The first ingest stages on their own, for benchmarks that price each stage separately
// (the analysis path runs them fused, in LogScanner).
import Foundation

public enum IngestStages {
    /// Inflates `source` to its end with `inflater`, discarding the bytes; returns how many.
    public static func inflate(_ source: InputSource, inflater: Inflater) throws -> Int {
        let reader = try LogByteReader(source: source, inflater: inflater)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { reader.read(into: $0) }
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Inflates `source` and cuts it into whole-line chunks as the scanner does, then counts
    /// the lines of each chunk; returns (chunks, lines).
    public static func splitLines(_ source: InputSource, chunkSize: Int = 4 << 20, lineLimit: Int = 1 << 20) -> (chunks: Int, lines: Int) {
        let chunker = LineChunker(chunkSize: chunkSize, lineLimit: lineLimit)
        let pool = chunker.makePool(buffers: 2)
        var chunks = 0
        var lines = 0
        _ = chunker.run(source: source, fileIndex: 0, pool: pool) { chunk in
            chunks += 1
            let bytes = UnsafeRawBufferPointer(start: chunk.storage.baseAddress, count: chunk.count)
            var at = 0
            while at < bytes.count, let p = memchr(bytes.baseAddress! + at, 0x0A, bytes.count - at) {
                lines += 1
                at = UnsafeRawPointer(p) - bytes.baseAddress! + 1
            }
            pool.give(chunk)
        }
        return (chunks, lines)
    }
}
