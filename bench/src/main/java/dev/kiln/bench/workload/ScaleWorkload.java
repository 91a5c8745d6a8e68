package dev.kiln.bench.workload;

import static dev.kiln.bench.workload.Workloads.heapAfterGc;
import static dev.kiln.bench.workload.Workloads.join;

import dev.kiln.engine.api.Database;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * How Kiln's costs grow with the database (issue 12): for each size, on default settings, a bulk
 * load, then opening it (time, bytes read, heap), all-docs, 2,000 sequential single-document puts
 * (bytes written per put from {@code /proc/self/io}, p50/p99), an explicit compaction (time, peak
 * heap) and a field index defined on the existing documents with a limit-10 query. One line per
 * size, then a line of ratios against the smallest size of the same run.
 */
final class ScaleWorkload {
  static final String NAME = "scale";
  static final List<Integer> DEFAULT_SIZES = List.of(10_000, 100_000);
  private static final int BULK = 10_000;
  private static final String PROBE = "probe";
  private static final int PAGE = 10_000;

  private final Path tmp;
  private final int puts;

  ScaleWorkload(Path tmp, int puts) {
    this.tmp = tmp;
    this.puts = puts;
  }

  /** Runs every size, printing its line as it finishes; returns the ratio line. */
  Line run(List<Integer> sizes) {
    List<Result> results = new ArrayList<>();
    for (int docs : sizes) {
      Result r = one(docs);
      System.out.println(r.line);
      System.out.flush();
      results.add(r);
    }
    Result small = results.get(0);
    Line line = new Line(NAME).add("sizes", sizes.toString().replace(" ", "")).count("puts", puts)
        .section("ratio against " + small.docs + " docs, same run");
    for (Result r : results.subList(1, results.size())) {
      line.ratio("bytes_per_put@" + r.docs, r.writeBytesPerPut / small.writeBytesPerPut)
          .ratio("bytes_per_put_with_first_compaction@" + r.docs, r.withFirst / small.withFirst)
          .ratio("put_p50@" + r.docs, r.putP50 / small.putP50)
          .ratio("open@" + r.docs, r.openMs / small.openMs)
          .ratio("alldocs_cold_per_doc@" + r.docs, (r.allDocsCold / r.docs) / (small.allDocsCold / small.docs));
    }
    return line.add("loadavg", loadAverage());
  }

  private record Result(int docs, double writeBytesPerPut, double withFirst, double putP50, double openMs,
      double allDocsCold, Line line) {}

  private static final int AMPLIFICATION_EVERY = 50;

  /**
   * The space-amplification promise checked as the puts run: the CarLog's compacted CARs (all but
   * those appended since the last compaction) at most the configured factor times the live bytes
   * the last compaction recorded (a lower bound of the true live bytes, so the check is strict).
   */
  private static final class Amplification {
    final double limit;
    int samples;
    int over;
    double max;

    Amplification(double limit) {
      this.limit = limit;
    }

    void sample(DatabaseStats s) {
      if (s.liveBytes() <= 0) {
        return; // nothing compacted yet: every CAR was appended since
      }
      samples++;
      double ratio = (double) s.compactedBytes() / s.liveBytes();
      max = Math.max(max, ratio);
      if (ratio > limit) {
        over++;
      }
    }
  }

