package dev.kiln.engine.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.persist.DataDirLock;
import dev.kiln.engine.persist.KilnPersistence;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import dev.kiln.engine.actor.ClaimingStart;
import dev.kiln.engine.actor.DatabaseActor;
import dev.kiln.engine.actor.Errors;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.CarStoreException;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.car.PostgresCarStorage;
import dev.kiln.engine.persist.Journal;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Kiln inside a Pekko application: opens databases by name. A Pekko {@link Extension}, so every part
 * of an application that calls {@link #get(ActorSystem)} shares one instance per ActorSystem; or
 * {@link #start()} for a program that has no ActorSystem of its own.
 *
 * <pre>{@code
 * Kiln kiln = Kiln.get(system);          // the app's system; Kiln's defaults come from its reference.conf
 * Database db = kiln.open("notes");
 * db.put(doc).toCompletableFuture().join();
 * }</pre>
 *
 * <p>What it adds to the system when first asked for: a lock on {@code kiln.data-dir} (file {@code
 * kiln.lock}, held until the system terminates, so a second process fails with {@link
 * ErrorCode#LOCKED}), the schema of its embedded journal, and the system actor {@code /system/kiln}
 * ({@link #guardian()}), under which every open database runs as {@code db-<name>}; watch the
 * guardian, or a database's {@link Database#ref()}, to learn when they stop. Its persistent actors use
 * its own journal and snapshot plugins ({@code kiln.journal.plugin-id}), never the application's
 * default ones.
 */
public final class Kiln implements Extension, AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** The extension id: one Kiln per ActorSystem, created on first use. */
  public static final class Id extends ExtensionId<Kiln> {
    private Id() {}

    @Override
    public Kiln createExtension(ActorSystem<?> system) {
      return new Kiln(system);
    }
  }

  private static final Id ID = new Id();

  private final ActorSystem<?> system;
  private volatile boolean ownsSystem;
  private final DatabaseSettings defaults;
  private final Duration askTimeout;
  private final Cache<Cid, Block> cache;
  private final ObjectMapper mapper = new ObjectMapper()
      .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Map<String, Database> open = new HashMap<>();
  private final KilnPersistence persistence;
  private DataDirLock lock; // set, with guardian, once started; guarded by this
  private PostgresCarStorage postgres; // set when started with kiln.storage = postgres; guarded by this
  private ActorRef<KilnGuardian.Command> guardian;
  /** Null: databases are children of the guardian. Set once started, before anyone can open. */
  private volatile DatabaseHosting hosting;

  private Kiln(ActorSystem<?> system) {
    this.system = system;
    Config config = system.settings().config();
    KilnPersistence persistence = KilnPersistence.from(config);
    this.defaults = DatabaseSettings.from(config).withDataDir(persistence.dataDir());
    this.askTimeout = config.getDuration("kiln.ask-timeout");
    this.cache = Caffeine.newBuilder()
        .maximumWeight(config.getBytes("kiln.block-cache-bytes"))
        .<Cid, Block>weigher((cid, block) -> block.size() + 96)
        .build();
    this.persistence = persistence;
  }

  /**
   * Locks the data directory, prepares the journal and starts the guardian, once. Not in the
   * extension's constructor: Pekko keeps a failed extension failed for good, while a start that
   * failed (say with LOCKED) should be tried again by the next call.
   */
  private synchronized void ensureStarted() {
    if (guardian != null) {
      return;
    }
    String hostingClass = system.settings().config().getString("kiln.hosting");
    // With a hosting (a cluster), the nodes share their storage: no lock on the data directory; the
    // hosting keeps one actor per database and fencing covers a former owner (docs/DESIGN.md).
    DataDirLock acquired = hostingClass.isEmpty() ? DataDirLock.acquire(persistence.dataDir()) : null;
    try {
      Journal.prepare(system, askTimeout); // schema before any persistent actor; a clear error if unreachable
    } catch (RuntimeException e) {
      if (acquired != null) {
        acquired.close();
      }
      throw e;
    }
    PostgresCarStorage cars = null;
    if (persistence.storage().postgres()) {
      try {
        cars = PostgresCarStorage.start(persistence.storage(), "kiln-cars-" + system.name(),
            persistence.dataDir().resolve("spool"));
      } catch (RuntimeException e) {
        if (acquired != null) {
          acquired.close();
        }
        throw new KilnException(ErrorCode.STORAGE, "the CAR store cannot be used: " + e.getMessage(), e);
      }
      system.classicSystem().registerOnTermination(cars::close);
    }
    // Held until the journal's pools have closed with the system, so no other process opens the H2 file
    // early; a termination callback runs before the system's whenTerminated completes.
    if (acquired != null) {
      system.classicSystem().registerOnTermination(acquired::close);
    }
    postgres = cars;
    lock = acquired;
    guardian = system.systemActorOf(KilnGuardian.create(), "kiln", Props.empty());
    if (!hostingClass.isEmpty()) {
      hosting = newHosting(hostingClass);
    }
  }

  private DatabaseHosting newHosting(String className) {
    try {
      return (DatabaseHosting) Class.forName(className).getConstructor(Kiln.class).newInstance(this);
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("kiln.hosting = " + className + ": not a DatabaseHosting with a public "
          + "constructor taking a Kiln (is its module on the classpath?)", e);
    }
  }

  /**
   * The behavior of database {@code name} with the default settings, for a {@link DatabaseHosting}
   * to run where it likes (a cluster's entity): the {@link DatabaseActor} itself, fenced, whose CAR
   * store this Kiln's guardian closes when it stops.
   */
  public Behavior<DatabaseProtocol.Command> entity(String name) {
    validateName(name);
    ActorRef<KilnGuardian.Command> parentOfStores = guardian;
    // on PostgreSQL the store is claimed (off the entity's thread), so the former owner's store is fenced
    return ClaimingStart.create(name, () -> newCarStore(name, defaults),
        (self, store) -> parentOfStores.tell(new KilnGuardian.Adopt(self, store)), cache, defaults);
  }

  /** The hosting named by {@code kiln.hosting}, or null when databases run on this node. */
  public DatabaseHosting hosting() {
    return hosting;
  }

  /**
   * The Kiln of this ActorSystem, started on first use (from any thread; concurrent callers get the
   * same instance). When starting fails, the next call tries again.
   *
   * @throws KilnException {@link ErrorCode#LOCKED} when another process uses {@code kiln.data-dir}
   * @throws dev.kiln.engine.persist.JournalUnavailableException when the embedded journal cannot be opened
   */
  public static Kiln get(ActorSystem<?> system) {
    Kiln kiln = ID.apply(system);
    kiln.ensureStarted();
    return kiln;
  }

  /** The same as {@link #get(ActorSystem)}; kept for existing callers. */
  public static Kiln create(ActorSystem<?> system) {
    return get(system);
  }

  /** Kiln on an ActorSystem of its own, configured by {@code ConfigFactory.load()}; {@link #close()} ends it. */
  public static Kiln start() {
    return start(ConfigFactory.load());
  }

  /** Kiln on an ActorSystem of its own with this configuration; {@link #close()} ends it. */
  public static Kiln start(Config config) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kiln", config);
    try {
      Kiln kiln = get(system);
      kiln.ownsSystem = true;
      return kiln;
    } catch (RuntimeException e) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      throw e;
    }
  }

  /**
   * The parent actor of every database of this Kiln ({@code /system/kiln}); it stops only with the
   * ActorSystem. An application may watch it, or each database's {@link Database#ref()}.
   */
  public synchronized ActorRef<?> guardian() {
    return guardian;
  }

  public ActorSystem<?> system() {
    return system;
  }

  public DatabaseSettings defaults() {
    return defaults;
  }

  /** Opens (or returns the already open) database with the default settings. */
  public Database open(String name) {
    return open(name, defaults);
  }

  /** Opens a database with its own settings, e.g. {@code kiln.defaults().withAutoCompact(3)}. */
  public Database open(String name, DatabaseSettings settings) {
    if (hosting != null) {
      validateName(name);
      return openHosted(name, settings);
    }
    return open(name, settings, java.util.function.UnaryOperator.identity());
  }

  /**
   * Opens a database whose CAR files go through {@code storeWrapper} (given the file store, it returns
   * the store the database uses), so a test can put a faulty or spying store in front of the disk.
   * Closing the database closes the returned store.
   */
  public Database open(String name, DatabaseSettings settings, java.util.function.UnaryOperator<CarStore> storeWrapper) {
    validateName(name);
    if (hosting != null) {
      throw new UnsupportedOperationException("database " + name + ": with kiln.hosting set, the hosting makes "
          + "every database's store; a store wrapper is not supported");
    }
    long deadline = System.nanoTime() + askTimeout.toNanos();
    while (true) {
      CompletableFuture<Void> oldGone;
      synchronized (this) {
        Database db = open.get(name);
        if (db != null && !db.isClosed()) {
          return db;
        }
        if (db == null || db.terminated().isDone()) {
          return openNew(name, settings, storeWrapper);
        }
        oldGone = db.terminated();
      }
      // One actor per persistence id: the old one must be gone first. Wait outside the lock, so
      // that opening other databases goes on, and no longer than the ask timeout.
      try {
        oldGone.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new KilnException(ErrorCode.TIMEOUT, "database " + name + " is still closing after " + askTimeout
            + " (kiln.ask-timeout); try opening it again later");
      } catch (java.util.concurrent.ExecutionException e) {
        // cannot happen: termination only completes normally
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KilnException(ErrorCode.TIMEOUT, "interrupted while database " + name + " was closing");
      }
    }
  }

  /** A handle on a hosted database: every node's handle reaches the one actor the hosting runs. */
  private synchronized Database openHosted(String name, DatabaseSettings settings) {
    if (!settings.equals(defaults)) {
      // The database may run on another node, which knows only its own defaults.
      throw new UnsupportedOperationException("database " + name + ": with kiln.hosting set, databases run with the "
          + "configured defaults; per-open settings are not supported");
    }
    Database db = open.get(name);
    if (db == null || db.isClosed()) {
      db = new Database(name, hosting.database(name), system, askTimeout,
          system.settings().config().getDuration("kiln.attempt-timeout"), mapper);
      open.put(name, db);
    }
    return db;
  }

  /** Called with the lock held. */
  private Database openNew(String name, DatabaseSettings settings, java.util.function.UnaryOperator<CarStore> storeWrapper) {
    Database db;
    CarStore store = storeWrapper.apply(newCarStore(name, settings));
    Behavior<DatabaseProtocol.Command> behavior = DatabaseActor.create(name, store, cache, settings);
    CompletableFuture<Void> terminated = new CompletableFuture<>();
    ActorRef<DatabaseProtocol.Command> ref = spawn(name, behavior, store, terminated);
    db = new Database(name, ref, terminated, system, askTimeout, mapper);
    open.put(name, db);
    return db;
  }

  /**
   * The CAR store of database {@code name} as {@code kiln.storage} chooses: the files under the data
   * directory, or the database's CARs in PostgreSQL, claimed for this open (a store of an earlier open,
   * here or on another node, is fenced from then on; see {@link PostgresCarStorage#claim}).
   *
   * @throws KilnException STORAGE when PostgreSQL cannot be reached
   */
  private CarStore newCarStore(String name, DatabaseSettings settings) {
    if (postgres == null) {
      return fileStore(name, settings);
    }
    try {
      return postgres.store(name, postgres.claim(name, owner()));
    } catch (RuntimeException e) {
      throw new KilnException(ErrorCode.STORAGE, "database " + name + " cannot be opened: " + e.getMessage(), e);
    }
  }

  /**
   * A store of database {@code name}'s CARs in this Kiln's storage ({@code kiln.storage}: the files under
   * the data directory, or its rows in PostgreSQL), for tools that read them beside the database
   * ({@code kiln verify}). It claims nothing, so it is not fenced: use it to read, never to write or
   * delete. The caller closes it.
   */
  public CarStore readStore(String name) {
    validateName(name);
    PostgresCarStorage cars = postgresCarStorage();
    return cars != null ? cars.unfencedStore(name) : fileStore(name, defaults);
  }

  private static FileCarStore fileStore(String name, DatabaseSettings settings) {
    return new FileCarStore(carsDir(settings.dataDir(), name), settings.fsync());
  }

  /** Who claims a database: this ActorSystem's address and this process. */
  private String owner() {
    return system.address() + " pid " + ProcessHandle.current().pid();
  }

  /**
   * The PostgreSQL CAR tables this Kiln uses ({@code kiln.storage = "postgres"}), for code that runs
   * databases itself (cluster sharding: claim, then {@link PostgresCarStorage#store}); null with the
   * embedded storage.
   */
  public synchronized PostgresCarStorage postgresCarStorage() {
    return postgres;
  }

  /** The open database of this name, or null. */
  public synchronized Database get(String name) {
    Database db = open.get(name);
    return db == null || db.isClosed() ? null : db;
  }

  /** Closes every open database, then the ActorSystem if Kiln started it. */
  @Override
  public void close() {
    Database[] dbs;
    synchronized (this) {
      dbs = open.values().toArray(new Database[0]);
    }
    for (Database db : dbs) {
      try {
        db.close().toCompletableFuture().get(askTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // already closed, failed or stuck: the system's termination below ends it either way
      }
    }
    if (ownsSystem) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      synchronized (this) {
        if (lock != null) {
          lock.close(); // also on termination; here too, so the directory is free when close() returns
        }
      }
    }
  }

  /**
   * Whether database {@code name} exists in this Kiln's storage: its CAR directory under the data
   * directory, or (with {@code kiln.storage = "postgres"}, which every node of a cluster shares) a
   * claim on it in PostgreSQL. Refuses a bad name with {@link ErrorCode#INVALID_NAME}.
   */
  public boolean exists(String name) {
    validateName(name);
    PostgresCarStorage cars = postgresCarStorage();
    if (cars == null) {
      return exists(persistence.dataDir(), name);
    }
    try {
      return cars.epoch(name) > 0;
    } catch (CarStoreException e) {
      throw Errors.toKiln(e); // PostgreSQL away: STORAGE, saying so
    }
  }

  /**
   * The databases of this Kiln's storage, sorted: on PostgreSQL every name ever opened there (what
   * {@link #exists(String)} answers true for), else the data directory's ({@link #databases(Path)}).
   */
  public List<String> databases() {
    PostgresCarStorage cars = postgresCarStorage();
    return cars != null ? cars.databases() : databases(persistence.dataDir());
  }

  /** The databases under {@code dataDir} with the embedded storage (a directory with a {@code cars} directory), sorted. */
  public static List<String> databases(Path dataDir) {
    if (!java.nio.file.Files.isDirectory(dataDir)) {
      return List.of();
    }
    try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(dataDir)) {
      return entries.filter(p -> java.nio.file.Files.isDirectory(p.resolve("cars"))).map(p -> p.getFileName().toString())
          .sorted().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Whether a database of this name exists under {@code dataDir} with the embedded storage (opening a
   * name creates it), so a read-only tool can refuse a mistyped name without creating anything.
   * Refuses a bad name with {@link ErrorCode#INVALID_NAME}.
   */
  public static boolean exists(Path dataDir, String name) {
    validateName(name);
    return java.nio.file.Files.isDirectory(carsDir(dataDir, name));
  }

  private static Path carsDir(Path dataDir, String name) {
    return dataDir.resolve(name).resolve("cars");
  }

  static void validateName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new KilnException(ErrorCode.INVALID_NAME, "database name '" + name + "' is not allowed: use 1 to 128 "
          + "letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }

  /** Starts the database's actor under the guardian; its store is closed if it cannot start. */
  private ActorRef<DatabaseProtocol.Command> spawn(String name, Behavior<DatabaseProtocol.Command> behavior,
      CarStore store, CompletableFuture<Void> terminated) {
    KilnGuardian.Spawned spawned;
    try {
      spawned = AskPattern.<KilnGuardian.Command, KilnGuardian.Spawned>ask(guardian,
              replyTo -> new KilnGuardian.Spawn(name, behavior, store, terminated, replyTo), askTimeout, system.scheduler())
          .toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      store.close();
      throw new KilnException(ErrorCode.CLOSED, "interrupted while opening database " + name, e);
    } catch (java.util.concurrent.ExecutionException e) {
      store.close();
      throw new KilnException(ErrorCode.CLOSED, "database " + name + " cannot be opened: Kiln's guardian did not "
          + "answer (is the ActorSystem terminating?)", e.getCause());
    }
    if (spawned.error() != null) {
      throw new KilnException(ErrorCode.INTERNAL, "database " + name + " is still running: " + spawned.error().getMessage(),
          spawned.error());
    }
    return spawned.ref();
  }
}
