"""distill-detect on Apache Spark: the analysis of `analyze`, sharded, with identical results.

Stages (README.md, "Scale-out on Apache Spark"):
  1. Executors read the input files through Spark (any filesystem Hadoop supports: local
     paths, HDFS, s3a://, gs://, abfs://) and pipe each input split into
     `distill-detect state build -`, which writes the split's account state as P partition
     files (accounts placed by a stable hash of their id).
  2. The partition files are shuffled by partition; each partition's files are merged with
     `distill-detect state merge` (exact: any grouping gives the same bytes).
  3. Each merged partition emits its accounts' linkage keys (`state keys`); the keys are
     grouped across partitions (Spark SQL), and each bucket of accounts sharing a key proposes
     candidate pairs by the rule of in-process linkage (`state pairs`).
  4. The driver writes the P merged partitions and the pairs to OUT.state/ (--state-out) and
     runs `distill-detect detect --candidates` on them: verification of the pairs, clustering,
     scoring and the outputs of
     `analyze` (clusters.csv, accounts.csv, candidates.csv, summary.json, report.html), of
     which clusters.csv and accounts.csv are byte-identical to `analyze` on the same inputs.

Run with spark-submit (the binary shipped with --files, or named by an absolute --binary path
in local mode):

  spark-submit --master 'local[2]' --driver-memory 4g --files .build/release/distill-detect \\
      spark/distill_spark.py --out OUT 'sample-logs/*.jsonl.gz'

Arguments this script does not know are passed to `distill-detect detect` (for example
--min-cluster-size 5 --max-false-clusters 0.5 --format json). The exit code is detect's.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

from pyspark import SparkFiles, StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, StringType, StructField, StructType

LOG_SUFFIXES = (".jsonl", ".json", ".ndjson", ".log")
GZIP_MAGIC = b"\x1f\x8b"


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="distill-detect on Spark: per-split state on the executors, merged by partition, detection on the driver.")
    ap.add_argument("inputs", nargs="+",
                    help="Input files, directories or globs on any Hadoop filesystem (directories: their *.jsonl, *.json, *.ndjson, *.log files, optionally .gz).")
    ap.add_argument("--out", required=True, help="Output directory on the driver's local filesystem.")
    ap.add_argument("--binary", default="distill-detect",
                    help="The distill-detect binary: an absolute path present on every node, or the file name it was shipped under with --files (default: distill-detect).")
    ap.add_argument("--splits", type=int, default=0,
                    help="Input splits (state build runs). 0: Spark's own partitions of the input files, without a shuffle of the inputs; N: exactly N splits, whole files balanced by size, or, with more splits than files, each file cut at line ends into pieces (JSON Lines only).")
    ap.add_argument("--partitions", type=int, default=4, help="State partitions (merge tasks).")
    ap.add_argument("--task-threads", type=int, default=1,
                    help="Threads of each distill-detect process on the executors (match spark.task.cpus).")
    ap.add_argument("--by-day", action="store_true",
                    help="Keep one state per account and UTC day, so that `nightly --state-input OUT.state` can commit the night (detect merges the days).")
    ap.add_argument("--state-out", default=None,
                    help="Directory for the merged partition files (default: OUT.state beside OUT; its *.ddstate files are replaced): `detect` reads them.")
    return ap.parse_known_args(argv)


def binary_path(name):
    """The binary on this node: an absolute path as given, or the copy Spark shipped."""
    path = name if os.path.isabs(name) else SparkFiles.get(os.path.basename(name))
    if not os.path.exists(path):
        raise RuntimeError(f"distill-detect binary not found at {path}: ship it with --files or give --binary an absolute path")
    if not os.access(path, os.X_OK):
        os.chmod(path, 0o755)
    return path


def run_binary(binary, args, stdin_chunks=None, stdout=None):
    """Runs distill-detect, feeding stdin_chunks (bytes) to its standard input; returns
    (exit code, standard error). Standard error goes to a file, so the pipe cannot fill up;
    standard output to the open file `stdout`, or nowhere."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([binary] + args, stdin=subprocess.PIPE if stdin_chunks is not None else subprocess.DEVNULL,
                                stdout=stdout if stdout is not None else subprocess.DEVNULL, stderr=err)
        if stdin_chunks is not None:
            try:
                for chunk in stdin_chunks:
                    proc.stdin.write(chunk)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the process ended early: its exit code and message say why
        code = proc.wait()
        err.seek(0)
        return code, err.read().decode("utf-8", "replace")


