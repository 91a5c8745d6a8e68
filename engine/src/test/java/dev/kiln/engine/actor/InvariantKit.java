package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.BulkResult;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/** What the invariant tests share: configuration, documents, a blocking client, journal access. */
final class InvariantKit {
  private InvariantKit() {}

  /**
   * How long a test waits for anything that should happen (scaled by the test time factor); a
   * passing run never waits this long, it waits for the event.
   */
  static final Duration WAIT = TestTime.dilated(Duration.ofSeconds(10));

  private static final AtomicInteger NAMES = new AtomicInteger();

  /** Kiln's configuration with Kiln's plugin ids on the in-memory journal and snapshot store of pekko-persistence-testkit. */
  static Config testJournalConfig(Path dataDir) {
    return testJournalConfig(dataDir, ConfigFactory.empty());
  }

  static Config testJournalConfig(Path dataDir, Config extra) {
    Config kiln = KilnConfig.withDefaults(extra.withFallback(ConfigFactory.parseMap(Map.of(
        "kiln.journal.plugin-id", PersistenceTestKitPlugin.PluginId(),
        "kiln.journal.snapshot-plugin-id", PersistenceTestKitSnapshotPlugin.PluginId(),
        "kiln.data-dir", dataDir.toString(),
        "kiln.car.fsync", "off"))));
    return PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.getInstance().config())
        .withFallback(kiln);
  }

  static ActorTestKit testKit(String name, Path dataDir) {
    return ActorTestKit.create(name, testJournalConfig(dataDir));
  }

  static DatabaseSettings settings(ActorTestKit kit) {
    return DatabaseSettings.from(kit.system().settings().config()).withAutoCompact(0);
  }

  /** A database name no other test of this JVM uses, so journals never mix. */
  static String uniqueName(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  static String persistenceId(String name) {
    return DatabaseActor.persistenceId(name).id();
  }

  /** A cache the test controls, so it can force reads to go to the store. */
  static Cache<Cid, Block> cache() {
    return Caffeine.newBuilder().maximumSize(100_000).executor(Runnable::run).build();
  }

  /** A cache that keeps nothing: every read goes to the CAR store. */
  static Cache<Cid, Block> noCache() {
    return Caffeine.newBuilder().maximumSize(0).executor(Runnable::run).build();
  }

  static ObjectNode doc(String id, long n) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("n", n);
  }

  static ObjectNode doc(String id, String text) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("text", text);
  }

  /**
   * Asserts that {@code probe} has received nothing yet: sends it {@code marker} and expects the
   * marker as its next message. Call it after a {@link Client#barrier()}: every message the
   * database sent before answering the barrier is already in the probe's mailbox, ahead of the
   * marker, so no fixed wait is needed to prove that nothing came.
   */
  static <T> void expectNothingBefore(TestProbe<T> probe, T marker) {
    probe.ref().tell(marker);
    assertThat(probe.receiveMessage(WAIT)).as("the probe's next message").isEqualTo(marker);
  }

  /** The events the in-memory journal holds for a database, oldest first. */
  static List<Events.Event> journal(PersistenceTestKit journal, String name) {
    List<Events.Event> events = new ArrayList<>();
    for (Object o : journal.persistedInStorage(persistenceId(name))) {
      events.add((Events.Event) o);
    }
    return events;
  }

  static <E extends Events.Event> List<E> journal(PersistenceTestKit journal, String name, Class<E> type) {
    List<E> out = new ArrayList<>();
    for (Events.Event e : journal(journal, name)) {
      if (type.isInstance(e)) {
        out.add(type.cast(e));
      }
    }
    return out;
  }

  /** The CarLog the journal's events build, newest first. */
  static List<Cid> carLog(PersistenceTestKit journal, String name) {
    Events.State state = Events.State.empty();
    for (Events.Event e : journal(journal, name)) {
      state = state.apply(e);
    }
    return state.carLog();
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KilnException k) {
        throw k;
      }
      throw new AssertionError("failed with " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The typed error a stage failed with; fails the test when it succeeded. */
  static KilnException failure(CompletionStage<?> stage) {
    Object value;
    try {
      value = stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KilnException k) {
        return k;
      }
      throw new AssertionError("failed with an untyped error " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within " + WAIT + " (a typed error was expected)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return fail("expected a KilnException but it succeeded with " + value);
  }

  static KilnException failure(CompletionStage<?> stage, ErrorCode code) {
    KilnException e = failure(stage);
    assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(code);
    return e;
  }

  /** Talks to one DatabaseActor with ask; every call returns a stage with the reply or a KilnException. */
  static final class Client {
    private final ActorSystem<?> system;
    final ActorRef<DatabaseProtocol.Command> ref;

    Client(ActorSystem<?> system, ActorRef<DatabaseProtocol.Command> ref) {
      this.system = system;
      this.ref = ref;
    }

    private <T> CompletableFuture<T> ask(Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message) {
      return AskPattern.askWithStatus(ref, message::apply, WAIT, system.scheduler()).toCompletableFuture();
    }

    CompletableFuture<WriteResult> put(ObjectNode doc) {
      return ask(r -> new DatabaseProtocol.Put(doc, r));
    }

    CompletableFuture<BulkResult> putAll(List<ObjectNode> docs) {
      return ask(r -> new DatabaseProtocol.PutAll(docs, r));
    }

    CompletableFuture<WriteResult> delete(String id) {
      return ask(r -> new DatabaseProtocol.Delete(id, r));
    }

    CompletableFuture<DocResult> get(String id) {
      return ask(r -> new DatabaseProtocol.Get(id, r));
    }

    CompletableFuture<AllDocsResult> allDocs() {
      return ask(r -> new DatabaseProtocol.AllDocs(AllDocsQuery.all(), r));
    }

    CompletableFuture<DatabaseProtocol.ViewOpened> openView() {
      return ask(DatabaseProtocol.OpenView::new);
    }

    CompletableFuture<AllDocsResult> allDocsInView(long view) {
      return ask(r -> new DatabaseProtocol.InView(view, new DatabaseProtocol.AllDocs(AllDocsQuery.all(), r)));
    }

    CompletableFuture<DatabaseProtocol.ChangesResult> changes(long since) {
      return ask(r -> new DatabaseProtocol.Changes(since, 0, r));
    }

    CompletableFuture<DatabaseProtocol.IndexDefined> defineIndex(String field) {
      return ask(r -> new DatabaseProtocol.DefineIndex(field, r));
    }

    CompletableFuture<DatabaseProtocol.QueryResult> query(String index, DatabaseProtocol.IndexQuery query) {
      return ask(r -> new DatabaseProtocol.Query(index, query, r));
    }

    CompletableFuture<CompactResult> compact() {
      return ask(r -> new DatabaseProtocol.Compact(r));
    }

    CompletableFuture<CompactResult> compact(DatabaseProtocol.CompactionKind kind) {
      return ask(r -> new DatabaseProtocol.Compact(r, kind));
    }

    CompletableFuture<DatabaseStats> stats() {
      return ask(r -> new DatabaseProtocol.Stats(r));
    }

    CompletableFuture<Done> close() {
      return ask(r -> new DatabaseProtocol.Close(r));
    }

    /** The document's {@code n} field as stored. */
    long n(String id) {
      return await(get(id)).doc().get("n").asLong();
    }

    /**
     * Waits until the DatabaseActor has handled every message sent to it before this call: its
     * mailbox is FIFO, so once this read is answered, they were all processed.
     */
    void barrier() {
      await(stats());
    }

    /** Closes the database and waits until the actor has stopped. */
    void closeAndAwait(ActorTestKit kit) {
      TestProbe<Object> watcher = kit.createTestProbe();
      await(close());
      watcher.expectTerminated(ref, WAIT);
    }
  }
}
