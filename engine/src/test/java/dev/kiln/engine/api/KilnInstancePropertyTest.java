package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * However threads of an application interleave {@code Kiln.get(system)}, {@code open} and {@code
 * close}, each database runs as one actor at a time: no write fails with {@code JOURNAL} (two actors
 * on one persistence id make every other write fail so) and every acknowledged write is there at
 * the end. The threads start together at a barrier; jqwik picks each thread's operations, and its
 * seed is printed with a failure ({@code @Property(seed = …)} replays the operations).
 */
class KilnInstancePropertyTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final AtomicInteger ROUND = new AtomicInteger();
  private static Path dir;
  private static ActorSystem<Void> app;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("kiln-instances");
    ConfigFactory.invalidateCaches();
    app = ActorSystem.create(Behaviors.empty(), "instances", ConfigFactory.load()
        .withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withValue("kiln.car.fsync", ConfigValueFactory.fromAnyRef(false)));
    Kiln.get(app); // the journal's schema exists before the first try, as in an application that has run once
  }

  @AfterContainer
  static void stop() throws Exception {
    EmbeddingTest.terminate(app);
  }

  enum Op { GET, OPEN_A, OPEN_B, PUT_A, PUT_B, CLOSE_A, CLOSE_B }

  @Provide
  Arbitrary<List<List<Op>>> threads() {
    return Arbitraries.of(Op.class).list().ofMinSize(1).ofMaxSize(8).list().ofMinSize(2).ofMaxSize(3);
  }

  @Property(tries = 15)
  void noInterleavingRunsTwoActorsOnOneDatabase(@ForAll("threads") List<List<Op>> threads) throws Exception {
    String prefix = "r" + ROUND.incrementAndGet() + "-";
    Map<String, String> acknowledged = new ConcurrentHashMap<>(); // "db/id" -> id
    List<Throwable> unexpected = new ArrayList<>();
    CyclicBarrier go = new CyclicBarrier(threads.size());
    List<Thread> running = new ArrayList<>();
    AtomicInteger ids = new AtomicInteger();
    for (List<Op> ops : threads) {
      Thread t = new Thread(() -> {
        try {
          go.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          for (Op op : ops) {
            run(op, prefix, ids, acknowledged);
          }
        } catch (Throwable e) {
          synchronized (unexpected) {
            unexpected.add(e);
          }
        }
      }, "app-thread");
      running.add(t);
      t.start();
    }
    for (Thread t : running) {
      t.join(WAIT.toMillis() * 4);
      assertThat(t.isAlive()).as("a thread of operations finished").isFalse();
    }
    assertThat(unexpected).as("operations failed other than by a concurrent close").isEmpty();

    Kiln kiln = Kiln.get(app);
    for (Map.Entry<String, String> e : acknowledged.entrySet()) {
      String db = e.getKey().substring(0, e.getKey().indexOf('/'));
      assertThat(kiln.open(db).get(e.getValue()).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("acknowledged write %s", e.getKey()).isNotNull();
    }
  }

  private static void run(Op op, String prefix, AtomicInteger ids, Map<String, String> acknowledged) throws Exception {
    Kiln kiln = Kiln.get(app);
    switch (op) {
      case GET -> assertThat(Kiln.get(app)).isSameAs(kiln);
      case OPEN_A -> kiln.open(prefix + "a");
      case OPEN_B -> kiln.open(prefix + "b");
      case PUT_A -> put(kiln, prefix + "a", ids, acknowledged);
      case PUT_B -> put(kiln, prefix + "b", ids, acknowledged);
      case CLOSE_A -> close(kiln, prefix + "a");
      case CLOSE_B -> close(kiln, prefix + "b");
    }
  }

  private static void put(Kiln kiln, String db, AtomicInteger ids, Map<String, String> acknowledged) throws Exception {
    String id = "d" + ids.incrementAndGet();
    try {
      kiln.open(db).put(JsonNodeFactory.instance.objectNode().put("_id", id))
          .toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      acknowledged.put(db + "/" + id, id);
    } catch (ExecutionException e) {
      // Another thread closed the database between open and put: the one failure that is expected.
      if (!(e.getCause() instanceof KilnException k && k.code() == ErrorCode.CLOSED)) {
        throw e;
      }
    }
  }

  private static void close(Kiln kiln, String db) throws Exception {
    Database open = kiln.get(db);
    if (open != null) {
      open.close().toCompletableFuture().handle((done, error) -> done).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }
}
