// Blocking queues and thread helpers for the ingest pipeline. Chunks are megabytes, so one
// lock round trip per chunk costs nothing measurable; plain threads keep stages balanced on
// few cores (docs/architecture.md, the path of a line).
import Foundation

/// A FIFO that blocks consumers until an element arrives or the queue is closed.
final class BlockingQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false

    func push(_ element: Element) {
        condition.lock()
        items.append(element)
        condition.signal()
        condition.unlock()
    }

    /// The next element, or nil once the queue is closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A counter shared by threads that claim work items one at a time.
package final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let limit: Int

    package init(limit: Int) { self.limit = limit }

    package func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}

/// Counts down from a start value; the caller that reaches zero learns it.
final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int

    init(_ value: Int) { self.value = value }

    func decrement() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value -= 1
        return value
    }
}

/// Runs `body(i)` for i in 0..<count, each on its own thread, and waits for all of them.
/// The last one runs on the calling thread.
package func runOnThreads(_ count: Int, stackSize: Int = 8 << 20, _ body: @escaping @Sendable (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    let group = DispatchGroup()
    for index in 0..<(count - 1) {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = stackSize
        thread.start()
    }
    body(count - 1)
    group.wait()
}

/// Lets a value that is handed from thread to thread under the pipeline's own
/// synchronisation cross a `@Sendable` boundary.
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package var value: Value
    package init(_ value: Value) { self.value = value }
}

/// Results written by worker threads, one slot each.
package final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value?]

    package init(count: Int) { values = Array(repeating: nil, count: count) }

    package func set(_ index: Int, _ value: Value) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }

    package func get(_ index: Int) -> Value {
        lock.lock()
        defer { lock.unlock() }
        return values[index]!
    }

    /// The value, leaving the slot empty (so the caller holds the only reference).
    package func take(_ index: Int) -> Value {
        lock.lock()
        defer { lock.unlock() }
        let value = values[index]!
        values[index] = nil
        return value
    }
}

/// Runs `body` over `0..<count` cut into blocks of about `blockSize`, on `threads` threads that
/// claim blocks as they go (so a costly stretch of the input does not leave one thread working
/// alone), and returns the blocks' results concatenated in block order: the same for any
/// thread count.
package func parallelBlocks<Element>(
    count: Int, blockSize: Int, threads: Int, _ body: @escaping @Sendable (Range<Int>) -> [Element]
) -> [Element] {
    let blocks = max(1, (count + blockSize - 1) / blockSize)
    let results = ResultSlots<UncheckedSendable<[Element]>>(count: blocks)
    let claim = WorkCounter(limit: blocks)
    runOnThreads(max(1, min(threads, blocks))) { _ in
        while let b = claim.claim() {
            let range = (count * b / blocks)..<(count * (b + 1) / blocks)
            results.set(b, UncheckedSendable(body(range)))
        }
    }
    var out: [Element] = []
    for b in 0..<blocks { out += results.take(b).value }
    return out
}
