// A list that holds up to one element inline and moves to an array from the second on (the
// small-size optimisation of LLVM's SmallVector, sized for one). Written by hand: neither the
// standard library nor swift-collections has an inline-first array.
//
// Why: an account's state is about twenty short lists (identifier sets, labels, day and hour
// counts, the time sample, templates, exemplars). A Swift array costs a 32-byte header and a
// malloc chunk, 48 bytes for one 8-byte element, so an account that sent one exchange, the
// commonest shape in a large population and the one a flood of throwaway accounts takes,
// spent about 1 KB on list buffers alone. Inline, such an account allocates none of them.

/// A random-access list whose first element is stored inline: `empty`, `one` or `many`, and
/// always in the smallest of the three that fits (so equal lists have equal storage).
/// Mutations keep a `many` array uniquely referenced, so they do not copy it.
public struct SmallArray<Element>: RandomAccessCollection, MutableCollection {
    enum Storage {
        case empty
        case one(Element)
        case many([Element])
    }

    var storage: Storage = .empty

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        let array = Array(elements)
        switch array.count {
        case 0: storage = .empty
        case 1: storage = .one(array[0])
        default: storage = .many(array)
        }
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .empty: return 0
        case .one: return 1
        case .many(let a): return a.count
        }
    }

    public func index(after i: Int) -> Int { i + 1 }

    public func index(before i: Int) -> Int { i - 1 }

    public subscript(position: Int) -> Element {
        get {
            switch storage {
            case .empty: preconditionFailure("index out of range")
            case .one(let e):
                precondition(position == 0, "index out of range")
                return e
            case .many(let a): return a[position]
            }
        }
        set {
            switch storage {
            case .empty: preconditionFailure("index out of range")
            case .one:
                precondition(position == 0, "index out of range")
                storage = .one(newValue)
            case .many(var a):
                storage = .empty
                a[position] = newValue
                storage = .many(a)
            }
        }
    }

    /// The elements as an array (allocates when there are fewer than two).
    public var array: [Element] {
        switch storage {
        case .empty: return []
        case .one(let e): return [e]
        case .many(let a): return a
        }
    }

    public mutating func append(_ element: Element) {
        insert(element, at: endIndex)
    }

    public mutating func insert(_ element: Element, at i: Int) {
        switch storage {
        case .empty:
            precondition(i == 0, "index out of range")
            storage = .one(element)
        case .one(let e):
            precondition(i == 0 || i == 1, "index out of range")
            storage = .many(i == 0 ? [element, e] : [e, element])
        case .many(var a):
            storage = .empty
            a.insert(element, at: i)
            storage = .many(a)
        }
    }

    @discardableResult
    public mutating func removeLast() -> Element {
        switch storage {
        case .empty: preconditionFailure("removeLast on an empty list")
        case .one(let e):
            storage = .empty
            return e
        case .many(var a):
            storage = .empty
            let last = a.removeLast()
            storage = a.count == 1 ? .one(a[0]) : .many(a)
            return last
        }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        switch storage {
        case .empty: return try body(UnsafeBufferPointer(start: nil, count: 0))
        case .one(let e): return try withUnsafePointer(to: e) { try body(UnsafeBufferPointer(start: $0, count: 1)) }
        case .many(let a): return try a.withUnsafeBufferPointer(body)
        }
    }

    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws -> R) rethrows -> R {
        switch storage {
        case .empty:
            return try body(UnsafeMutableBufferPointer(start: nil, count: 0))
        case .one(var e):
            storage = .empty
            defer { storage = .one(e) }
            return try withUnsafeMutablePointer(to: &e) { try body(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        case .many(var a):
            storage = .empty
            defer { storage = .many(a) }
            return try a.withUnsafeMutableBufferPointer { try body($0) }
        }
    }
}

extension SmallArray: Equatable where Element: Equatable {
    public static func == (a: SmallArray, b: SmallArray) -> Bool { a.elementsEqual(b) }
}

extension SmallArray: Sendable where Element: Sendable {}

extension SmallArray.Storage: Sendable where Element: Sendable {}

extension SmallArray: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}
