package dev.kiln.engine.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.kiln.engine.actor.DatabaseActor;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.engine.persist.Journal;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Kiln embedded in a Pekko application: opens databases by name. Build it from an ActorSystem whose
 * configuration includes Kiln's defaults ({@link KilnConfig#load()}), or let {@link #start()} make one.
 *
 * <pre>{@code
 * Kiln kiln = Kiln.start();
 * Database db = kiln.open("notes");
 * db.put(doc).toCompletableFuture().join();
 * }</pre>
 */
public final class Kiln implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final ActorSystem<?> system;
  private final boolean ownsSystem;
  private final DatabaseSettings defaults;
  private final Duration askTimeout;
  private final Cache<Cid, Block> cache;
  private final ObjectMapper mapper = new ObjectMapper()
      .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Map<String, Database> open = new HashMap<>();
  private final AtomicLong incarnation = new AtomicLong();

  private Kiln(ActorSystem<?> system, boolean ownsSystem) {
    this.system = system;
    this.ownsSystem = ownsSystem;
    Config config = system.settings().config();
    if (!config.hasPath("kiln.auto-compact")) {
      throw new IllegalStateException("the ActorSystem's configuration lacks Kiln's defaults: create it with "
          + "KilnConfig.load() (or KilnConfig.withDefaults(yourConfig))");
    }
    this.defaults = DatabaseSettings.from(config);
    this.askTimeout = config.getDuration("kiln.ask-timeout");
    this.cache = Caffeine.newBuilder()
        .maximumWeight(config.getBytes("kiln.block-cache-bytes"))
        .<Cid, Block>weigher((cid, block) -> block.size() + 96)
        .build();
    Journal.prepare(system, askTimeout); // schema before any persistent actor; a clear error if unreachable
  }

  /** Kiln on an ActorSystem the application owns; it must have been created with Kiln's defaults. */
  public static Kiln create(ActorSystem<?> system) {
    return new Kiln(system, false);
  }

  /** Kiln on an ActorSystem of its own, configured by {@link KilnConfig#load()}; {@link #close()} ends it. */
  public static Kiln start() {
    return start(KilnConfig.load());
  }

  public static Kiln start(Config config) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kiln", config);
    try {
      return new Kiln(system, true);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
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
    return open(name, settings, java.util.function.UnaryOperator.identity());
  }

  /**
   * Opens a database whose CAR files go through {@code storeWrapper} (given the file store, it returns
   * the store the database uses), so a test can put a faulty or spying store in front of the disk.
   * Closing the database closes the returned store.
   */
  public Database open(String name, DatabaseSettings settings, java.util.function.UnaryOperator<CarStore> storeWrapper) {
    validateName(name);
    long deadline = System.nanoTime() + askTimeout.toNanos();
    while (true) {
      CompletableFuture<Void> oldGone;
      synchronized (this) {
        Database db = open.get(name);
        if (db != null && !db.isClosed()) {
          return db;
        }
        if (db == null || db.terminated().isDone()) {
          return spawn(name, settings, storeWrapper);
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

  /** Called with the lock held. */
  private Database spawn(String name, DatabaseSettings settings, java.util.function.UnaryOperator<CarStore> storeWrapper) {
    Database db;
    Path cars = settings.dataDir().resolve(name).resolve("cars");
    CarStore store = storeWrapper.apply(new FileCarStore(cars, settings.fsync()));
    Behavior<DatabaseProtocol.Command> behavior = DatabaseActor.create(name, store, cache, settings);
    ActorRef<DatabaseProtocol.Command> ref = system.systemActorOf(behavior,
        "kiln-db-" + encodeName(name) + "-" + incarnation.incrementAndGet(), Props.empty());
    CompletableFuture<Void> terminated = new CompletableFuture<>();
    system.systemActorOf(watcher(ref, terminated, store), "kiln-watch-" + incarnation.get(), Props.empty());
    db = new Database(name, ref, terminated, system, askTimeout, mapper);
    open.put(name, db);
    return db;
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
    }
  }

  static void validateName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new KilnException(ErrorCode.INVALID_NAME, "database name '" + name + "' is not allowed: use 1 to 128 "
          + "letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }

  private static String encodeName(String name) {
    return java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Behavior<Void> watcher(ActorRef<?> db, CompletableFuture<Void> terminated, CarStore store) {
    return Behaviors.<Void>setup(ctx -> {
      ctx.watch(db);
      return Behaviors.<Void>receive(Void.class)
          .onSignal(Terminated.class, t -> {
            store.close();
            terminated.complete(null);
            return Behaviors.stopped();
          })
          .build();
    });
  }
}