def list_inputs(sc, patterns):
    """Every input file of the patterns, as (path, bytes), sorted by path; through Hadoop's
    FileSystem API, so any filesystem Spark reads works. A pattern matching nothing fails."""
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    found = {}
    for pattern in patterns:
        path = jvm.org.apache.hadoop.fs.Path(pattern)
        fs = path.getFileSystem(conf)
        statuses = fs.globStatus(path)
        if not statuses:
            raise SystemExit(f"distill_spark: no input matches {pattern}")
        for status in statuses:
            if status.isDirectory():
                files = fs.listFiles(status.getPath(), True)
                while files.hasNext():
                    f = files.next()
                    name = f.getPath().getName()
                    if name.endswith(".gz"):
                        name = name[:-3]
                    if name.endswith(LOG_SUFFIXES):
                        found[f.getPath().toString()] = f.getLen()
            else:
                found[status.getPath().toString()] = status.getLen()
    return sorted(found.items())


def plan_splits(files, splits):
    """{path: [(split, piece, pieces)]}: whole files to splits, the largest first onto the
    lightest split (ties to the lower split), when there are at least as many files as splits;
    otherwise each file cut into ceil(splits / files) pieces, dealt round-robin."""
    plan = {}
    if splits <= len(files):
        load = [0] * splits
        for path, size in sorted(files, key=lambda f: (-f[1], f[0])):
            s = min(range(splits), key=lambda k: (load[k], k))
            load[s] += size
            plan[path] = [(s, 0, 1)]
    else:
        pieces = -(-splits // len(files))
        n = 0
        for path, _ in files:
            plan[path] = []
            for piece in range(pieces):
                plan[path].append((n % splits, piece, pieces))
                n += 1
    return plan


def inflate(content):
    """Plain bytes of a gzip file, every member (or the content itself when not gzip)."""
    if content[:2] != GZIP_MAGIC:
        return content
    out = []
    while content[:2] == GZIP_MAGIC:
        d = zlib.decompressobj(wbits=31)
        out.append(d.decompress(content))
        out.append(d.flush())
        content = d.unused_data
    return b"".join(out)


def line_pieces(content, pieces):
    """The file's plain content cut into `pieces` runs of whole lines (some may be empty)."""
    text = inflate(content)
    step = -(-len(text) // pieces)
    out = []
    start = 0
    for _ in range(pieces):
        end = min(len(text), start + step)
        if end < len(text):
            nl = text.find(b"\n", end)
            end = len(text) if nl < 0 else nl + 1
        out.append(text[start:end])
        start = end
    return out


def stream_for_split(pieces):
    """Bytes for one `state build -` process: gzip pieces concatenated as gzip members (the
    binary inflates them), or, when any piece is plain, every piece plain, each ending in a
    newline."""
    if all(p[:2] == GZIP_MAGIC for p in pieces):
        return pieces
    out = []
    for p in pieces:
        p = inflate(p)
        if p and not p.endswith(b"\n"):
            p += b"\n"
        out.append(p)
    return out


def build_split(binary_name, partitions, threads, split_count, by_day, shuffled):
    def build(split, items):
        items = sorted(items, key=lambda kv: (kv[1][0], kv[1][1]))  # (path, piece): a fixed order
        pieces = [content for _, (_, _, content) in items]
        binary = binary_path(binary_name)
        work = tempfile.mkdtemp(prefix="distill-split-")
        try:
            name = f"split-{split:05d}-of-{split_count:05d}"
            args = ["state", "build", "-", "--split", name, "--partitions", str(partitions), "--out", work,
                    "--threads", str(threads), "--quiet"] + (["--by-day"] if by_day else [])
            code, err = run_binary(binary, args, stream_for_split(pieces) if pieces else [b""])
            # 2: written, but the reject share was high or an input was cut: detect reports it.
            if code not in (0, 2):
                raise RuntimeError(f"distill-detect state build failed on input split {split} (exit {code}): {err.strip()}")
            for p in range(partitions):
                path = os.path.join(work, "part-%05d-of-%05d.ddstate" % (p, partitions))
                with open(path, "rb") as f:
                    blob = f.read()
                shuffled.add(len(blob))
                yield p, blob
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return build


def merge_partition(binary_name, partitions):
    def merge(items):
        items = list(items)
        if not items:
            return
        parts = {p for p, _ in items}
        if len(parts) != 1:
            raise RuntimeError(f"merge task got partitions {sorted(parts)}: expected one")
        p = parts.pop()
        binary = binary_path(binary_name)
        work = tempfile.mkdtemp(prefix="distill-merge-")
        try:
            names = []
            for k, (_, blob) in enumerate(items):
                name = os.path.join(work, "in-%06d.ddstate" % k)
                with open(name, "wb") as f:
                    f.write(blob)
                names.append(name)
            out = os.path.join(work, "part-%05d-of-%05d.ddstate" % (p, partitions))
            code, err = run_binary(binary, ["state", "merge"] + names + ["--out", out])
            if code != 0:
                raise RuntimeError(f"distill-detect state merge failed on partition {p} (exit {code}): {err.strip()}")
            with open(out, "rb") as f:
                yield p, f.read()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return merge


def emit_keys(binary_name):
    """Each merged partition's accounts with their linkage keys: (account id as JSON, ["source
    TAB key", ...]), one row per account (the keys are exploded in Spark SQL, in the JVM)."""
    def keys(items):
        binary = binary_path(binary_name)
        work = tempfile.mkdtemp(prefix="distill-keys-")
        try:
            for p, blob in items:
                state = os.path.join(work, "part.ddstate")
                with open(state, "wb") as f:
                    f.write(blob)
                out = os.path.join(work, "keys.tsv")
                code, err = run_binary(binary, ["state", "keys", state, "--out", out])
                if code != 0:
                    raise RuntimeError(f"distill-detect state keys failed on partition {p} (exit {code}): {err.strip()}")
                account, held = None, []
                with open(out, "r", encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("#"):
                            continue
                        source, key, who = line.rstrip("\n").split("\t")
                        if who != account:  # an account's keys are on consecutive lines
                            if held:
                                yield account, held
                            account, held = who, []
                        held.append(source + "\t" + key)
                if held:
                    yield account, held
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return keys


def propose_pairs(binary_name):
    """Bucket lines (source TAB JSON array of the ids sharing a key) to candidate pairs, by
    `state pairs` (the bucket rule of in-process linkage); yields pair lines, the parameter
    line included."""
    def pairs(buckets):
        binary = binary_path(binary_name)
        lines = (f"{line}\n".encode("utf-8") for line in buckets)
        with tempfile.TemporaryFile() as out:
            code, err = run_binary(binary, ["state", "pairs"], lines, stdout=out)
            if code != 0:
                raise RuntimeError(f"distill-detect state pairs failed (exit {code}): {err.strip()}")
            out.seek(0)
            for line in out:
                yield line.decode("utf-8").rstrip("\n")
    return pairs


def main(argv):
    args, detect_args = parse_args(argv)
    if args.partitions < 1 or args.splits < 0:
        raise SystemExit("distill_spark: --partitions must be at least 1 and --splits at least 0")
    spark = SparkSession.builder.appName("distill-detect").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    if not sc.getConf().contains("spark.sql.shuffle.partitions"):
        # Key grouping and pair dedup: as many tasks as state partitions or cores, not 200.
        spark.conf.set("spark.sql.shuffle.partitions", str(max(args.partitions, sc.defaultParallelism)))
    files = list_inputs(sc, args.inputs)
    if not files:
        raise SystemExit("distill_spark: no input files")
    raw = sc.binaryFiles(",".join(path for path, _ in files))
    splits_count = args.splits or raw.getNumPartitions()
    shuffled = sc.accumulator(0)
    build = build_split(args.binary, args.partitions, args.task_threads, splits_count, args.by_day, shuffled)
    if args.splits:
        plan = sc.broadcast(plan_splits(files, args.splits))

        def place(record):
            path, content = record
            targets = plan.value[path]
            if len(targets) == 1:
                split, piece, _ = targets[0]
                return [(split, (path, piece, content))]
            cut = line_pieces(content, len(targets))
            return [(split, (path, piece, cut[piece])) for split, piece, _ in targets]

        splits = raw.flatMap(place).partitionBy(args.splits, lambda s: s)
        states = splits.mapPartitionsWithIndex(lambda i, it: build(i, it))
    else:
        # Spark's own partitions of the input files: no shuffle of the inputs.
        states = raw.map(lambda kv: (0, (kv[0], 0, kv[1]))).mapPartitionsWithIndex(lambda i, it: build(i, it))
    merged = states.partitionBy(args.partitions, lambda p: p).mapPartitions(merge_partition(args.binary, args.partitions))
    merged.persist(StorageLevel.MEMORY_AND_DISK)
    started = time.monotonic()
    merged.count()  # stages 1-2: every split built and every partition merged, kept for what follows
    states_done = time.monotonic()
    # Candidate pairs by grouping linkage keys across partitions, on the executors: the
    # grouping itself in Spark SQL (in the JVM, not in Python), buckets of 2+ to `state pairs`.
    schema = StructType([StructField("account", StringType(), False),
                         StructField("keys", ArrayType(StringType(), False), False)])
    accounts = spark.createDataFrame(merged.mapPartitions(emit_keys(args.binary)), schema)
    keys = accounts.select("account", F.explode("keys").alias("key"))
    buckets = (keys.groupBy("key").agg(F.collect_list("account").alias("ids"))
               .where(F.size("ids") >= 2)
               .select(F.concat(F.substring_index("key", "\t", 1), F.lit("\t["), F.concat_ws(",", "ids"), F.lit("]")).alias("line")))
    # Pairs repeat across buckets; `detect` takes each once.
    pair_lines = buckets.rdd.map(lambda row: row.line).mapPartitions(propose_pairs(args.binary))

    state_dir = args.state_out or args.out.rstrip("/") + ".state"
    os.makedirs(state_dir, exist_ok=True)
    for name in os.listdir(state_dir):
        if name.endswith(".ddstate"):
            os.remove(os.path.join(state_dir, name))
    written = 0
    state_bytes = 0
    for p, blob in merged.toLocalIterator():
        state_bytes += len(blob)
        with open(os.path.join(state_dir, "part-%05d-of-%05d.ddstate" % (p, args.partitions)), "wb") as f:
            f.write(blob)
        written += 1
    if written != args.partitions:
        raise SystemExit(f"distill_spark: {written} of {args.partitions} partitions came back")
    headers = set()
    pairs_path = os.path.join(state_dir, "candidates.tsv")
    with open(pairs_path + ".tmp", "w", encoding="utf-8") as f:
        body = []
        for line in pair_lines.toLocalIterator():
            if line.startswith("#"):
                headers.add(line)
            else:
                body.append(line)
        if len(headers) != 1:
            raise SystemExit(f"distill_spark: candidate pairs came with {len(headers)} parameter lines: {sorted(headers)}")
        f.write(headers.pop() + "\n")
        for line in body:
            f.write(line + "\n")
    os.replace(pairs_path + ".tmp", pairs_path)
    merged.unpersist()
    pairs_done = time.monotonic()
    binary = binary_path(args.binary)
    code = subprocess.call([binary, "detect", state_dir, "--candidates", pairs_path, "--out", args.out] + detect_args)
    print(f"distill_spark: {splits_count} input splits, {args.partitions} partitions; shuffled {shuffled.value} bytes of "
          f"split state into {state_bytes} bytes of merged state; {len(body)} candidate pair lines; build and merge "
          f"{states_done - started:.1f} s, keys and pairs (and writing the state) {pairs_done - states_done:.1f} s, detect "
          f"{time.monotonic() - pairs_done:.1f} s", file=sys.stderr)
    spark.stop()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
