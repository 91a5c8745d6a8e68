package dev.kiln.testkit.crash;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kiln.engine.actor.DatabaseActor;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/**
 * The process a {@link CrashHarness} kills: starts Kiln on a data directory, opens one database and
 * writes to it until it is killed, printing a {@link CrashLine} for every write it sends and every
 * acknowledgement it receives.
 *
 * <p>Several writers run at once (so commits are grouped); each owns its documents, and sends its
 * next write only once the previous one is answered, so a document has at most one write in flight.
 * A writer creates documents, updates and deletes ones it owns, and now and then re-creates one it
 * deleted. With {@code --compact-every N}, a compaction is requested after every N acknowledgements
 * (one at a time), minor and major in turn.
 *
 * <p>With {@code --delete-pause-ms P} the database runs on an {@link AnnouncingCarStore}: every
 * deletion of a replaced CAR prints {@code DELETING}, waits for the parent's {@code GO} line on
 * stdin, pauses P ms and then deletes, so the parent can kill inside it. The facade offers no way to swap the CAR store, so then the child spawns the
 * DatabaseActor itself (on Kiln's ActorSystem and journal) and speaks the protocol with ask.
 *
 * <pre>
 * java dev.kiln.testkit.crash.CrashChild --data-dir DIR [--db NAME] [--seed S] [--run R] [--writers W]
 *      [--compact-every N] [--max-seconds T] [--set kiln.key=value]... [--ack-before-write]
 *      [--delete-pause-ms P]
 * </pre>
 *
 * Everything but the protocol goes to stderr. The child stops on its own (without cleanup, as in a
 * crash) when stdin reaches its end, i.e. when the parent is gone, or after {@code --max-seconds}.
 * {@code --ack-before-write} breaks the promise on purpose (each ACK is printed before its write is
 * sent, and the writer waits for the parent's {@code GO} before it sends it) to show that the
 * harness catches lost acknowledged writes: the parent kills at an ACK without answering it.
 */
public final class CrashChild {
  /** One permit per {@code GO} line of the parent; waited for after each DELETING and each early ACK. */
  private static final Semaphore GO = new Semaphore(0);
  private final Ops db;
  private final PrintStream out;
  private final ExecutorService callbacks;
  private final int compactEvery;
  private final boolean ackBeforeWrite;
  private final AtomicLong acks = new AtomicLong();
  private final AtomicBoolean compacting = new AtomicBoolean();
  private final AtomicInteger compactions = new AtomicInteger();

  private CrashChild(Ops db, PrintStream out, ExecutorService callbacks, int compactEvery, boolean ackBeforeWrite) {
    this.db = db;
    this.out = out;
    this.callbacks = callbacks;
    this.compactEvery = compactEvery;
    this.ackBeforeWrite = ackBeforeWrite;
  }

