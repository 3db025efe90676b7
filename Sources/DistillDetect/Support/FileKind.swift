import Foundation

/// What a path is, by stat(2).
package enum FileKind: Equatable {
    case regular, directory, missing
    case other(String)

    package static func of(_ path: String, followingLinks: Bool) -> FileKind {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFIFO: return .other("FIFO")
        case S_IFSOCK: return .other("socket")
        case S_IFCHR: return .other("character device")
        case S_IFBLK: return .other("block device")
        default: return .other("special file")
        }
    }
}
