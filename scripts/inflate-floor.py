#!/usr/bin/env python3
# The inflate floor: zlib alone, multi-member aware, no line handling. Prints seconds and bytes.
import sys, zlib, time
t = time.perf_counter()
total = 0
with open(sys.argv[1], 'rb') as f:
    d = zlib.decompressobj(47)
    while True:
        buf = f.read(1 << 20)
        if not buf:
            break
        while buf:
            out = d.decompress(buf, 1 << 22)
            total += len(out)
            buf = d.unconsumed_tail
            if d.eof:
                rest = d.unused_data
                d = zlib.decompressobj(47)
                buf = rest + buf
print(f"{time.perf_counter() - t:.3f} s, {total} bytes")
