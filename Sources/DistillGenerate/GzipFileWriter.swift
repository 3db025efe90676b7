// Writes gzip files through the system zlib, one or more members per file.
import CZlib
import DistillDetect
import Foundation

final class GzipFileWriter {
    let path: String
    private let fd: Int32
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private let level: Int32
    private var memberOpen = false

    init(path: String, level: Int) throws {
        self.path = path
        self.level = Int32(level)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw OutputError.cannotWrite(path: path, reason: systemErrorText(errno)) }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 1 << 18, alignment: 16)
    }

    deinit {
        if memberOpen { deflateEnd(stream) }
        stream.deallocate()
        output.deallocate()
        close(fd)
    }

    private func startMember() throws {
        guard dd_deflateInit2(stream, level, 15 + 16) == Z_OK else {
            throw OutputError.cannotWrite(path: path, reason: "zlib deflateInit2 failed")
        }
        memberOpen = true
    }

    func write(_ bytes: [UInt8]) throws {
        if !memberOpen { try startMember() }
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(raw.count)
            try pump(flush: Z_NO_FLUSH)
        }
    }

    /// Ends the current gzip member; the next write starts a new one (as `cat a.gz b.gz`).
    func finishMember() throws {
        guard memberOpen else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try pump(flush: Z_FINISH)
        deflateEnd(stream)
        memberOpen = false
    }

    private func pump(flush: Int32) throws {
        repeat {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = deflate(stream, flush)
            guard status != Z_STREAM_ERROR else { throw OutputError.cannotWrite(path: path, reason: "deflate failed") }
            let produced = output.count - Int(stream.pointee.avail_out)
            var written = 0
            while written < produced {
                let n = Foundation.write(fd, output.baseAddress! + written, produced - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw OutputError.cannotWrite(path: path, reason: systemErrorText(errno))
                }
                written += n
            }
            if flush == Z_FINISH && status == Z_STREAM_END { return }
        } while stream.pointee.avail_out == 0 || (flush == Z_FINISH)
    }
}
