// Streams the decompressed bytes of one input: plain, or gzip (any number of members) through
// the system zlib. Written against zlib directly because no Swift package streams gzip members
// into caller-owned buffers without copies.
import CISAL
import CZlib
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The gzip inflater in use: ISA-L when this build has it (about twice zlib's speed), else
/// zlib. `DISTILL_DETECT_INFLATER=zlib` forces zlib, for comparisons.
public enum Inflater: String, Sendable {
    case zlib, isal

    public static let current: Inflater = {
        if ProcessInfo.processInfo.environment["DISTILL_DETECT_INFLATER"] == "zlib" { return .zlib }
        return isalAvailable ? .isal : .zlib
    }()

    /// True when this build has ISA-L.
    public static var isalAvailable: Bool { dd_isal_available() == 1 }
}

/// Why an input ended before its data did.
public struct InputCut: Sendable, Equatable, Codable {
    /// Byte offset in the file (compressed bytes) where readable data ends.
    public var offset: Int
    /// What went wrong: `truncated` (gzip member cut short), `corrupt` (inflate error), `read_error`.
    public var kind: String
    public var detail: String
}

public enum IngestError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    /// Not opened (see `InputSource.Kind.skipped`).
    case skipped(path: String, reason: String)
    /// Compressed in a format this build does not read, recognised by its magic bytes.
    case unsupportedCompression(path: String, format: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open: \(reason)"
        case .skipped(let path, let reason): return "\(path): skipped: \(reason)"
        case .unsupportedCompression(let path, let format):
            return "\(path): \(format)-compressed data, not read (gzip and plain text are read; decompress it first)"
        }
    }

    /// The problem's name in summary.json's `input_problems`.
    var problem: String {
        switch self {
        case .cannotOpen: return "unreadable"
        case .skipped: return "skipped"
        case .unsupportedCompression: return "unsupported_compression"
        }
    }
}

/// Compression formats refused by name, by their magic bytes (gzip is read).
let refusedCompressionMagic: [(format: String, magic: [UInt8])] = [
    ("zstd", [0x28, 0xB5, 0x2F, 0xFD]), ("bzip2", [0x42, 0x5A, 0x68]), ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
    ("lz4", [0x04, 0x22, 0x4D, 0x18]), ("zip", [0x50, 0x4B, 0x03, 0x04]),
]