  private Result one(int docs) {
    String w = NAME + "@" + docs;
    // Default settings but the facade's wait: defining an index on a million documents takes one
    // long commit today (issue 12 bounds it), longer than the default 30 s ask timeout.
    try (Fixture f = new Fixture(w, tmp, Map.of("kiln.ask-timeout", "10m"))) {
      Workloads.writeInBulks(w + " bulk load", f.db(), docs, Math.min(BULK, docs));
      join(f.db(PROBE).put(Docs.doc(0, 0)));
      DatabaseStats loaded = join(f.db().stats());

      // Open: Kiln restarted (the page cache is warm, so this is CPU and read calls, not the disk);
      // a small database opens first so the figure is this database's load, not the journal's start.
      f.stop();
      long base = heapAfterGc();
      f.start();
      f.db(PROBE);
      Open open = open(w, f);
      long openedHeap = heapAfterGc() - base;

      Open withoutIndexFiles = null;
      if (deleteIndexFiles(f.dir.resolve(Fixture.DB).resolve("cars")) > 0) {
        f.restart();
        f.db(PROBE);
        withoutIndexFiles = open(w + " (index files removed)", f);
      }

      double allDocsCold;
      double allDocsWarm;
      try (Progress p = Progress.start(w, "all-docs in pages of " + PAGE + ", cold then warm", 0)) {
        Database db = f.db();
        long t0 = System.nanoTime();
        long rows = scan(db);
        long t1 = System.nanoTime();
        scan(db);
        long t2 = System.nanoTime();
        if (rows != docs) {
          throw new IllegalStateException("all-docs returned " + rows + " rows, expected " + docs);
        }
        allDocsCold = (t1 - t0) / 1e6;
        allDocsWarm = (t2 - t1) / 1e6;
      }

      // The first compaction of a bulk-loaded database is major (no CAR of its log holds a whole
      // graph yet): a one-time rewrite of every live byte, reported on its own, so that the puts
      // below measure what each write costs from then on (as a user's database after its first).
      ProcIo firstIo0 = ProcIo.now();
      double firstCompactMs;
      try (Progress p = Progress.start(w, "first compaction (major) after the bulk load", 0)) {
        long t0 = System.nanoTime();
        join(f.db().compact());
        firstCompactMs = (System.nanoTime() - t0) / 1e6;
      }
      ProcIo firstIo = ProcIo.now().since(firstIo0);

      // One single-document commit's CAR: the CarLog's growth over one put that no compaction
      // followed (the stats answer after the commit is in the log).
      Database db = f.db();
      DatabaseStats beforeOne = join(db.stats());
      join(db.put(Docs.doc(docs / 3, 1)));
      DatabaseStats afterOne = join(db.stats());
      long commitCar = afterOne.compactions() == beforeOne.compactions()
          ? afterOne.carLogBytes() - beforeOne.carLogBytes() : -1;

      // Sequential single-document puts: updates of random existing documents, default settings
      // (so auto-compaction runs as often as it would for a user).
      DatabaseStats beforePuts = join(db.stats());
      long compactionsBefore = beforePuts.compactions();
      Latencies putLatency = new Latencies(puts);
      Random rnd = new Random(12);
      ProcIo io0 = ProcIo.now();
      Amplification amplification = new Amplification(f.amplification());
      try (Progress p = Progress.start(w, "sequential single-document puts", puts)) {
        for (int i = 0; i < puts; i++) {
          long n = rnd.nextInt(docs);
          long t0 = System.nanoTime();
          join(db.put(Docs.doc(n, 1 + i)));
          putLatency.record(System.nanoTime() - t0);
          p.add(1);
          if (i % AMPLIFICATION_EVERY == 0) {
            amplification.sample(join(db.stats())); // outside the timed put; its IO is counted, a few bytes
          }
        }
      }
      ProcIo putIo = ProcIo.now().since(io0);
      DatabaseStats afterPuts = join(db.stats());
      amplification.sample(afterPuts);
      long autoCompactions = afterPuts.compactions() - compactionsBefore;

      CompactResult compacted;
      double compactMs;
      long peakHeap;
      try (Progress p = Progress.start(w, "explicit compaction", 0); HeapPeak peak = new HeapPeak()) {
        long t0 = System.nanoTime();
        compacted = join(db.compact());
        compactMs = (System.nanoTime() - t0) / 1e6;
        peakHeap = peak.peak();
      }

      double defineMs;
      double queryCold;
      double queryWarm;
      try (Progress p = Progress.start(w, "defineIndex(n) on the existing documents, then a limit-10 query", 0)) {
        long t0 = System.nanoTime();
        join(db.defineIndex("n"));
        defineMs = (System.nanoTime() - t0) / 1e6;
        f.restart();
        Database again = f.db();
        IndexQuery q = IndexQuery.all().withStart(String.valueOf(docs / 2)).withLimit(10).withIncludeDocs(true);
        long t1 = System.nanoTime();
        int rows = join(again.query("n", q)).rows().size();
        long t2 = System.nanoTime();
        join(again.query("n", q));
        long t3 = System.nanoTime();
        if (rows != Math.min(10, docs - docs / 2)) {
          throw new IllegalStateException("the limit-10 query returned " + rows + " rows");
        }
        queryCold = (t2 - t1) / 1e6;
        queryWarm = (t3 - t2) / 1e6;
      }

      double perPut = (double) putIo.writeBytes() / puts;
      double perPutWithFirst = (double) (putIo.writeBytes() + firstIo.writeBytes()) / puts;
      Line line = new Line(NAME).count("docs", docs).count("cars_loaded", loaded.carLogLength())
          .bytes("car_bytes_loaded", loaded.carBytes())
          .section("open").ms("time", open.ms).bytes("rchar", open.io.rchar()).bytes("read_bytes", open.io.readBytes())
          .ratio("rchar/car_bytes", (double) open.io.rchar() / open.carBytes)
          .add("heap_after_open", Workloads.mb(openedHeap));
      if (withoutIndexFiles != null) {
        line.section("open without index files").ms("time", withoutIndexFiles.ms)
            .bytes("rchar", withoutIndexFiles.io.rchar())
            .ratio("time_with/without", open.ms / withoutIndexFiles.ms)
            .ratio("rchar_with/without", (double) open.io.rchar() / withoutIndexFiles.io.rchar());
      }
      line.section("all-docs in pages of " + PAGE).ms("cold", allDocsCold).ms("warm", allDocsWarm)
          .section("first compaction").ms("time", firstCompactMs).bytes("write_bytes", firstIo.writeBytes())
          .section("one-document commit").bytes("car", commitCar)
          .section(puts + " sequential puts").ms("p50", putLatency.percentileMs(50)).ms("p99", putLatency.percentileMs(99))
          .add("write_bytes_per_put", Line.fmt(perPut / 1024) + "KiB")
          .add("wchar_per_put", Line.fmt((double) putIo.wchar() / puts / 1024) + "KiB")
          .add("write_bytes_per_put_with_first_compaction", Line.fmt(perPutWithFirst / 1024) + "KiB")
          .count("auto_compactions", autoCompactions)
          .count("major", afterPuts.majorCompactions() - beforePuts.majorCompactions())
          .count("minor", afterPuts.minorCompactions() - beforePuts.minorCompactions())
          .section("space amplification during the puts (every " + AMPLIFICATION_EVERY + " puts)")
          .count("samples", amplification.samples).count("over_limit", amplification.over)
          .ratio("max_compacted/live", amplification.max).ratio("limit", amplification.limit)
          .ratio("compacted_before_major/live_after", (double) afterPuts.compactedBytes() / compacted.bytesAfter())
          .bytes("car_log_after_puts", afterPuts.carLogBytes()).bytes("live_after_puts", afterPuts.liveBytes())
          .section("compaction").ms("time", compactMs).bytes("before", compacted.bytesBefore())
          .bytes("after", compacted.bytesAfter()).add("peak_heap_used", Workloads.mb(peakHeap))
          .add("max_heap", Workloads.mb(Runtime.getRuntime().maxMemory()))
          .section("index").ms("define_n", defineMs).ms("query10_cold", queryCold).ms("query10_warm", queryWarm)
          .add("loadavg", loadAverage());
      return new Result(docs, perPut, perPutWithFirst, putLatency.percentileMs(50), open.ms, allDocsCold, line);
    }
  }

