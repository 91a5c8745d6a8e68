package dev.kiln.testkit.torture;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.actor.Errors;
import dev.kiln.engine.api.Database;
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.car.CarStore;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import dev.kiln.testkit.fault.FaultyCarStore;
import dev.kiln.testkit.fault.FaultyCarStore.Fault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A seeded torture run: writers put documents with unique values, deleters delete them, readers
 * get, scan and read the changes feed, while compaction is forced and the database closed and
 * reopened at random, and (with {@link Options#faults}) the disk fails for short spells. Every
 * operation is recorded; at the end {@link HistoryChecker} looks for anything Kiln got wrong.
 *
 * <p>The seed fixes every thread's choices (which document, which operation, when to compact, which
 * faults); the interleaving of the threads is the machine's.
 */
public final class Torture {
  static final String DB = "torture";
  /** The field index the readers query: every put names its writer. */
  static final String WRITER_INDEX = "writer";
  /** The longest any single call may take before its outcome counts as unknown. */
  static final Duration WAIT = Duration.ofSeconds(60);
  /** A {@code v} that means "not a document the workload wrote". */
  static final long GARBLED = Long.MIN_VALUE;

  /** What to run; every knob has a default that makes a sensible short run. */
  public static final class Options {
    long seed = 1;
    Duration duration = Duration.ofSeconds(10);
    int writers = 8;
    int deleters = 1;
    int readers = 3;
    int docs = 50;
    double compactProbability = 0.1;
    double minorShare = 0.5;
    double reopenProbability = 0.01;
    boolean faults;
    Path dataDir;
    Map<String, Object> settings = new HashMap<>();
    UnaryOperator<CarStore> storeWrapper = UnaryOperator.identity();
    UnaryOperator<TortureDb> dbWrapper = UnaryOperator.identity();
    Function<Kiln, Access> access = kiln -> Access.FACADE;
    Consumer<String> progress = line -> {};
    Duration progressEvery = Duration.ofSeconds(10);
    Predicate<Progress> until;

    public Options seed(long s) {
      seed = s;
      return this;
    }

    /** How long the run lasts; with {@link #until} the longest it may last. */
    public Options duration(Duration d) {
      duration = d;
      return this;
    }

    /**
     * Ends the run as soon as {@code done} holds (checked every 100 ms), so a test runs until it has
     * seen what it needs rather than for a fixed time; {@link #duration} then only bounds the run.
     */
    public Options until(Predicate<Progress> done) {
      until = done;
      return this;
    }

    public Options writers(int n) {
      writers = n;
      return this;
    }

    public Options deleters(int n) {
      deleters = n;
      return this;
    }

    public Options readers(int n) {
      readers = n;
      return this;
    }

    /** How many document ids the workload uses. */
    public Options docs(int n) {
      docs = n;
      return this;
    }

    /** The share of forced compactions asked to be minor (the rest are major); 0.5 unless set. */
    public Options minorShare(double share) {
      minorShare = share;
      return this;
    }

    /** The chance, every 100 ms, that a compaction is forced. */
    public Options compactProbability(double p) {
      compactProbability = p;
      return this;
    }

    /** The chance, every 100 ms, that the database is closed and reopened. */
    public Options reopenProbability(double p) {
      reopenProbability = p;
      return this;
    }

    /** Put a seeded {@link FaultyCarStore} in front of the disk and fail it for short spells. */
    public Options faults(boolean on) {
      faults = on;
      return this;
    }

    /** Where the database and journal live; null (the default) makes a temporary directory, removed after a clean run. */
    public Options dataDir(Path dir) {
      dataDir = dir;
      return this;
    }

    /** A Kiln configuration key for the run, e.g. {@code kiln.block-cache-bytes}. */
    public Options setting(String key, Object value) {
      settings.put(key, value);
      return this;
    }

    /** Wraps the file store of each open, inside the fault injector (a test's sabotage). */
    public Options storeWrapper(UnaryOperator<CarStore> w) {
      storeWrapper = w;
      return this;
    }

    /** Wraps the database the workload calls, after each open (a test's sabotage). */
    public Options dbWrapper(UnaryOperator<TortureDb> w) {
      dbWrapper = w;
      return this;
    }

    /**
     * How the workload reaches the run's Kiln instead of the facade: {@code start} is called once Kiln
     * has started (to start a server on it, say) and the access it returns is closed before Kiln is.
     */
    public Options access(Function<Kiln, Access> start) {
      access = start;
      return this;
    }

    public Options progress(Consumer<String> sink, Duration every) {
      progress = sink;
      progressEvery = every;
      return this;
    }
  }

  /** A way to the run's databases other than the facade, e.g. an HTTP client of a server on the run's Kiln. */
  public interface Access extends AutoCloseable {
    Access FACADE = facade -> facade;

    /** The database the workload calls in place of the facade's, after each open. */
    TortureDb wrap(TortureDb facade);

    @Override
    default void close() {}
  }

  /** What a run has done so far; {@code anomalies} counts those seen while running (errors, failed recoveries). */
  public record Progress(long ops, long compactions, long reopens, long faults, long anomalies, long minorCompactions) {}

  /**
   * What a run did and found.
   *
   * @param elapsed how long the workload ran (its threads' start to their end), for throughput
   * @param acked writes (puts and deletes) acknowledged
   * @param minorCompactions of the {@code compactions} forced and installed, those that ran minor
   */
  public record Report(long seed, long ops, long compactions, long reopens, long faults, List<Anomaly> anomalies,
      long origin, Path dataDir, String breakdown, Duration elapsed, long acked, long minorCompactions) {
    public boolean ok() {
      return anomalies.isEmpty();
    }

    /** The last line of {@code kiln torture}. */
    public String summary() {
      return "torture: ops=" + ops + " compactions=" + compactions + " (minor " + minorCompactions + ") reopens="
          + reopens + " faults=" + faults + " anomalies=" + anomalies.size();
    }

    /** The seed and each anomaly with the operations that show it (at most {@code max} anomalies). */
    public String describe(int max) {
      StringBuilder b = new StringBuilder("torture: seed " + seed + ": " + anomalies.size() + " anomalies");
      for (int i = 0; i < anomalies.size() && i < max; i++) {
        b.append("\n  ").append(anomalies.get(i).render(origin));
      }
      if (anomalies.size() > max) {
        b.append("\n  … and ").append(anomalies.size() - max).append(" more");
      }
      if (dataDir != null) {
        b.append("\n  data kept in ").append(dataDir);
      }
      return b.toString();
    }
  }

  private Torture() {}

  public static Options options() {
    return new Options();
  }

  public static Report run(Options o) {
    Path dir;
    try {
      dir = o.dataDir != null ? o.dataDir : Files.createTempDirectory("kiln-torture");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Object> settings = new HashMap<>(o.settings);
    if (o.faults) {
      // A small block cache, so reads reach the failing disk rather than memory.
      settings.putIfAbsent("kiln.block-cache-bytes", "64KiB");
    }
    Report report;
    try (Kiln kiln = TestKiln.start(dir, settings); Access access = o.access.apply(kiln)) {
      report = new Run(o, kiln, access).go();
    }
    if (o.dataDir == null && report.ok()) {
      deleteTree(dir);
      return report;
    }
    return new Report(report.seed(), report.ops(), report.compactions(), report.reopens(), report.faults(),
        report.anomalies(), report.origin(), dir, report.breakdown(), report.elapsed(), report.acked(),
        report.minorCompactions());
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is no failure of the run
    }
  }

  /** One run's state, shared by its threads. */
  private static final class Run {
    final Options o;
    final Kiln kiln;
    final Access access;
    final History history = new History();
    final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    final AtomicLong values = new AtomicLong();
    final AtomicLong compactions = new AtomicLong();
    final AtomicLong minorCompactions = new AtomicLong();
    final AtomicLong reopens = new AtomicLong();
    final AtomicLong maxSeq = new AtomicLong();
    final AtomicLong onlineAnomalies = new AtomicLong();
    final List<FaultyCarStore> stores = new CopyOnWriteArrayList<>();
    final List<Anomaly> recovery = Collections.synchronizedList(new ArrayList<>());
    final HistoryChecker errorsOnly;
    final ConcurrentHashMap<String, String> interned = new ConcurrentHashMap<>();
    volatile Database raw;
    volatile TortureDb db;
    volatile FaultyCarStore faulty;
    volatile boolean stop;
    volatile long halfway = Long.MAX_VALUE;
    final long origin = System.nanoTime();

    Run(Options o, Kiln kiln, Access access) {
      this.o = o;
      this.kiln = kiln;
      this.access = access;
      this.errorsOnly = new HistoryChecker(o.faults ? EnumSet.of(ErrorCode.STORAGE)
          : EnumSet.noneOf(ErrorCode.class));
    }

    Report go() {
      open();
      SplittableRandom master = new SplittableRandom(o.seed);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < o.writers; i++) {
        threads.add(worker("w" + i, master.split(), this::writeOnce));
      }
      for (int i = 0; i < o.deleters; i++) {
        threads.add(worker("d" + i, master.split(), this::deleteOnce));
      }
      for (int i = 0; i < o.readers; i++) {
        // Reads answer from memory in microseconds; a short pause keeps them from swamping the history
        // (and the check) while leaving hundreds of reads around every commit and compaction.
        threads.add(worker("r" + i, master.split(), (name, random) -> {
          readOnce(name, random);
          sleep(1);
        }));
      }
      SplittableRandom chaos = master.split();
      threads.add(thread("chaos", () -> chaos(chaos)));
      if (o.faults) {
        SplittableRandom faults = master.split();
        threads.add(thread("faults", () -> faults(faults)));
      }
      long deadline = System.nanoTime() + o.duration.toNanos();
      halfway = System.nanoTime() + o.duration.toNanos() / 2;
      long started = System.nanoTime();
      threads.forEach(Thread::start);
      long nextProgress = System.nanoTime() + o.progressEvery.toNanos();
      while (System.nanoTime() < deadline && (o.until == null || !o.until.test(counts()))) {
        sleep(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        if (System.nanoTime() >= nextProgress) {
          o.progress.accept(progress());
          nextProgress += o.progressEvery.toNanos();
        }
      }
      stop = true;
      for (Thread t : threads) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      finish();
      List<Op> ops = history.ops();
      List<Anomaly> anomalies = new ArrayList<>(recovery);
      anomalies.addAll(HistoryChecker.check(ops, o.faults));
      return new Report(o.seed, ops.size(), compactions.get(), reopens.get(), faultCount(), anomalies, origin, null,
          breakdown(ops), elapsed, ops.stream().filter(Op::acked).count(), minorCompactions.get());
    }

    /** Operations by kind and outcome, e.g. "PUT ok=812 STORAGE=9 unknown=1". */
    String breakdown(List<Op> ops) {
      Map<OpKind, Map<String, Long>> counts = new EnumMap<>(OpKind.class);
      for (Op op : ops) {
        String how = op.outcome() instanceof Outcome.Ok ? "ok"
            : op.outcome() instanceof Outcome.Failed f ? f.code().name() : "unknown";
        counts.computeIfAbsent(op.kind(), k -> new TreeMap<>()).merge(how, 1L, Long::sum);
      }
      StringBuilder b = new StringBuilder();
      counts.forEach((kind, byOutcome) -> {
        b.append(b.length() == 0 ? "" : "; ").append(kind);
        byOutcome.forEach((how, n) -> b.append(' ').append(how).append('=').append(n));
      });
      StringBuilder f = new StringBuilder();
      for (Fault kind : Fault.values()) {
        long n = 0;
        for (FaultyCarStore st : stores) {
          n += st.injected(kind);
        }
        if (n > 0) {
          f.append(f.length() == 0 ? "; faults " : " ").append(kind).append('=').append(n);
        }
      }
      return b.append(f).toString();
    }

    Progress counts() {
      return new Progress(history.size(), compactions.get(), reopens.get(), faultCount(),
          onlineAnomalies.get() + recovery.size(), minorCompactions.get());
    }

    String progress() {
      return String.format(Locale.ROOT, "torture: %ds ops=%d compactions=%d reopens=%d faults=%d anomalies=%d",
          (System.nanoTime() - origin) / 1_000_000_000L, history.size(), compactions.get(), reopens.get(),
          faultCount(), onlineAnomalies.get() + recovery.size());
    }

    long faultCount() {
      long n = 0;
      for (FaultyCarStore s : stores) {
        n += s.injectedTotal();
      }
      return n;
    }

    void open() {
      UnaryOperator<CarStore> wrap = file -> {
        CarStore store = o.storeWrapper.apply(file);
        if (!o.faults) {
          return store;
        }
        FaultyCarStore f = FaultyCarStore.builder(store).seed(o.seed * 1_000_003L + stores.size())
            .slowness(0, Duration.ofMillis(30)).build();
        stores.add(f);
        faulty = f;
        return f;
      };
      // The index on "writer" is registered, so the first query builds it and every write keeps it current.
      Database d = kiln.open(DB, kiln.defaults().withIndex(IndexDefinition.field(WRITER_INDEX)), wrap);
      raw = d;
      db = o.dbWrapper.apply(access.wrap(TortureDb.of(d)));
    }

    /** The final look: a clean reopen, then a full scan and a full changes feed. */
    void finish() {
      reopen("final");
      perform("final", OpKind.ALL_DOCS, null, 0, 0, this::scan);
      perform("final", OpKind.CHANGES, null, 0, 0, d -> feed(d, 0));
      try {
        raw.close().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Kiln.close() ends it either way; the history is complete
      }
    }

    Thread worker(String name, SplittableRandom random, BiConsumer<String, SplittableRandom> step) {
      return thread(name, () -> {
        while (!stop) {
          step.accept(name, random);
        }
      });
    }

    static Thread thread(String name, Runnable body) {
      Thread t = new Thread(body, "torture-" + name);
      t.setDaemon(true);
      return t;
    }

    String docId(SplittableRandom random) {
      return String.format(Locale.ROOT, "d%04d", random.nextInt(o.docs));
    }

    void writeOnce(String process, SplittableRandom random) {
      String id = docId(random);
      long v = values.incrementAndGet();
      ObjectNode doc = JsonNodeFactory.instance.objectNode().put("_id", id).put("v", v).put("writer", process);
      perform(process, OpKind.PUT, id, v, 0, d -> d.put(doc).thenApply(this::written));
    }

    void deleteOnce(String process, SplittableRandom random) {
      String id = docId(random);
      perform(process, OpKind.DELETE, id, 0, 0, d -> d.delete(id).thenApply(this::written));
    }

    void readOnce(String process, SplittableRandom random) {
      int pick = random.nextInt(10);
      if (pick < 5) {
        String id = docId(random);
        perform(process, OpKind.GET, id, 0, 0, d -> get(d, id));
      } else if (pick < 7) {
        perform(process, OpKind.ALL_DOCS, null, 0, 0, this::scan);
      } else if (pick < 9) {
        String writer = "w" + random.nextInt(Math.max(1, o.writers));
        perform(process, OpKind.QUERY, writer, 0, 0, d -> query(d, writer));
      } else {
        long since = random.nextInt(3) == 0 ? random.nextLong(maxSeq.get() + 1) : 0;
        perform(process, OpKind.CHANGES, null, 0, since, d -> feed(d, since));
      }
    }

    Reply written(DatabaseProtocol.WriteResult w) {
      maxSeq.accumulateAndGet(w.seq(), Math::max);
      return new Reply.Written(w.seq(), w.clock());
    }

    static CompletionStage<Reply> get(TortureDb d, String id) {
      return d.get(id).<Reply>thenApply(doc -> new Reply.Read(valueOf(id, doc)))
          .exceptionallyCompose(t -> Errors.unwrap(t) instanceof KilnException k && k.code() == ErrorCode.NOT_FOUND
              ? CompletableFuture.completedFuture(new Reply.Read(null))
              : CompletableFuture.failedFuture(t));
    }

    CompletionStage<Reply> scan(TortureDb d) {
      return d.allDocs().thenApply(r -> {
        List<Reply.Row> rows = new ArrayList<>(r.rows().size());
        for (DatabaseProtocol.DocRow row : r.rows()) {
          if (!row.deleted()) { // the scan leaves deleted documents out; were one here, its absence shows it
            rows.add(new Reply.Row(intern(row.id()), liveValueOf(row.id(), row.doc())));
          }
        }
        return new Reply.Scanned(List.copyOf(rows), intern(r.clock()));
      });
    }

    CompletionStage<Reply> query(TortureDb d, String writer) {
      return d.queryByWriter(writer).thenApply(r -> {
        List<Reply.Row> rows = new ArrayList<>(r.rows().size());
        for (DatabaseProtocol.QueryRow row : r.rows()) {
          boolean consistent = writer.equals(row.key().asText()) && row.doc() != null
              && writer.equals(row.doc().path("writer").asText());
          rows.add(new Reply.Row(intern(row.id()), consistent ? liveValueOf(row.id(), row.doc()) : GARBLED));
        }
        return new Reply.Queried(writer, List.copyOf(rows), intern(r.clock()));
      });
    }

    CompletionStage<Reply> feed(TortureDb d, long since) {
      return d.changes(since).thenApply(r -> {
        List<Reply.Change> changes = new ArrayList<>(r.changes().size());
        for (DatabaseProtocol.Change c : r.changes()) {
          changes.add(new Reply.Change(c.seq(), intern(c.id()), c.deleted(), c.deleted() ? 0 : liveValueOf(c.id(), c.doc())));
        }
        return new Reply.Fed(List.copyOf(changes), r.lastSeq(), intern(r.clock()));
      });
    }

    /** One String per id and clock, however many replies name it. */
    String intern(String s) {
      if (s == null) {
        return null;
      }
      String known = interned.putIfAbsent(s, s);
      return known == null ? s : known;
    }

    /** The {@code v} of a document the workload wrote; {@link #GARBLED} for anything else. */
    static Long valueOf(String id, ObjectNode doc) {
      if (doc == null) {
        return null;
      }
      if (!id.equals(doc.path("_id").asText()) || !doc.path("v").canConvertToLong()) {
        return GARBLED;
      }
      return doc.path("v").asLong();
    }

    /** The {@code v} of a row that should hold a live document; {@link #GARBLED} if it holds none. */
    static long liveValueOf(String id, ObjectNode doc) {
      Long v = valueOf(id, doc);
      return v == null ? GARBLED : v;
    }

    /** Invokes one call on the current database, waits for its outcome and records both. */
    Op perform(String process, OpKind kind, String doc, long value, long since,
        Function<TortureDb, CompletionStage<Reply>> call) {
      History.Pending pending;
      CompletableFuture<Reply> reply;
      gate.readLock().lock();
      try {
        pending = history.invoke(process, kind, doc, value, since);
        try {
          reply = call.apply(db).toCompletableFuture();
        } catch (RuntimeException e) {
          reply = CompletableFuture.failedFuture(e);
        }
      } finally {
        gate.readLock().unlock();
      }
      Op done;
      try {
        done = pending.ok(reply.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
      } catch (ExecutionException e) {
        Throwable t = Errors.unwrap(e);
        if (t instanceof KilnException k && k.code() == ErrorCode.TIMEOUT) {
          done = pending.unknown("TIMEOUT: " + k.getMessage());
        } else if (t instanceof KilnException k) {
          done = pending.failed(k.code(), k.getMessage());
        } else {
          done = pending.failed(ErrorCode.INTERNAL, "untyped error: " + t);
        }
      } catch (TimeoutException e) {
        done = pending.unknown("no answer in " + WAIT);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        done = pending.unknown("interrupted");
      }
      if (errorsOnly.unexpected(done)) {
        onlineAnomalies.incrementAndGet();
      }
      return done;
    }

    /** Every 100 ms: maybe force a compaction, maybe close and reopen the database. */
    void chaos(SplittableRandom random) {
      while (!stop) {
        sleep(100);
        // Past half time, a run that has not compacted or reopened yet (a slow machine, few ticks) does so once.
        boolean late = System.nanoTime() > halfway;
        boolean compact = random.nextDouble() < o.compactProbability
            || (late && o.compactProbability > 0 && compactions.get() == 0);
        boolean reopen = random.nextDouble() < o.reopenProbability
            || (late && o.reopenProbability > 0 && reopens.get() == 0);
        if (compact) {
          CompactionKind kind = random.nextDouble() < o.minorShare ? CompactionKind.MINOR : CompactionKind.MAJOR;
          Op c = perform("chaos", OpKind.COMPACT, null, 0, 0, d -> d.compact(kind).thenApply(r -> {
            if (r.kind() == CompactionKind.MINOR) {
              minorCompactions.incrementAndGet();
            }
            return new Reply.Done(r.kind() + " carLog " + r.carLogBefore() + " -> " + r.carLogAfter());
          }));
          if (c.outcome() instanceof Outcome.Ok) {
            compactions.incrementAndGet();
          }
        }
        if (reopen && !stop) {
          reopen("chaos");
          reopens.incrementAndGet();
        }
      }
    }

    /** Closes the database (answering what is in flight) and opens it again; no call starts meanwhile. */
    void reopen(String process) {
      gate.writeLock().lock();
      try {
        FaultyCarStore f = faulty;
        if (f != null) {
          f.heal(); // a fault spell ends before the close; the probe after it checks recovery
        }
        History.Pending p = history.invoke(process, OpKind.REOPEN, null, 0, 0);
        try {
          raw.close().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
          open();
          p.ok(new Reply.Done("reopened"));
        } catch (ExecutionException e) {
          Throwable t = Errors.unwrap(e);
          p.failed(t instanceof KilnException k ? k.code() : ErrorCode.INTERNAL, "close failed: " + t);
          onlineAnomalies.incrementAndGet();
          open();
        } catch (TimeoutException | InterruptedException e) {
          p.unknown("close did not finish: " + e);
          open();
        }
      } finally {
        gate.writeLock().unlock();
      }
    }

    /** Short spells of disk failure, each followed by a probe that the database works again. */
    void faults(SplittableRandom random) {
      // SLOW fails nothing: the disk stalls (30 ms a call) and everything must still come out right.
      Fault[] kinds = {Fault.WRITE_FAILURE, Fault.PARTIAL_WRITE, Fault.DISK_FULL, Fault.FSYNC_FAILURE, Fault.READ_FAILURE,
          Fault.SLOW};
      while (!stop) {
        sleep(300 + random.nextInt(900));
        if (stop) {
          return;
        }
        gate.readLock().lock(); // no reopen during a spell: the store it arms would be gone
        try {
          FaultyCarStore f = faulty;
          f.rate(kinds[random.nextInt(kinds.length)], 0.2 + random.nextDouble() * 0.3);
          if (random.nextBoolean()) {
            f.rate(Fault.READ_FAILURE, 0.1 + random.nextDouble() * 0.3);
          }
          // The spell lasts its seeded time, and on a slow machine on until it has hit something (2 s at most).
          long before = f.injectedTotal();
          long spellEnd = System.nanoTime() + (150 + random.nextInt(450)) * 1_000_000L;
          long longest = System.nanoTime() + 2_000_000_000L;
          while (!stop && (System.nanoTime() < spellEnd || (f.injectedTotal() == before && System.nanoTime() < longest))) {
            sleep(10);
          }
          f.heal();
        } finally {
          gate.readLock().unlock();
        }
        probe();
      }
    }

    /** After a fault spell: a put and a get of a probe document must succeed again (three tries). */
    void probe() {
      List<Op> tries = new ArrayList<>();
      for (int attempt = 0; attempt < 3; attempt++) {
        long v = values.incrementAndGet();
        ObjectNode doc = JsonNodeFactory.instance.objectNode().put("_id", "probe").put("v", v).put("writer", "probe");
        Op put = perform("probe", OpKind.PUT, "probe", v, 0, d -> d.put(doc).thenApply(this::written));
        tries.add(put);
        if (put.acked()) {
          Op get = perform("probe", OpKind.GET, "probe", 0, 0, d -> get(d, "probe"));
          tries.add(get);
          if (get.outcome() instanceof Outcome.Ok) {
            return;
          }
        }
        sleep(200);
      }
      recovery.add(new Anomaly("no recovery", "probe", "the database still failed three probes after the fault "
          + "spell ended", List.copyOf(tries)));
    }

    static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