/// `read(2)`, named apart from the reader's own `read(into:)`.
@inline(__always)
func readDescriptor(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// Reads one input's decompressed bytes into caller-owned buffers. Memory is two fixed
/// buffers whatever the file size. Not thread-safe: one reader belongs to one ingest thread.
package final class LogByteReader {
    static let compressedBlockSize = 1 << 20

    let source: InputSource
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0  // plain mode: unconsumed bytes input[inputStart..<inputEnd]
    private var inputEnd = 0
    private var stream: UnsafeMutablePointer<z_stream>?
    private var inMember = false
    private var finished = false
    private var sawEndOfFile = false

    /// Compressed (on-disk) bytes read so far.
    private(set) var bytesRead = 0
    private(set) var isGzip = false
    private(set) var gzipMembers = 0
    /// Set when the input ended early; every complete line before `offset` was still delivered.
    private(set) var cut: InputCut?
    /// Bytes after the last gzip member that are not another member (gzip ignores them too).
    private(set) var trailingBytesIgnored = 0

    package init(source: InputSource, inflater: Inflater = .current) throws {
        self.source = source
        switch source.kind {
        case .standardInput:
            fd = 0
            ownsDescriptor = false
        case .skipped(let path, let reason):
            throw IngestError.skipped(path: path, reason: reason)
        case .file(let path):
            let opened = open(path, O_RDONLY)
            guard opened >= 0 else {
                throw IngestError.cannotOpen(path: path, reason: systemErrorText(errno))
            }
            fd = opened
            ownsDescriptor = true
        }
        input = .allocate(byteCount: Self.compressedBlockSize, alignment: 64)
        // Detect compression from the magic bytes, not the name.
        while inputEnd < 6 && !sawEndOfFile { refill() }
        for (format, magic) in refusedCompressionMagic where inputEnd >= magic.count
            && (0..<magic.count).allSatisfy({ input[$0] == magic[$0] })
        {
            // deinit frees the buffer and closes the file (self is fully initialised).
            throw IngestError.unsupportedCompression(path: source.displayName, format: format)
        }
        if inputEnd >= 2 && input[0] == 0x1f && input[1] == 0x8b {
            isGzip = true
            if inflater == .isal, let state = dd_isal_new() {
                isal = state
                isalNext = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: UInt8.self))
                isalAvail = UInt32(inputEnd)
                inMember = true
                return
            }
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            // 15 + 16: gzip wrapper only; members are chained by hand below.
            guard dd_inflateInit2(z, 15 + 16) == Z_OK else {
                z.deallocate()
                // deinit frees the buffer and closes the file.
                throw IngestError.cannotOpen(path: source.displayName, reason: "zlib initialisation failed")
            }
            stream = z
            z.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_in = UInt32(inputEnd)
            inMember = true
        }
    }

    deinit {
        if let isal { dd_isal_free(isal) }
        if let z = stream {
            inflateEnd(z)
            z.deallocate()
        }
        input.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// Appends raw bytes from the descriptor after the unconsumed input.
    private func refill() {
        if inputStart > 0 && inputStart == inputEnd {
            inputStart = 0
            inputEnd = 0
        }
        let space = input.count - inputEnd
        guard space > 0, !sawEndOfFile else { return }
        while true {
            let n = readDescriptor(fd, input.baseAddress! + inputEnd, space)
            if n > 0 {
                inputEnd += n
                bytesRead += n
                return
            }
            if n == 0 {
                sawEndOfFile = true
                return
            }
            if errno == EINTR { continue }
            cut = InputCut(offset: bytesRead, kind: "read_error", detail: systemErrorText(errno))
            sawEndOfFile = true
            return
        }
    }

    /// Fills `destination` with decompressed bytes; returns how many. 0 means the input is done.
    package func read(into destination: UnsafeMutableRawBufferPointer) -> Int {
        guard !finished, destination.count > 0 else { return 0 }
        if isal != nil { return isalInflateInto(destination) }
        return isGzip ? inflateInto(destination) : copyInto(destination)
    }

    private func copyInto(_ destination: UnsafeMutableRawBufferPointer) -> Int {
        var produced = 0
        while produced < destination.count {
            if inputStart == inputEnd {
                inputStart = 0
                inputEnd = 0
                // Large reads go straight into the destination.
                if destination.count - produced >= input.count && !sawEndOfFile {
                    let n = readDescriptor(fd, destination.baseAddress! + produced, destination.count - produced)
                    if n > 0 {
                        produced += n
                        bytesRead += n
                        continue
                    }
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 {
                        cut = InputCut(offset: bytesRead, kind: "read_error", detail: systemErrorText(errno))
                    }
                    sawEndOfFile = true
                }
                refill()
                if inputStart == inputEnd {
                    finished = true
                    break
                }
            }
            let n = min(inputEnd - inputStart, destination.count - produced)
            (destination.baseAddress! + produced).copyMemory(from: input.baseAddress! + inputStart, byteCount: n)
            inputStart += n
            produced += n
        }
        return produced
    }

    /// Compressed offset of the next unconsumed input byte.
    private var compressedOffset: Int { bytesRead - Int(stream!.pointee.avail_in) }

    private func inflateInto(_ destination: UnsafeMutableRawBufferPointer) -> Int {
        let z = stream!
        z.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: Bytef.self)
        z.pointee.avail_out = UInt32(destination.count)
        while z.pointee.avail_out > 0 && !finished {
            if z.pointee.avail_in == 0 {
                inputStart = 0
                inputEnd = 0
                refill()
                z.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_in = UInt32(inputEnd)
                if inputEnd == 0 {
                    if inMember && cut == nil {
                        cut = InputCut(
                            offset: bytesRead, kind: "truncated",
                            detail: "gzip member \(gzipMembers + 1) ends before its trailer")
                    }
                    finished = true
                    break
                }
            }
            let status = inflate(z, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                gzipMembers += 1
                inMember = false
                startNextMemberIfAny()
            case Z_BUF_ERROR:
                // No progress: more input is needed (handled above) or the output is full.
                continue
            default:
                let message = z.pointee.msg.map { String(cString: $0) } ?? "inflate error \(status)"
                cut = InputCut(offset: compressedOffset, kind: "corrupt", detail: message)
                finished = true
            }
        }
        return destination.count - Int(z.pointee.avail_out)
    }

    /// After a member ends: another member follows (`cat a.gz b.gz`), or the file ends, or
    /// bytes that are not gzip follow and are ignored, as `gzip -d` does. `next`/`avail` are
    /// the inflater's input cursor. Returns true when a new member starts there.
    private func nextMemberStarts(_ next: inout UnsafePointer<UInt8>?, _ avail: inout UInt32) -> Bool {
        // Make at least two bytes visible to check the magic of a following member.
        if Int(avail) < 2 && !sawEndOfFile {
            let pending = Int(avail)
            if pending > 0, let from = next { memmove(input.baseAddress!, from, pending) }
            inputStart = 0
            inputEnd = pending
            while inputEnd < 2 && !sawEndOfFile { refill() }
            next = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: UInt8.self))
            avail = UInt32(inputEnd)
        }
        if avail == 0 {
            finished = true
            return false
        }
        if avail >= 2 && next![0] == 0x1f && next![1] == 0x8b {
            inMember = true
            return true
        }
        trailingBytesIgnored = Int(avail)
        while !sawEndOfFile {
            inputStart = 0
            inputEnd = 0
            refill()
            trailingBytesIgnored += inputEnd
        }
        avail = 0
        finished = true
        return false
    }

    private func startNextMemberIfAny() {
        let z = stream!
        var next: UnsafePointer<UInt8>? = UnsafePointer(z.pointee.next_in)
        var avail = z.pointee.avail_in
        let starts = nextMemberStarts(&next, &avail)
        z.pointee.next_in = UnsafeMutablePointer(mutating: next)
        z.pointee.avail_in = avail
        if starts { inflateReset(z) }
    }

    // MARK: ISA-L

    private var isal: UnsafeMutableRawPointer?
    private var isalNext: UnsafePointer<UInt8>?
    private var isalAvail: UInt32 = 0

    private func isalInflateInto(_ destination: UnsafeMutableRawBufferPointer) -> Int {
        var out: UnsafeMutablePointer<UInt8>? = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var outAvail = UInt32(destination.count)
        while outAvail > 0 && !finished {
            if isalAvail == 0 {
                inputStart = 0
                inputEnd = 0
                refill()
                isalNext = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: UInt8.self))
                isalAvail = UInt32(inputEnd)
                if inputEnd == 0 {
                    if inMember && cut == nil {
                        cut = InputCut(offset: bytesRead, kind: "truncated", detail: "gzip member \(gzipMembers + 1) ends before its trailer")
                    }
                    finished = true
                    break
                }
            }
            let status = dd_isal_inflate(isal, &isalNext, &isalAvail, &out, &outAvail)
            if status == 1 {
                gzipMembers += 1
                inMember = false
                if nextMemberStarts(&isalNext, &isalAvail) { dd_isal_reset(isal) }
            } else if status < 0 {
                cut = InputCut(offset: bytesRead - Int(isalAvail), kind: "corrupt", detail: "invalid deflate data (ISA-L error \(status))")
                finished = true
            }
        }
        return destination.count - Int(outAvail)
    }
}

extension InputSource {
    /// The whole decompressed content of the input, for tests and benchmarks (never the
    /// analysis path, which streams).
    public func readAllBytes() throws -> [UInt8] { try readAll(inflater: .current).bytes }

    /// The content and how the input ended, with a chosen inflater.
    func readAll(inflater: Inflater) throws -> (bytes: [UInt8], cut: InputCut?, members: Int, trailing: Int) {
        let reader = try LogByteReader(source: self, inflater: inflater)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { reader.read(into: $0) }
            if n == 0 { return (bytes, reader.cut, reader.gzipMembers, reader.trailingBytesIgnored) }
            bytes += buffer[0..<n]
        }
    }
}