  public static void main(String[] args) throws Exception {
    // The protocol owns stdout; anything else printing there (loggers, libraries) goes to stderr.
    PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), true, "UTF-8");
    System.setOut(System.err);

    Options o = Options.parse(args);
    haltWhenParentGone();
    ScheduledExecutorService guard = Executors.newSingleThreadScheduledExecutor(daemon("crash-child-guard"));
    guard.schedule(() -> Runtime.getRuntime().halt(4), o.maxSeconds, TimeUnit.SECONDS);

    Kiln kiln = TestKiln.start(o.dataDir, o.settings);
    AnnouncingCarStore announcing = null;
    Ops db;
    if (o.deletePauseMillis > 0) {
      DatabaseSettings settings = kiln.defaults();
      announcing = new AnnouncingCarStore(
          new FileCarStore(settings.dataDir().resolve(o.db).resolve("cars"), settings.fsync()), out, o.deletePauseMillis, GO);
      db = new ActorOps(kiln.system(), announcing, o.db, settings);
    } else {
      db = new FacadeOps(kiln.open(o.db));
    }
    DatabaseProtocol.DatabaseStats stats = db.stats().toCompletableFuture().join();
    List<DatabaseProtocol.DocRow> rows = db.allDocs().toCompletableFuture().join().rows();

    ExecutorService callbacks = Executors.newFixedThreadPool(2, daemon("crash-child-callback"));
    CrashChild child = new CrashChild(db, out, callbacks, o.compactEvery, o.ackBeforeWrite);
    List<Writer> writers = new ArrayList<>();
    for (int w = 0; w < o.writers; w++) {
      writers.add(child.new Writer(w, o.run, new SplittableRandom(o.seed * 1_000_003L + w)));
    }
    // Documents of earlier runs are shared out among the writers by id, so each still has one owner.
    for (DatabaseProtocol.DocRow row : rows) {
      int version = CrashDocs.versionOf(row.doc());
      if (version > 0) {
        writers.get(Math.floorMod(row.id().hashCode(), o.writers)).adopt(row.id(), version);
      }
    }
    if (announcing != null) {
      announcing.arm(); // start-up removed its orphans already (stats answered only once it was ready)
    }
    out.println(new CrashLine.Ready(stats.lastSeq(), stats.documents()).format());
    for (Writer w : writers) {
      callbacks.execute(w::step);
    }
    new CountDownLatch(1).await(); // runs until killed
  }

  /** The five requests the child makes, through the facade or straight to the actor. */
  private interface Ops {
    CompletionStage<DatabaseProtocol.WriteResult> put(ObjectNode doc);

    CompletionStage<DatabaseProtocol.WriteResult> delete(String id);

    CompletionStage<DatabaseProtocol.CompactResult> compact(DatabaseProtocol.CompactionKind kind);

    CompletionStage<DatabaseProtocol.DatabaseStats> stats();

    CompletionStage<DatabaseProtocol.AllDocsResult> allDocs();
  }

  private record FacadeOps(Database d) implements Ops {
    public CompletionStage<DatabaseProtocol.WriteResult> put(ObjectNode doc) {
      return d.put(doc);
    }

    public CompletionStage<DatabaseProtocol.WriteResult> delete(String id) {
      return d.delete(id);
    }

    public CompletionStage<DatabaseProtocol.CompactResult> compact(DatabaseProtocol.CompactionKind kind) {
      return d.compact(kind);
    }

    public CompletionStage<DatabaseProtocol.DatabaseStats> stats() {
      return d.stats();
    }

    public CompletionStage<DatabaseProtocol.AllDocsResult> allDocs() {
      return d.allDocs();
    }
  }

  /** A DatabaseActor of the child's own, on a CAR store of its choosing. */
  private static final class ActorOps implements Ops {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final ActorSystem<?> system;
    private final ActorRef<DatabaseProtocol.Command> ref;

    ActorOps(ActorSystem<?> system, AnnouncingCarStore store, String name, DatabaseSettings settings) {
      this.system = system;
      Cache<Cid, Block> cache = Caffeine.newBuilder().maximumSize(50_000).build();
      this.ref = system.systemActorOf(DatabaseActor.create(name, store, cache, settings), "crash-db", Props.empty());
    }

    private <T> CompletionStage<T> ask(Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message) {
      return AskPattern.askWithStatus(ref, message::apply, TIMEOUT, system.scheduler());
    }

    public CompletionStage<DatabaseProtocol.WriteResult> put(ObjectNode doc) {
      return ask(r -> new DatabaseProtocol.Put(doc, r));
    }

    public CompletionStage<DatabaseProtocol.WriteResult> delete(String id) {
      return ask(r -> new DatabaseProtocol.Delete(id, r));
    }

    public CompletionStage<DatabaseProtocol.CompactResult> compact(DatabaseProtocol.CompactionKind kind) {
      return ask(r -> new DatabaseProtocol.Compact(r, kind));
    }

    public CompletionStage<DatabaseProtocol.DatabaseStats> stats() {
      return ask(DatabaseProtocol.Stats::new);
    }

    public CompletionStage<DatabaseProtocol.AllDocsResult> allDocs() {
      return ask(r -> new DatabaseProtocol.AllDocs(DatabaseProtocol.AllDocsQuery.all(), r));
    }
  }

  /** One writer: a chain of writes, each sent when the one before it was answered. */
  private final class Writer {
    private final String prefix;
    private final SplittableRandom random;
    private final List<String> live = new ArrayList<>();
    private final Map<String, Integer> versions = new HashMap<>();
    private final List<String> deleted = new ArrayList<>();
    private int created;
    private int failuresInARow;

    Writer(int w, int run, SplittableRandom random) {
      this.prefix = "r" + run + "-w" + w + "-";
      this.random = random;
    }

    void adopt(String id, int version) {
      live.add(id);
      versions.put(id, version);
    }

    void step() {
      double p = random.nextDouble();
      if (live.isEmpty() || p < 0.45) {
        put(prefix + (++created), 1, false);
      } else if (p < 0.70) {
        String id = live.get(random.nextInt(live.size()));
        put(id, versions.get(id) + 1, false);
      } else if (p < 0.92 || deleted.isEmpty()) {
        delete(take(live, random.nextInt(live.size())));
      } else {
        String id = take(deleted, random.nextInt(deleted.size()));
        put(id, versions.get(id) + 1, true);
      }
    }

    private void put(String id, int version, boolean wasDeleted) {
      ObjectNode doc = CrashDocs.document(id, version);
      announce(new CrashLine.Send(false, id, version), new CrashLine.Ack(false, id, version, 0));
      db.put(doc).whenCompleteAsync((r, error) -> {
        if (error == null) {
          if (wasDeleted || versions.get(id) == null) {
            live.add(id);
          }
          versions.put(id, version);
          acknowledged(new CrashLine.Ack(false, id, version, r.seq()));
        } else {
          live.remove(id);
          failed(new CrashLine.Fail(false, id, code(error)));
        }
        next();
      }, callbacks);
    }

    private void delete(String id) {
      announce(new CrashLine.Send(true, id, 0), new CrashLine.Ack(true, id, 0, 0));
      db.delete(id).whenCompleteAsync((r, error) -> {
        if (error == null) {
          deleted.add(id);
          acknowledged(new CrashLine.Ack(true, id, 0, r.seq()));
        } else {
          failed(new CrashLine.Fail(true, id, code(error)));
        }
        next();
      }, callbacks);
    }

    private void announce(CrashLine.Send send, CrashLine.Ack early) {
      out.println(send.format());
      if (ackBeforeWrite) {
        out.println(early.format());
        GO.acquireUninterruptibly(); // a parent that kills at this ACK never answers: the write is surely lost
      }
    }

    private void acknowledged(CrashLine.Ack ack) {
      failuresInARow = 0;
      if (!ackBeforeWrite) {
        out.println(ack.format());
      }
      long n = acks.incrementAndGet();
      if (compactEvery > 0 && n % compactEvery == 0) {
        compact();
      }
    }

    /** A failed write may or may not be stored; its document is left alone from now on. */
    private void failed(CrashLine.Fail fail) {
      failuresInARow++;
      out.println(fail.format());
    }

    private void next() {
      if (failuresInARow < 20) {
        step();
      }
    }
  }

  private void compact() {
    if (!compacting.compareAndSet(false, true)) {
      return;
    }
    int n = compactions.incrementAndGet();
    out.println(new CrashLine.Compacting(n).format());
    // Minor and major compactions alternate, so a kill can land in either.
    db.compact(n % 2 == 1 ? DatabaseProtocol.CompactionKind.MINOR : DatabaseProtocol.CompactionKind.MAJOR)
        .whenCompleteAsync((r, error) -> {
      if (error == null) {
        out.println(new CrashLine.Compacted(n, r.carLogBefore(), r.carLogAfter()).format());
      } else {
        out.println(new CrashLine.CompactFailed(n, code(error)).format());
      }
      compacting.set(false);
    }, callbacks);
  }

  private static String take(List<String> ids, int i) {
    String id = ids.get(i);
    ids.set(i, ids.get(ids.size() - 1));
    ids.remove(ids.size() - 1);
    return id;
  }

  private static String code(Throwable error) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    System.err.println("crash child: " + t);
    return t instanceof KilnException k ? k.code().name() : ErrorCode.INTERNAL.name();
  }

  /** Reads the parent's go-aheads from stdin; halts at its end (the parent is gone). */
  private static void haltWhenParentGone() {
    Thread t = new Thread(() -> {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      try {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.equals(CrashHarness.GO)) {
            GO.release();
          }
        }
      } catch (IOException e) {
        // the same as the end: the parent is gone
      }
      Runtime.getRuntime().halt(3);
    }, "crash-child-stdin");
    t.setDaemon(true);
    t.start();
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static final class Options {
    Path dataDir;
    String db = "crash";
    long seed = 1;
    int run = 1;
    int writers = 8;
    int compactEvery;
    long maxSeconds = 300;
    boolean ackBeforeWrite;
    long deletePauseMillis;
    final Map<String, Object> settings = new LinkedHashMap<>();

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--ack-before-write")) {
          o.ackBeforeWrite = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--data-dir" -> o.dataDir = Path.of(v);
          case "--db" -> o.db = v;
          case "--seed" -> o.seed = Long.parseLong(v);
          case "--run" -> o.run = Integer.parseInt(v);
          case "--writers" -> o.writers = Integer.parseInt(v);
          case "--compact-every" -> o.compactEvery = Integer.parseInt(v);
          case "--max-seconds" -> o.maxSeconds = Long.parseLong(v);
          case "--delete-pause-ms" -> o.deletePauseMillis = Long.parseLong(v);
          case "--set" -> {
            int eq = v.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--set needs key=value, got '" + v + "'");
            }
            o.settings.put(v.substring(0, eq), v.substring(eq + 1));
          }
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      if (o.dataDir == null) {
        throw new IllegalArgumentException("--data-dir is required");
      }
      if (o.writers < 1) {
        throw new IllegalArgumentException("--writers must be at least 1, got " + o.writers);
      }
      return o;
    }
  }
}
