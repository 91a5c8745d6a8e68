package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.engine.persist.Journal;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hosted database claims its store (on PostgreSQL a blocking round trip) off its own thread: while
 * the claim has not returned, the actor keeps taking requests into a bounded stash (past the bound
 * they are answered OVERLOADED at once), and when it returns they are all served. A failed claim
 * answers them with its error.
 */
class ClaimingStartTest {
  @TempDir Path dir;
  ActorTestKit kit;
  DatabaseSettings settings;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create("claiming", KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of(
        "kiln.data-dir", dir.toString(), "kiln.car.fsync", "off"))));
    Journal.prepare(kit.system(), Duration.ofSeconds(30));
    settings = InvariantKit.settings(kit).withRequestBounds(64, 3);
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(TestTime.dilated(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
  }

  private static KilnException failure(CompletionStage<?> stage) throws Exception {
    try {
      await(stage);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(KilnException.class);
      return (KilnException) e.getCause();
    }
    throw new AssertionError("succeeded, but should have failed");
  }

  @Test
  void requestsWaitWhileTheClaimBlocksAndAreServedWhenItReturns() throws Exception {
    String name = InvariantKit.uniqueName("claiming");
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<CarStore> adopted = new AtomicReference<>();
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), kit.spawn(ClaimingStart.create(name, () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return new FileCarStore(dir.resolve(name), false);
    }, (self, store) -> adopted.set(store), InvariantKit.cache(), settings)));

    List<CompletableFuture<DatabaseProtocol.WriteResult>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(db.put(doc("w" + i, i)));
    }
    // the bound is full: the next request is answered now, while the claim still blocks, so the
    // actor's own thread is free
    assertThat(failure(db.put(doc("over", 9))).code()).isEqualTo(ErrorCode.OVERLOADED);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);
    assertThat(adopted.get()).isNull();

    release.countDown();
    long last = 0;
    for (CompletableFuture<DatabaseProtocol.WriteResult> w : waiting) {
      long seq = await(w).seq();
      assertThat(seq).isGreaterThan(last); // in the order they were sent
      last = seq;
    }
    assertThat(adopted.get()).isNotNull();
    assertThat(await(db.allDocs()).rows()).hasSize(3);
  }

  @Test
  void aFailedClaimAnswersTheWaitingRequestsWithItsError() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), kit.spawn(ClaimingStart.create("unclaimed", () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      throw new KilnException(ErrorCode.STORAGE, "database unclaimed cannot be opened: PostgreSQL is away");
    }, (self, store) -> {
      throw new AssertionError("nothing to adopt");
    }, InvariantKit.cache(), settings)));
    CompletableFuture<DatabaseProtocol.WriteResult> put = db.put(doc("a", 1));
    CompletableFuture<DatabaseProtocol.DocResult> get = db.get("a");
    release.countDown();
    for (CompletionStage<?> answer : List.of(put, get)) {
      KilnException e = failure(answer);
      assertThat(e.code()).isEqualTo(ErrorCode.STORAGE);
      assertThat(e.getMessage()).contains("PostgreSQL is away");
    }
  }
}
