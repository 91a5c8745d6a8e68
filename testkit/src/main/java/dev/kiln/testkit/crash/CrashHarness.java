package dev.kiln.testkit.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Kills Kiln with SIGKILL while it writes, restarts it, and checks that it kept every promise.
 *
 * <p>Each cycle launches a {@link CrashChild} JVM on the same data directory, records every line it
 * prints, and kills it at the moment a {@link KillPlan} picks (after some acknowledgements, or just
 * after a compaction started or finished). Then it restarts Kiln on the directory in this JVM and
 * checks, through {@link CrashLedger}, that every acknowledged put is there with its content unless
 * a later acknowledged delete removed it, that every acknowledged delete stayed deleted, that
 * all-docs, get, changes and stats agree, and that no CAR the CarLog does not name and no temp file
 * is left. The next cycle writes on from there, so recovery after recovery is exercised.
 *
 * <pre>{@code
 * CrashReport report = CrashHarness.builder(dir).seed(42).cycles(3).compactEvery(25).build().run();
 * }</pre>
 *
 * A broken promise throws {@link CrashCheckFailed}, naming the seed and the cycle.
 *
 * <p>With {@link Builder#deletePause} the child deletes replaced CARs slowly and announces each
 * deletion, so plans can also kill while replaced CARs are being deleted
 * ({@link KillPlan#duringDeletion}). For long runs (a command, a soak) use
 * {@link #run(Config, java.util.function.Consumer)}: every kind of kill, progress per cycle, and
 * figures back instead of an exception.
 */
public final class CrashHarness {
  /** The line the parent writes to the child's stdin to let a waiting deletion or early ACK go on. */
  static final String GO = "GO";

  /** Exit code of a process ended by SIGKILL (128 + 9). */
  public static final int SIGKILL_EXIT = 137;

  /** Picks the kill plan of each cycle. */
  @FunctionalInterface
  public interface Planner {
    KillPlan plan(int cycle, Random random);
  }

  private final Path dataDir;
  private final Path logDir;
  private final String db;
  private final long seed;
  private final int cycles;
  private final int writers;
  private final int compactEvery;
  private final Map<String, Object> settings;
  private final Planner planner;
  private final List<String> jvmOptions;
  private final String classpath;
  private final Duration killTimeout;
  private final boolean ackBeforeWrite;
  private final Duration deletePause;
  private final Consumer<String> log;

  private CrashHarness(Builder b) {
    this.dataDir = b.dataDir.toAbsolutePath();
    this.logDir = b.logDir != null ? b.logDir.toAbsolutePath()
        : dataDir.resolveSibling(dataDir.getFileName() + "-crash-logs");
    this.db = b.db;
    this.seed = b.seed;
    this.cycles = b.cycles;
    this.writers = b.writers;
    this.compactEvery = b.compactEvery;
    this.settings = Map.copyOf(b.settings);
    this.deletePause = b.deletePause;
    this.planner = b.planner != null ? b.planner
        : (cycle, random) -> KillPlan.random(random, compactEvery > 0, !deletePause.isZero());
    this.jvmOptions = List.copyOf(b.jvmOptions);
    this.classpath = b.classpath;
    this.killTimeout = b.killTimeout;
    this.ackBeforeWrite = b.ackBeforeWrite;
    this.log = b.log;
  }

  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /**
   * Runs the harness from the command line (its exit code is 1 when a promise was broken):
   *
   * <pre>
   * java -cp CLASSPATH dev.kiln.testkit.crash.CrashHarness --data-dir DIR [--seed S] [--cycles N] [--writers W]
   *      [--compact-every N] [--delete-pause-ms P] [--set kiln.key=value]... [--ack-before-write]
   * </pre>
   */
  public static void main(String[] args) {
    Builder b = null;
    List<String[]> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--ack-before-write")) {
        rest.add(new String[] {args[i], "true"});
      } else if (i + 1 < args.length) {
        rest.add(new String[] {args[i], args[++i]});
      } else {
        throw new IllegalArgumentException("option " + args[i] + " needs a value");
      }
    }
    for (String[] o : rest) {
      if (o[0].equals("--data-dir")) {
        b = builder(Path.of(o[1]));
      }
    }
    if (b == null) {
      throw new IllegalArgumentException("--data-dir is required");
    }
    for (String[] o : rest) {
      switch (o[0]) {
        case "--data-dir" -> { }
        case "--seed" -> b.seed(Long.parseLong(o[1]));
        case "--cycles" -> b.cycles(Integer.parseInt(o[1]));
        case "--writers" -> b.writers(Integer.parseInt(o[1]));
        case "--compact-every" -> b.compactEvery(Integer.parseInt(o[1]));
        case "--ack-before-write" -> b.ackBeforeWrite(true);
        case "--delete-pause-ms" -> b.deletePause(Duration.ofMillis(Long.parseLong(o[1])));
        case "--set" -> {
          int eq = o[1].indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--set needs key=value, got '" + o[1] + "'");
          }
          b.setting(o[1].substring(0, eq), o[1].substring(eq + 1));
        }
        default -> throw new IllegalArgumentException("unknown option " + o[0]);
      }
    }
    try {
      CrashReport report = b.build().run();
      System.out.println("kills by kind: " + report.killsByKind() + "; during a compaction " + report.killsDuringCompaction()
          + ", during deletion of replaced CARs " + report.killsDuringDeletion());
    } catch (CrashCheckFailed e) {
      System.err.println(e.getMessage());
      System.exit(1);
    }
    System.exit(0);
  }

  /**
   * Runs every cycle.
   *
   * @throws CrashCheckFailed when a restarted database broke a promise, or a child did not die by SIGKILL
   * @throws IllegalArgumentException when the data directory is not empty (the check must know every write)
   */
  public CrashReport run() {
    return run(new ArrayList<>());
  }

  /** As {@link #run()}, adding each cycle to {@code done} as it passes its check (partial figures on a failure). */
  private CrashReport run(List<CrashReport.Cycle> done) {
    if (isNonEmptyDirectory(dataDir)) {
      throw new IllegalArgumentException("the crash harness needs a fresh data directory, " + dataDir + " is not empty");
    }
    try {
      Files.createDirectories(dataDir);
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir + " or " + logDir, e);
    }
    CrashLedger ledger = new CrashLedger();
    Random plans = new Random(seed);
    long compactionsBefore = 0;
    for (int cycle = 1; cycle <= cycles; cycle++) {
      KillPlan plan = planner.plan(cycle, plans);
      Path logFile = logDir.resolve("cycle-" + cycle + ".log");
      String where = "cycle " + cycle + " (" + plan + ")";
      long t0 = System.nanoTime();
      Child child = runChild(cycle, plan, logFile);
      long childMillis = (System.nanoTime() - t0) / 1_000_000;

      List<String> problems = new ArrayList<>(child.problems());
      if (!problems.isEmpty()) {
        throw new CrashCheckFailed(seed, cycle, where + ", child log " + logFile, problems);
      }
      for (CrashLine line : child.lines) {
        ledger.record(line, where);
      }
      int filesAfterKill = DatabaseImage.filesIn(dataDir, db);

      long t1 = System.nanoTime();
      DatabaseImage image;
      try {
        image = DatabaseImage.read(dataDir, db, settings);
      } catch (RuntimeException e) {
        throw new CrashCheckFailed(seed, cycle, where + ", child log " + logFile,
            List.of("the database cannot be read after the restart: " + e));
      }
      problems.addAll(ledger.check(image));
      long verifyMillis = (System.nanoTime() - t1) / 1_000_000;
      if (!problems.isEmpty()) {
        throw new CrashCheckFailed(seed, cycle, where + ", child log " + logFile, problems);
      }
      CrashReport.Cycle report = new CrashReport.Cycle(cycle, plan, child.killedByPlan, child.exitCode, child.acksAtKill,
          ledger.acksSinceSettle(), child.fails, child.started, child.finished, child.startedAtKill > child.finishedAtKill,
          image.stats().compactions() - compactionsBefore, filesAfterKill, image.stats().carLogLength(),
          image.liveCount(), image.stats().lastSeq(), ledger.lastCounts(), childMillis, verifyMillis,
          child.deleting, child.deleted, child.deletingAtKill > child.deletedAtKill);
      ledger.settle(image);
      compactionsBefore = image.stats().compactions();
      done.add(report);
      log.accept(report.summary(seed, cycles));
    }
    CrashReport report = new CrashReport(seed, done);
    log.accept(report.summary());
    return report;
  }

  // ------------------------------------------------------------------ entry point for long runs

  /**
   * A crash run as a command would ask for it.
   *
   * @param seed picks the kill plans and the workloads; the same seed repeats them
   * @param cycles kill-restart-verify cycles
   * @param writers concurrent writers in the child
   * @param compactEvery the child asks for a compaction after this many acks (0: never)
   * @param deletePause how long each deletion of a replaced CAR waits after announcing itself (zero:
   *     no kills during deletion)
   * @param killTimeout a child still running this long after its start is killed anyway
   * @param dataDir a fresh directory to run in, or null for a temporary one (removed after a passing run)
   * @param settings Kiln settings for the child and the restarts
   */
  public record Config(long seed, int cycles, int writers, int compactEvery, Duration deletePause, Duration killTimeout,
      Path dataDir, Map<String, Object> settings) {
    public Config {
      settings = Map.copyOf(settings);
    }

    /**
     * Every kind of kill: after acks, during and right after compactions, and (with a 40 ms pause)
     * during deletions of replaced CARs; eight writers, a compaction every 25 acks, auto-compaction
     * after every second commit.
     */
    public static Config of(long seed, int cycles) {
      return new Config(seed, cycles, 8, 25, Duration.ofMillis(40), Duration.ofSeconds(60), null,
          Map.of("kiln.compaction.max-wait", "200ms", "kiln.auto-compact", 2));
    }

    public Config withDataDir(Path dir) {
      return new Config(seed, cycles, writers, compactEvery, deletePause, killTimeout, dir, settings);
    }

    public Config withWriters(int n) {
      return new Config(seed, cycles, n, compactEvery, deletePause, killTimeout, dataDir, settings);
    }

    public Config withCompactEvery(int acks) {
      return new Config(seed, cycles, writers, acks, deletePause, killTimeout, dataDir, settings);
    }

    public Config withDeletePause(Duration pause) {
      return new Config(seed, cycles, writers, compactEvery, pause, killTimeout, dataDir, settings);
    }
  }

  /**
   * Runs {@code config.cycles()} cycles, passing each cycle's summary to {@code progress} as it is
   * done, and answers with the figures; a broken promise ends the run and is in the figures (with
   * the child logs kept for replay), not thrown.
   */
  public static CrashFigures run(Config config, Consumer<String> progress) {
    long t0 = System.nanoTime();
    boolean temporary = config.dataDir() == null;
    Path root;
    try {
      root = temporary ? Files.createTempDirectory("kiln-crash-") : config.dataDir();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for the crash run", e);
    }
    Builder b = builder(temporary ? root.resolve("data") : root)
        .seed(config.seed())
        .cycles(config.cycles())
        .writers(config.writers())
        .compactEvery(config.compactEvery())
        .deletePause(config.deletePause())
        .killTimeout(config.killTimeout())
        .progress(progress);
    if (temporary) {
      b.logDir(root.resolve("logs"));
    }
    config.settings().forEach(b::setting);
    List<CrashReport.Cycle> done = new ArrayList<>();
    CrashCheckFailed failure = null;
    try {
      b.build().run(done);
    } catch (CrashCheckFailed e) {
      failure = e;
      progress.accept(e.getMessage());
    }
    CrashFigures figures = CrashFigures.of(config, new CrashReport(config.seed(), done), failure, root,
        (System.nanoTime() - t0) / 1_000_000);
    if (temporary && failure == null) {
      deleteTree(root);
    }
    return figures;
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }

  // ------------------------------------------------------------------ one child

  /** What the parent saw of one child; written by the reader thread, read after it ended. */
  private static final class Child {
    final List<CrashLine> lines = new ArrayList<>();
    final List<String> badLines = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    Process process;
    KillPlan plan;
    int acks;
    int fails;
    int started;
    int finished;
    int deleting;
    int deleted;
    int acksAtTrigger = -1;
    volatile boolean killSent;
    boolean killedByPlan;
    int acksAtKill;
    int startedAtKill;
    int finishedAtKill;
    int deletingAtKill;
    int deletedAtKill;
    int exitCode;
    boolean ready;
    /** Whether the child waits for a go-ahead after each DELETING line, and after each ACK line. */
    boolean answersDeletions;
    boolean answersAcks;

    /** Reads the child's stdout to its end, killing the child when the plan says. */
    void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String text;
        while ((text = in.readLine()) != null) {
          CrashLine line;
          try {
            line = CrashLine.parse(text);
          } catch (IllegalArgumentException e) {
            badLines.add(text);
            continue;
          }
          lines.add(line);
          if (line instanceof CrashLine.Ready) {
            ready = true;
          } else if (line instanceof CrashLine.Ack) {
            acks++;
          } else if (line instanceof CrashLine.Fail) {
            fails++;
          } else if (line instanceof CrashLine.Compacting) {
            started++;
          } else if (line instanceof CrashLine.Compacted) {
            finished++;
          } else if (line instanceof CrashLine.Deleting) {
            deleting++;
          } else if (line instanceof CrashLine.Deleted) {
            deleted++;
          }
          if (!killSent) {
            if (acksAtTrigger < 0 && plan.triggered(acks, started, finished, deleting)) {
              acksAtTrigger = acks;
            }
            if (acksAtTrigger >= 0 && acks - acksAtTrigger >= plan.thenAcks()) {
              kill(true);
            }
          }
          if (!killSent && (answersDeletions && line instanceof CrashLine.Deleting
              || answersAcks && line instanceof CrashLine.Ack)) {
            goAhead();
          }
        }
      } catch (IOException e) {
        notes.add("reading the child's output failed: " + e);
      }
    }

    /** Lets the child go on past the line it waits at (it waits only where the parent might kill). */
    void goAhead() {
      try {
        OutputStream stdin = process.getOutputStream();
        stdin.write((GO + "\n").getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
      } catch (IOException e) {
        // the child is gone already; what it printed is still checked
      }
    }

    synchronized void kill(boolean byPlan) {
      if (killSent) {
        return;
      }
      killSent = true;
      killedByPlan = byPlan;
      acksAtKill = acks;
      startedAtKill = started;
      finishedAtKill = finished;
      deletingAtKill = deleting;
      deletedAtKill = deleted;
      // SIGKILL on Linux and macOS: no shutdown hook, no flush, no cleanup. Through the handle, not
      // Process.destroyForcibly(), which also closes our end of the pipe: lines the child printed
      // before it died are still to be read, and each ACK among them is a promise to check.
      process.toHandle().destroyForcibly();
    }

    List<String> problems() {
      List<String> p = new ArrayList<>(notes);
      if (!badLines.isEmpty()) {
        p.add("the child printed lines that are not part of the protocol on stdout: " + badLines.subList(0, Math.min(5, badLines.size())));
      }
      if (!ready) {
        p.add("the child never reported READY (exit code " + exitCode + ")");
      }
      return p;
    }
  }

  private Child runChild(int cycle, KillPlan plan, Path logFile) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classpath);
    command.add(CrashChild.class.getName());
    command.addAll(List.of("--data-dir", dataDir.toString(), "--db", db, "--seed", Long.toString(seed * 31 + cycle),
        "--run", Integer.toString(cycle), "--writers", Integer.toString(writers),
        "--compact-every", Integer.toString(compactEvery),
        "--max-seconds", Long.toString(killTimeout.toSeconds() + 60)));
    for (Map.Entry<String, Object> s : settings.entrySet()) {
      command.add("--set");
      command.add(s.getKey() + "=" + s.getValue());
    }
    if (ackBeforeWrite) {
      command.add("--ack-before-write");
    }
    if (!deletePause.isZero()) {
      command.addAll(List.of("--delete-pause-ms", Long.toString(deletePause.toMillis())));
    }
    Child child = new Child();
    child.plan = plan;
    child.answersDeletions = !deletePause.isZero();
    child.answersAcks = ackBeforeWrite;
    try {
      child.process = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.to(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the crash child: " + command, e);
    }
    Thread reader = new Thread(child::read, "crash-harness-reader-" + cycle);
    reader.setDaemon(true);
    reader.start();
    try {
      reader.join(killTimeout.toMillis());
      if (reader.isAlive()) {
        child.kill(false); // the plan's moment never came: kill it anyway, the check still holds
        reader.join(TimeUnit.SECONDS.toMillis(30));
      }
      if (!child.process.waitFor(30, TimeUnit.SECONDS)) {
        child.notes.add("the child did not die within 30 s of SIGKILL");
        child.process.destroyForcibly();
      }
      if (reader.isAlive()) {
        child.notes.add("the child's output did not end within 30 s of its death");
      }
    } catch (InterruptedException e) {
      child.process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the crash child ran", e);
    }
    try {
      child.process.getOutputStream().close(); // the child's stdin: it only ever waited for its end
    } catch (IOException e) {
      // the pipe's other end is gone with the child; nothing to release
    }
    Optional<ProcessHandle> still = ProcessHandle.of(child.process.pid());
    if (still.isPresent() && still.get().isAlive()) {
      child.notes.add("the child (pid " + child.process.pid() + ") is still alive after the kill");
    }
    child.exitCode = child.process.isAlive() ? -1 : child.process.exitValue();
    if (!child.killSent) {
      child.notes.add("the child ended by itself (exit code " + child.exitCode + ") before it was killed; see " + logFile);
    } else if (child.exitCode != SIGKILL_EXIT) {
      child.notes.add("the child's exit code is " + child.exitCode + ", not " + SIGKILL_EXIT + " (SIGKILL)");
    }
    return child;
  }

  private static boolean isNonEmptyDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  // ------------------------------------------------------------------ builder

  public static final class Builder {
    private final Path dataDir;
    private Path logDir;
    private String db = "crash";
    private long seed = 1;
    private int cycles = 3;
    private int writers = 8;
    private int compactEvery = 25;
    private final Map<String, Object> settings = new LinkedHashMap<>(Map.of("kiln.compaction.max-wait", "200ms"));
    private Planner planner;
    private final List<String> jvmOptions = new ArrayList<>(
        List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"));
    private String classpath = System.getProperty("java.class.path");
    private Duration killTimeout = Duration.ofSeconds(60);
    private boolean ackBeforeWrite;
    private Duration deletePause = Duration.ZERO;
    private Consumer<String> log = System.out::println;

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    /** Where each child's stderr goes (cycle-N.log); by default a sibling of the data directory. */
    public Builder logDir(Path dir) {
      this.logDir = dir;
      return this;
    }

    public Builder database(String name) {
      this.db = name;
      return this;
    }

    /** Picks the kill plans and the children's workloads. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** How many times to write, kill, restart and check. */
    public Builder cycles(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("cycles must be at least 1, got " + n);
      }
      this.cycles = n;
      return this;
    }

    /** Concurrent writers in the child. */
    public Builder writers(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("writers must be at least 1, got " + n);
      }
      this.writers = n;
      return this;
    }

    /** The child requests a compaction after every {@code acks} acknowledgements; 0 for none. */
    public Builder compactEvery(int acks) {
      if (acks < 0) {
        throw new IllegalArgumentException("compactEvery must be 0 (never) or more, got " + acks);
      }
      this.compactEvery = acks;
      return this;
    }

    /**
     * A Kiln setting for the child and for the restart, e.g. {@code kiln.auto-compact = 2} (the
     * restart that reads the database always runs with auto-compaction off). The default has one:
     * {@code kiln.compaction.max-wait = 200ms}, so compactions start soon even while writers never pause.
     */
    public Builder setting(String key, Object value) {
      this.settings.put(key, value);
      return this;
    }

    public Builder planner(Planner planner) {
      this.planner = planner;
      return this;
    }

    /** The same plans, one per cycle, in order. */
    public Builder plans(List<KillPlan> plans) {
      List<KillPlan> copy = List.copyOf(plans);
      this.cycles = copy.size();
      this.planner = (cycle, random) -> copy.get(cycle - 1);
      return this;
    }

    /** Options for the child JVM (replacing the defaults: a small heap, serial GC, C1 only). */
    public Builder jvmOptions(List<String> options) {
      this.jvmOptions.clear();
      this.jvmOptions.addAll(options);
      return this;
    }

    /** The child's classpath; by default this JVM's. */
    public Builder classpath(String classpath) {
      this.classpath = classpath;
      return this;
    }

    /** How long a child may run before it is killed even though its plan's moment did not come (tests scale it by their time factor). */
    public Builder killTimeout(Duration timeout) {
      this.killTimeout = timeout;
      return this;
    }

    /**
     * Breaks the child on purpose: it prints each ACK before it sends the write. For showing that
     * the check catches lost acknowledged writes; never for testing Kiln.
     */
    public Builder ackBeforeWrite(boolean on) {
      this.ackBeforeWrite = on;
      return this;
    }

    /** Where the per-cycle summaries go; System.out by default. */
    public Builder log(PrintStream log) {
      this.log = log::println;
      return this;
    }

    /** Takes each cycle's summary line as it is done, then the run's (progress for long runs). */
    public Builder progress(Consumer<String> progress) {
      this.log = progress;
      return this;
    }

    /**
     * With a pause above zero the child deletes replaced CARs through an {@link AnnouncingCarStore}:
     * each delete is announced, then waits this long, so {@link KillPlan.Trigger#DELETION_STARTED}
     * plans can kill inside it, and random plans include such kills. Zero (the default): no pause,
     * and the child uses the Kiln facade.
     */
    public Builder deletePause(Duration pause) {
      if (pause.isNegative()) {
        throw new IllegalArgumentException("deletePause must not be negative, got " + pause);
      }
      this.deletePause = pause;
      return this;
    }

    public CrashHarness build() {
      return new CrashHarness(this);
    }
  }
}
