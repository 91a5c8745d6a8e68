package dev.kiln.bench.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The engine's whole-process benchmarks. Each workload starts Kiln on its embedded defaults (H2
 * journal, file CARs, fsync on) in a fresh temp data dir, shows progress on stderr and prints one
 * result line on stdout. Figures are compared with a baseline measured in the same run (raw fsync,
 * raw sequential write, JSON parsing, or another Kiln figure), because the machine is shared and
 * noisy: the ratios are what the targets are about.
 *
 * <pre>
 * Workloads [--scale S] [--tmp DIR] [--sizes N,N…] [--series DIR] [name …|all]
 *   names: sequential concurrent bulk get alldocs query compaction latency heap http-load, and scale
 *          (not part of all: it takes many minutes), and postgres (not part of all: it needs a
 *          PostgreSQL server, see PostgresWorkload), and cluster (not part of all: node processes of
 *          the built CLI on PostgreSQL, see ClusterWorkload and bench/run-cluster.sh)
 *   --scale multiplies every document and operation count (default 1; 0.1 for a quick try)
 *   --tmp   where the temp data dirs go (default java.io.tmpdir)
 *   --sizes database sizes for scale (default 10000,100000; add 1000000 for the million)
 *   --series where latency (latency.csv: each put's start and latency, by phase) and sequential
 *            (carlog.csv: the CarLog length sampled while it writes) leave time series for plots
 * </pre>
 *
 * Exit status is 1 when a workload failed to run (a missed target is reported, not an error).
 */
public final class Workloads {
  /** In the order the script runs them. */
  public static final List<String> NAMES = List.of(
      "sequential", "concurrent", "bulk", "get", "alldocs", "query", "compaction", "latency", "heap", HttpLoadWorkload.NAME);

  private final double scale;
  private final Path tmp;
  private List<Integer> sizes = ScaleWorkload.DEFAULT_SIZES;
  /** Where workloads that have time series (latency, sequential) write them as CSV; null: nowhere. */
  private Path seriesDir;

  Workloads(double scale, Path tmp) {
    this.scale = scale;
    this.tmp = tmp;
  }

  public static void main(String[] args) {
    double scale = 1;
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    List<String> names = new ArrayList<>();
    List<Integer> sizes = ScaleWorkload.DEFAULT_SIZES;
    Path series = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        case "--tmp" -> tmp = Path.of(args[++i]);
        case "--series" -> series = Path.of(args[++i]);
        case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(String::trim).map(Integer::parseInt).toList();
        case "all" -> names.addAll(NAMES);
        case "-h", "--help" -> {
          System.err.println("usage: Workloads [--scale S] [--tmp DIR] [--sizes N,N…] [all | " + String.join(" | ", NAMES) + " | scale]…");
          return;
        }
        default -> {
          if (!NAMES.contains(args[i]) && !args[i].equals(ScaleWorkload.NAME) && !args[i].equals(PostgresWorkload.NAME)
              && !args[i].equals(ClusterWorkload.NAME)) {
            System.err.println("unknown workload '" + args[i] + "'; known: " + String.join(", ", NAMES));
            System.exit(2);
          }
          names.add(args[i]);
        }
      }
    }
    if (names.isEmpty()) {
      names.addAll(NAMES);
    }
    Workloads w = new Workloads(scale, tmp);
    w.sizes = sizes;
    w.seriesDir = series;
    boolean failed = false;
    for (String name : names) {
      try {
        System.out.println(w.run(name));
      } catch (RuntimeException | Error e) {
        failed = true;
        System.out.println(String.format("%-11s FAILED: %s", name, e));
        e.printStackTrace();
      }
      System.out.flush();
    }
    System.exit(failed ? 1 : 0);
  }

  Line run(String name) {
    return switch (name) {
      case "sequential" -> sequential();
      case "concurrent" -> concurrent();
      case "bulk" -> bulk();
      case "get" -> get();
      case "alldocs" -> allDocs();
      case "query" -> query();
      case "compaction" -> compaction();
      case "latency" -> latency();
      case "heap" -> heap();
      case HttpLoadWorkload.NAME -> new HttpLoadWorkload(tmp, Duration.ofMillis(Math.max(3_000, Math.round(30_000 * scale)))).run();
      case ScaleWorkload.NAME -> new ScaleWorkload(tmp, scaled(2_000)).run(sizes.stream().map(this::scaled).toList());
      case PostgresWorkload.NAME -> new PostgresWorkload(tmp, scaled(250)).run();
      case ClusterWorkload.NAME -> new ClusterWorkload(tmp, scaled(3_000)).run();
      default -> throw new IllegalArgumentException("unknown workload " + name);
    };
  }

  int scaled(int n) {
    return Math.max(1, (int) Math.round(n * scale));
  }

  // ------------------------------------------------------------------ writes

  /**
   * 10,000 awaited puts, one after another. Baselines: appending 100 bytes to a file and fsyncing;
   * and the least a file-per-commit store does per commit (new file, fsync, rename, directory fsync).
   */
  Line sequential() {
    String w = "sequential";
    int n = scaled(10_000);
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      Database db = f.db();
      // Baselines before and after, so drift on the machine during the puts touches both.
      Latencies fsync = new Latencies(400);
      Latencies newFile = new Latencies(400);
      mergeInto(fsync, Baselines.rawFsync(f.dir, 200, 100));
      mergeInto(newFile, Baselines.rawNewFileCommit(f.dir, 200, 1024));
      Timed puts;
      try (CarLogSampler sampler = new CarLogSampler(db, Series.to(seriesDir, "carlog.csv", "carlog_length"))) {
        puts = sequentialPuts(w, db, 0, n);
      }
      mergeInto(fsync, Baselines.rawFsync(f.dir, 200, 100));
      mergeInto(newFile, Baselines.rawNewFileCommit(f.dir, 200, 1024));
      DatabaseStats stats = join(db.stats());
      return new Line(w)
          .count("puts", n).add("doc", Docs.jsonBytes(Docs.doc(0, 0)) + "B")
          .seconds("time", puts.totalSeconds).rate("rate", n / puts.totalSeconds)
          .ms("p50", puts.latencies.percentileMs(50)).ms("p99", puts.latencies.percentileMs(99))
          .count("compactions", stats.compactions())
          .section("baseline raw 100B append+fsync").ms("p50", fsync.percentileMs(50))
          .section("baseline raw new 1KiB file+fsync+rename+dir fsync").ms("p50", newFile.percentileMs(50))
          .section("ratio").ratio("put_p50/fsync_p50", puts.latencies.percentileMs(50) / fsync.percentileMs(50))
          .ratio("put_p50/new_file_p50", puts.latencies.percentileMs(50) / newFile.percentileMs(50));
    }
  }

  /** 10,000 puts from 100 writers, each awaiting its own; baseline: 1,000 sequential puts in the same Kiln. */
  Line concurrent() {
    String w = "concurrent";
    int writers = Math.min(100, scaled(10_000));
    int perWriter = Math.max(1, scaled(10_000) / writers);
    int n = writers * perWriter;
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      int baselineCount = scaled(1_000);
      Timed seq = sequentialPuts(w + ":baseline", f.db("baseline"), 0, baselineCount);
      double seqRate = baselineCount / seq.totalSeconds;
      Database db = f.db();
      Timed conc = concurrentPuts(w, db, writers, perWriter, i -> Docs.doc(i, 0));
      double rate = n / conc.totalSeconds;
      DatabaseStats stats = join(db.stats());
      return new Line(w)
          .count("puts", n).count("writers", writers)
          .seconds("time", conc.totalSeconds).rate("rate", rate)
          .ms("p50", conc.latencies.percentileMs(50)).ms("p99", conc.latencies.percentileMs(99))
          .count("commits", stats.generation() - stats.compactions()).count("compactions", stats.compactions())
          .section("baseline " + baselineCount + " sequential puts").rate("rate", seqRate)
          .section("ratio").ratioAtLeast("concurrent/sequential", rate / seqRate, 20);
    }
  }

  /**
   * One bulk of 10,000 into an empty database; baseline: writing the same CAR bytes to a file
   * sequentially with fsync. The JVM's first bulk of that size is mostly JIT compilation, so it is
   * reported apart ({@code first}) and the measured bulk follows three warm-up bulks.
   */
  Line bulk() {
    String w = "bulk";
    int n = scaled(10_000);
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      List<ObjectNode> docs = Docs.range(0, n, 0);
      double first = 0;
      try (Progress p = Progress.start(w, "warm-up: 3 bulks of " + n + " into other databases", 3)) {
        for (int r = 0; r < 3; r++) {
          Database warm = f.db("warm-up-" + r);
          long t0 = System.nanoTime();
          join(warm.putAll(docs));
          if (r == 0) {
            first = (System.nanoTime() - t0) / 1e9;
          }
          p.add(1);
        }
      }
      Database db = f.db();
      double seconds;
      long cpu;
      try (Progress p = Progress.start(w, "one bulk of " + n + " documents", 0)) {
        long c0 = Cpu.processNanos();
        long t0 = System.nanoTime();
        join(db.putAll(docs));
        seconds = (System.nanoTime() - t0) / 1e9;
        cpu = Cpu.processNanos() - c0;
      }
      long carBytes = join(db.stats()).carBytes();
      double raw = Baselines.rawSequentialWriteMedianSeconds(f.dir, carBytes, 3);
      return new Line(w)
          .count("docs", n).seconds("time", seconds).ms("cpu", cpu / 1e6).rate("rate", n / seconds).bytes("car", carBytes)
          .seconds("first_bulk_of_jvm", first)
          .section("baseline raw sequential write+fsync of the CAR's bytes").ms("time", raw * 1000)
          .section("ratio").ratio("bulk/raw_write", seconds / raw);
    }
  }

  // ------------------------------------------------------------------ reads

  /**
   * 1,000 awaited gets of random ids from a 10,000-document database, first with a cold block
   * cache (Kiln restarted), then warm, after a warm-up round for the JIT. Baseline: gets from a
   * one-document database, the cost of a request's round trip with almost no tree to walk.
   */
  Line get() {
    String w = "get";
    int docs = scaled(10_000);
    int gets = scaled(1_000);
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      writeInBulks(w, f.db(), docs, 1_000);
      join(f.db("floor").put(Docs.doc(0, 0)));
      // Warm-up for the JIT, cache misses included: gets after a restart, then a restart again.
      f.restart();
      timedGets(w + " warm-up", f.db(), new Random(8).longs(gets, 0, docs).toArray());
      f.restart();
      Database db = f.db();
      Database floorDb = f.db("floor");
      for (int i = 0; i < 200; i++) {
        join(floorDb.get(Docs.id(0))); // warms the JIT on the request path, not on the tree
      }
      Latencies floor = new Latencies(gets);
      for (int i = 0; i < gets; i++) {
        long t0 = System.nanoTime();
        join(floorDb.get(Docs.id(0)));
        floor.record(System.nanoTime() - t0);
      }
      long[] ids = new Random(7).longs(gets, 0, docs).toArray();
      Latencies cold = timedGets(w + " (cold cache)", db, ids);
      Latencies warm = timedGets(w + " (warm cache)", db, ids);
      return new Line(w)
          .count("gets", gets).count("docs", docs)
          .ms("cold_p50", cold.percentileMs(50)).ms("cold_p99", cold.percentileMs(99))
          .ms("warm_p50", warm.percentileMs(50)).ms("warm_p99", warm.percentileMs(99))
          .rate("cold_rate", 1000 / cold.meanMs())
          .section("baseline get from a 1-doc database").ms("p50", floor.percentileMs(50))
          .section("ratio").ratio("cold_p50/floor", cold.percentileMs(50) / floor.percentileMs(50))
          .ratio("warm_p50/floor", warm.percentileMs(50) / floor.percentileMs(50));
    }
  }

  /**
   * All-docs over 10,000 with a cold block cache (Kiln restarted) then warm, three rounds after a
   * warm-up round for the JIT; baseline: parsing the same 10,000 documents from JSON.
   */
  Line allDocs() {
    String w = "alldocs";
    int docs = scaled(10_000);
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      writeInBulks(w, f.db(), docs, 1_000);
      // Warm-up for the JIT, cache misses included: a round not counted. Then three rounds, each
      // a restart (cold block cache), a scan, and a scan again (warm); medians of the rounds.
      int rounds = 3;
      double[] cold = new double[rounds];
      double[] warm = new double[rounds];
      try (Progress p = Progress.start(w, "rounds of restart, all-docs cold, all-docs warm (1 warm-up)", rounds + 1)) {
        for (int r = -1; r < rounds; r++) {
          f.restart();
          Database db = f.db();
          long t0 = System.nanoTime();
          int coldRows = join(db.allDocs()).rows().size();
          long t1 = System.nanoTime();
          int warmRows = join(db.allDocs()).rows().size();
          long t2 = System.nanoTime();
          if (coldRows != docs || warmRows != docs) {
            throw new IllegalStateException("all-docs returned " + coldRows + " and " + warmRows + " rows, expected " + docs);
          }
          if (r >= 0) {
            cold[r] = (t1 - t0) / 1e9;
            warm[r] = (t2 - t1) / 1e9;
          }
          p.add(1);
        }
      }
      double parse = Baselines.jsonParseSeconds(Docs.range(0, docs, 0), 5);
      double c = median(cold);
      double h = median(warm);
      return new Line(w)
          .count("docs", docs).ms("cold_median", c * 1000).ms("warm_median", h * 1000).rate("cold_rate", docs / c)
          .section("baseline JSON parse of the same docs").ms("time", parse * 1000)
          .section("ratio").ratio("cold/parse", c / parse).ratio("warm/parse", h / parse);
    }
  }

  /**
   * Index queries over 10,000 documents with a field index on {@code n}, the first time after
   * opening (Kiln restarted: cold block cache, CARs on disk) and the second (warm): a limit-10
   * range query from the middle with its documents, and the whole index with its documents. Five
   * rounds after a warm-up round for the JIT, each shape after a restart of its own. Baseline:
   * all-docs of the same shape (10 rows from the same document, all 10,000), in the same rounds.
   * Also timed: defining the index on the existing documents (Kiln builds it then, not at the
   * first query), after a first definition of another index for the JIT.
   */
  Line query() {
    String w = "query";
    int docs = scaled(10_000);
    int rounds = 5;
    int middle = docs / 2;
    List<Function<Database, Integer>> shapes = List.of(
        db -> join(db.query("n", IndexQuery.all().withStart(String.valueOf(middle)).withLimit(10).withIncludeDocs(true)))
            .rows().size(),
        db -> join(db.allDocs(AllDocsQuery.all().withStart(Docs.id(middle)).withLimit(10))).rows().size(),
        db -> join(db.query("n", IndexQuery.all().withIncludeDocs(true))).rows().size(),
        db -> join(db.allDocs()).rows().size());
    int[] expected = {Math.min(10, docs - middle), Math.min(10, docs - middle), docs, docs};
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      writeInBulks(w, f.db(), docs, 1_000);
      long t0 = System.nanoTime();
      join(f.db().defineIndex("kind"));
      double firstDefine = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      join(f.db().defineIndex("n"));
      double define = (System.nanoTime() - t0) / 1e9;

      double[][] cold = new double[shapes.size()][rounds];
      double[][] warm = new double[shapes.size()][rounds];
      double firstOfJvm = 0;
      try (Progress p = Progress.start(w, "rounds of (restart, query cold, query warm) x 4 shapes (1 warm-up)", rounds + 1)) {
        for (int r = -1; r < rounds; r++) {
          for (int s = 0; s < shapes.size(); s++) {
            f.restart();
            Database db = f.db();
            long a = System.nanoTime();
            int coldRows = shapes.get(s).apply(db);
            long b = System.nanoTime();
            int warmRows = shapes.get(s).apply(db);
            long c = System.nanoTime();
            if (coldRows != expected[s] || warmRows != expected[s]) {
              throw new IllegalStateException("shape " + s + " returned " + coldRows + " and " + warmRows
                  + " rows, expected " + expected[s]);
            }
            if (r >= 0) {
              cold[s][r] = (b - a) / 1e9;
              warm[s][r] = (c - b) / 1e9;
            } else if (s == 0) {
              firstOfJvm = (b - a) / 1e9;
            }
          }
          p.add(1);
        }
      }
      return msRange(msRange(msRange(msRange(
          new Line(w).count("docs", docs).ms("define_index", define * 1000).ms("first_define_of_jvm", firstDefine * 1000)
              .ms("first_query_of_jvm", firstOfJvm * 1000)
              .section("query limit 10 with docs, median (min-max) of " + rounds), "cold", cold[0]), "warm", warm[0])
              .section("query all " + docs + " with docs"), "cold", cold[2]), "warm", warm[2])
          .section("baseline all-docs limit 10").ms("cold", median(cold[1]) * 1000).ms("warm", median(warm[1]) * 1000)
          .section("baseline all-docs all").ms("cold", median(cold[3]) * 1000).ms("warm", median(warm[3]) * 1000)
          .section("ratio (medians)")
          .ratio("q10_cold/alldocs10_cold", median(cold[0]) / median(cold[1]))
          .ratio("q10_warm/alldocs10_warm", median(warm[0]) / median(warm[1]))
          .ratio("qall_cold/alldocs_cold", median(cold[2]) / median(cold[3]))
          .ratio("qall_warm/alldocs_warm", median(warm[2]) / median(warm[3]))
          .ratio("q10_cold/q10_warm", median(cold[0]) / median(warm[0]))
          .ratio("define/alldocs_cold", define / median(cold[3]));
    }
  }

  /** A median in milliseconds with the range of the rounds: {@code key=12.3ms(10.1-15.0)}. */
  private static Line msRange(Line line, String key, double[] seconds) {
    double[] s = seconds.clone();
    Arrays.sort(s);
    return line.add(key, Line.fmt(median(s) * 1000) + "ms(" + Line.fmt(s[0] * 1000) + "-" + Line.fmt(s[s.length - 1] * 1000) + ")");
  }

  // ------------------------------------------------------------------ compaction

  /**
   * Compaction of a 10,000-document database written as 100 bulks then 10 bulks of updates (so the
   * CarLog holds 110 CARs and superseded tree nodes), three databases, Kiln restarted before so
   * blocks come from disk. Baseline: writing the compacted CAR's byte count sequentially with fsync.
   */
  Line compaction() {
    String w = "compaction";
    int docs = scaled(10_000);
    int rounds = 3;
    try (Fixture f = new Fixture(w, tmp, Map.of("kiln.auto-compact", 0))) {
      // One database more than is compacted: the last is taken apart by hand to see where the time goes.
      for (int r = 0; r <= rounds; r++) {
        Database db = f.db("c" + r);
        String label = w + " db " + (r + 1) + "/" + (rounds + 1);
        writeInBulks(label, db, docs, Math.max(1, docs / 100));
        updateInBulks(label, db, docs, Math.max(1, docs / 10), 10);
      }
      f.restart();
      // A first compaction of a small database, so the measured ones do not pay for class loading.
      Database warm = f.db("warm-up");
      writeInBulks(w + " warm-up", warm, Math.min(docs, 1_000), Math.max(1, Math.min(docs, 1_000) / 10));
      join(warm.compact());
      // Taking one apart by hand first also warms the JIT for the walk and the CAR writer.
      CompactionBreakdown.Steps steps;
      try (Progress p = Progress.start(w, "taking a compaction apart by hand (best of 5)", 0)) {
        Database db = f.db("c" + rounds);
        Cid head = Cid.parse(join(db.stats()).clock());
        steps = CompactionBreakdown.measure(f.dir.resolve("c" + rounds).resolve("cars"), head,
            f.dir.resolve("scratch"), 5);
      }
      double[] seconds = new double[rounds];
      double[] cpu = new double[rounds];
      double[] raw = new double[rounds];
      double[] ratio = new double[rounds];
      CompactResult last = null;
      for (int r = 0; r < rounds; r++) {
        Database db = f.db("c" + r);
        try (Progress p = Progress.start(w, "compacting db " + (r + 1) + "/" + rounds, 0)) {
          long c0 = Cpu.processNanos();
          long t0 = System.nanoTime();
          last = join(db.compact());
          seconds[r] = (System.nanoTime() - t0) / 1e9;
          cpu[r] = (Cpu.processNanos() - c0) / 1e9;
        }
        if (last.carLogAfter() != 1) {
          throw new IllegalStateException("compaction left " + last.carLogAfter() + " CARs: " + last);
        }
        raw[r] = Baselines.rawSequentialWriteMedianSeconds(f.dir, last.bytesAfter(), 3);
        ratio[r] = seconds[r] / raw[r];
      }
      return new Line(w)
          .count("docs", docs).count("dbs", rounds).ms("time_median", median(seconds) * 1000)
          .ms("cpu_median", median(cpu) * 1000)
          .count("cars_before", last.carLogBefore()).bytes("bytes_before", last.bytesBefore())
          .bytes("bytes_after", last.bytesAfter())
          .section("baseline raw sequential write+fsync of bytes_after").ms("time_median", median(raw) * 1000)
          .section("ratio").ratioAtMost("compaction/raw_write (median)", median(ratio), 2)
          .section("by hand (best of 5), " + steps.blocks() + " blocks over " + steps.cars() + " CARs")
          .ms("walk", steps.walk()).ms("of_which_reads", steps.reads()).ms("decode", steps.decode())
          .ms("lookups_etc", steps.lookups()).ms("write", steps.write());
    }
  }

  /**
   * Per-put latency of a few concurrent writers updating random documents of a 10,000-document
   * database, without compaction and while a loop calls compact() back to back (auto-compaction
   * off in both). The phases alternate twice so drift on the machine hits both alike.
   */
  Line latency() {
    String w = "latency";
    int docs = scaled(10_000);
    int writers = 4;
    int perPhase = scaled(2_000);
    int perWriter = Math.max(1, perPhase / writers / 2);
    try (Fixture f = new Fixture(w, tmp, Map.of("kiln.auto-compact", 0))) {
      Database db = f.db();
      writeInBulks(w, db, docs, 1_000);
      join(db.compact());
      Latencies quiet = new Latencies(writers * perWriter * 2);
      Latencies busy = new Latencies(writers * perWriter * 2);
      AtomicInteger version = new AtomicInteger(1);
      Random rnd = new Random(11);
      long[] targets = rnd.longs(writers * perWriter * 5L, 0, docs).toArray();
      AtomicInteger next = new AtomicInteger();
      Function<Integer, ObjectNode> update = i -> Docs.doc(targets[next.getAndIncrement()], version.incrementAndGet());
      int compactions = 0;
      List<Double> compactionMs = new ArrayList<>();
      concurrentPuts(w + " warm-up", db, writers, perWriter, update); // JIT; not recorded
      Series series = Series.to(seriesDir, "latency.csv", "phase", "latency_ms");
      for (int round = 0; round < 2; round++) {
        join(db.compact()); // each phase starts from a compacted database
        Timed q = concurrentPuts(w + " without compaction", db, writers, perWriter, update,
            (start, nanos) -> series.row(start, "quiet", nanos / 1e6));
        mergeInto(quiet, q.latencies);
        AtomicBoolean stop = new AtomicBoolean();
        Thread compactor = new Thread(() -> {
          while (!stop.get()) {
            long t0 = System.nanoTime();
            join(db.compact());
            synchronized (compactionMs) {
              compactionMs.add((System.nanoTime() - t0) / 1e6);
            }
          }
        }, "compaction-loop");
        compactor.start();
        Timed b = concurrentPuts(w + " while compacting", db, writers, perWriter, update,
            (start, nanos) -> series.row(start, "compacting", nanos / 1e6));
        stop.set(true);
        try {
          compactor.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        mergeInto(busy, b.latencies);
      }
      series.close();
      compactions = compactionMs.size();
      double[] cms = compactionMs.stream().mapToDouble(Double::doubleValue).toArray();
      return new Line(w)
          .count("writers", writers).count("puts_per_phase", quiet.count()).count("docs", docs)
          .section("without compaction").ms("p50", quiet.percentileMs(50)).ms("p99", quiet.percentileMs(99))
          .section("while compacting").ms("p50", busy.percentileMs(50)).ms("p99", busy.percentileMs(99))
          .count("compactions", compactions).ms("compaction_median", cms.length == 0 ? Double.NaN : median(cms))
          .section("ratio").ratioAtMost("p99_compacting/p99_quiet", busy.percentileMs(99) / quiet.percentileMs(99), 3)
          .ratio("p50_compacting/p50_quiet", busy.percentileMs(50) / quiet.percentileMs(50));
    }
  }

  // ------------------------------------------------------------------ heap

  /**
   * Heap after opening a 100,000-document database (written in bulks) and after scanning it once,
   * each after full GCs, less the heap with Kiln closed; and the block-location index's bytes per
   * block as the engine reports them.
   */
  Line heap() {
    String w = "heap";
    int docs = scaled(100_000);
    int bulk = Math.max(1, Math.min(2_000, docs / 50));
    try (Fixture f = new Fixture(w, tmp, Map.of())) {
      writeInBulks(w, f.db(), docs, bulk);
      f.stop();
      long base = heapAfterGc();
      f.start();
      Database db;
      DatabaseStats stats;
      try (Progress p = Progress.start(w, "opening the database", 0)) {
        db = f.db();
        stats = join(db.stats());
      }
      long opened = heapAfterGc();
      int rows;
      try (Progress p = Progress.start(w, "scanning it once (all-docs)", 0)) {
        rows = join(db.allDocs()).rows().size();
      }
      if (rows != docs) {
        throw new IllegalStateException("all-docs returned " + rows + " rows, expected " + docs);
      }
      long scanned = heapAfterGc();
      double perBlock = (double) stats.indexHeapBytes() / stats.indexedBlocks();
      long cacheBytes = f.kiln().system().settings().config().getBytes("kiln.block-cache-bytes");
      return new Line(w)
          .count("docs", docs).count("cars", stats.carLogLength()).count("blocks", stats.indexedBlocks())
          .bytes("car_bytes", stats.carBytes())
          .atMost("index_per_block", perBlock, 100, "B")
          .section("heap over Kiln-closed baseline (" + mb(base) + ")")
          .add("opened", mb(opened - base)).add("opened_per_doc", Line.fmt((double) (opened - base) / docs) + "B")
          .add("scanned", mb(scanned - base)).add("scanned_per_doc", Line.fmt((double) (scanned - base) / docs) + "B")
          .add("block_cache_cap", mb(cacheBytes))
          .section("ratio").ratio("opened_heap/car_bytes", (double) (opened - base) / stats.carBytes());
    }
  }

  static long heapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(200); // lets reference processing and Pekko's idle threads settle between collections
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  static String mb(long bytes) {
    return Line.fmt(bytes / (1024.0 * 1024.0)) + "MiB";
  }

  // ------------------------------------------------------------------ helpers

  /** A run's wall time and per-operation latencies. */
  record Timed(double totalSeconds, Latencies latencies) {}

  static Timed sequentialPuts(String w, Database db, long from, int n) {
    Latencies l = new Latencies(n);
    try (Progress p = Progress.start(w, "sequential puts", n)) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        ObjectNode d = Docs.doc(from + i, 0);
        long t0 = System.nanoTime();
        join(db.put(d));
        l.record(System.nanoTime() - t0);
        p.add(1);
      }
      return new Timed((System.nanoTime() - start) / 1e9, l);
    }
  }

  /** {@code writers} threads, each putting {@code perWriter} documents one awaited put after another. */
  static Timed concurrentPuts(String w, Database db, int writers, int perWriter, Function<Integer, ObjectNode> doc) {
    return concurrentPuts(w, db, writers, perWriter, doc, (start, nanos) -> { });
  }

  /** Each put's start ({@link System#nanoTime()}) and latency in nanoseconds, from the writer's thread. */
  interface PutObserver {
    void put(long startNanos, long latencyNanos);
  }

  /** The CarLog length every 10 ms on a thread of its own, into a series, until closed. */
  private static final class CarLogSampler implements AutoCloseable {
    private final Series series;
    private final java.util.concurrent.ScheduledExecutorService timer;

    CarLogSampler(Database db, Series series) {
      this.series = series;
      this.timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "carlog-sampler");
        t.setDaemon(true);
        return t;
      });
      if (series.recording()) {
        timer.scheduleWithFixedDelay(() -> {
          long at = System.nanoTime();
          series.row(at, join(db.stats()).carLogLength());
        }, 0, 10, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void close() {
      timer.shutdownNow();
      try {
        timer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      series.close();
    }
  }

  private static Timed concurrentPuts(String w, Database db, int writers, int perWriter, Function<Integer, ObjectNode> doc,
      PutObserver observer) {
    Latencies l = new Latencies(writers * perWriter);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>(writers);
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    try (Progress p = Progress.start(w, writers + " writers, puts", (long) writers * perWriter)) {
      for (int t = 0; t < writers; t++) {
        int writer = t;
        Thread thread = new Thread(() -> {
          try {
            go.await();
            for (int i = 0; i < perWriter; i++) {
              ObjectNode d = doc.apply(writer * perWriter + i);
              long t0 = System.nanoTime();
              join(db.put(d));
              long took = System.nanoTime() - t0;
              l.record(took);
              observer.put(t0, took);
              p.add(1);
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }, "writer-" + t);
        threads.add(thread);
        thread.start();
      }
      long start = System.nanoTime();
      go.countDown();
      for (Thread t : threads) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (!errors.isEmpty()) {
        throw new IllegalStateException(errors.size() + " writers failed, first: " + errors.get(0), errors.get(0));
      }
      return new Timed(seconds, l);
    }
  }

  static void writeInBulks(String w, Database db, int docs, int bulk) {
    try (Progress p = Progress.start(w, "writing documents in bulks of " + bulk, docs)) {
      for (int from = 0; from < docs; from += bulk) {
        int count = Math.min(bulk, docs - from);
        join(db.putAll(Docs.range(from, count, 0)));
        p.add(count);
      }
    }
  }

  /** {@code bulks} bulks of {@code perBulk} updates of random documents (new versions). */
  private static void updateInBulks(String w, Database db, int docs, int perBulk, int bulks) {
    Random r = new Random(5);
    try (Progress p = Progress.start(w, "updating documents in bulks of " + perBulk, (long) perBulk * bulks)) {
      for (int b = 0; b < bulks; b++) {
        Map<Long, ObjectNode> batch = new LinkedHashMap<>();
        while (batch.size() < Math.min(perBulk, docs)) {
          long n = r.nextInt(docs);
          batch.put(n, Docs.doc(n, b + 1));
        }
        join(db.putAll(new ArrayList<>(batch.values())));
        p.add(batch.size());
      }
    }
  }

  private static Latencies timedGets(String w, Database db, long[] ids) {
    Latencies l = new Latencies(ids.length);
    try (Progress p = Progress.start(w, "gets", ids.length)) {
      for (long id : ids) {
        long t0 = System.nanoTime();
        join(db.get(Docs.id(id)));
        l.record(System.nanoTime() - t0);
        p.add(1);
      }
    }
    return l;
  }

  static void mergeInto(Latencies into, Latencies from) {
    from.forEachNanos(into::record);
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }
}