  /**
   * Every document by all-docs pages of {@link #PAGE} rows, each starting at the last id of the one
   * before (so one reply never holds the whole database, and no ask waits on a million rows).
   */
  private static long scan(Database db) {
    long rows = 0;
    String last = null;
    while (true) {
      AllDocsQuery q = AllDocsQuery.all().withLimit(last == null ? PAGE : PAGE + 1);
      List<DocRow> page = join(db.allDocs(last == null ? q : q.withStart(last))).rows();
      int from = last == null ? 0 : 1;
      rows += page.size() - from;
      if (page.size() < q.limit()) {
        return rows;
      }
      last = page.get(page.size() - 1).id();
    }
  }

  private record Open(double ms, ProcIo io, long carBytes) {}

  /** Opens the database (Kiln already started) and waits until it answers. */
  private static Open open(String w, Fixture f) {
    try (Progress p = Progress.start(w, "opening the database", 0)) {
      ProcIo io0 = ProcIo.now();
      long t0 = System.nanoTime();
      Database db = f.db();
      double ms = (System.nanoTime() - t0) / 1e6;
      ProcIo io = ProcIo.now().since(io0);
      return new Open(ms, io, join(db.stats()).carBytes());
    }
  }

  /** The machine's 1-minute load average when the size finished (figures on a shared machine swing with it). */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** Removes the per-CAR block index files (where the store keeps them), so the next open rebuilds them. */
  static int deleteIndexFiles(Path cars) {
    int removed = 0;
    try (Stream<Path> files = Files.list(cars)) {
      for (Path file : files.toList()) {
        if (file.getFileName().toString().endsWith(".idx")) {
          Files.delete(file);
          removed++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return removed;
  }

  /** The most heap in use (garbage included) seen while it runs, sampled every 5 ms. */
  private static final class HeapPeak implements AutoCloseable {
    private final AtomicLong max = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread sampler;

    HeapPeak() {
      var memory = ManagementFactory.getMemoryMXBean();
      sampler = new Thread(() -> {
        while (!stop.get()) {
          max.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "heap-peak");
      sampler.setDaemon(true);
      sampler.start();
    }

    long peak() {
      return max.get();
    }

    @Override
    public void close() {
      stop.set(true);
      sampler.interrupt();
    }
  }
}
