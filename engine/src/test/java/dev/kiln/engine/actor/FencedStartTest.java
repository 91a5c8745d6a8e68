package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.engine.persist.Journal;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fenced DatabaseActor (a cluster's entity) persists {@code Fenced} before it opens its files, so
 * a former owner of the same database that still runs can no longer acknowledge a write the new
 * owner would not see: its next persist takes a sequence number the journal already holds. Two
 * owners on one real journal (the embedded H2 one, whose key is (persistence_id, sequence_number)).
 */
class FencedStartTest {
  @TempDir Path dir;
  ActorTestKit kit;

  @AfterEach
  void stop() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  /** The first start of an H2 journal on a loaded machine may take longer than InvariantKit's wait. */
  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(TestTime.dilated(Duration.ofSeconds(60)).toMillis(),
          java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aFormerOwnerCannotAcknowledgeAWriteOnceANewOwnerHasStarted() {
    kit = ActorTestKit.create("fenced", KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of(
        "kiln.data-dir", dir.toString(), "kiln.car.fsync", "off"))));
    Journal.prepare(kit.system(), Duration.ofSeconds(30));
    DatabaseSettings settings = InvariantKit.settings(kit);
    String name = "fenced";
    Path cars = dir.resolve(name).resolve("cars");
    var formerRef = kit.spawn(
        DatabaseActor.createFenced(name, new FileCarStore(cars, false), InvariantKit.cache(), settings), "former");
    InvariantKit.Client former = new InvariantKit.Client(kit.system(), formerRef);
    await(former.put(doc("before", 1)));

    // the database starts elsewhere while the former owner still runs (a paused node, say)
    InvariantKit.Client owner = new InvariantKit.Client(kit.system(), kit.spawn(
        DatabaseActor.createFenced(name, new FileCarStore(cars, false), InvariantKit.cache(), settings), "owner"));
    assertThat(await(owner.get("before")).doc().get("n").asLong()).isEqualTo(1);

    // the former owner's write is not acknowledged: its sequence number is taken
    boolean acked;
    try {
      await(former.put(doc("zombie", 2)));
      acked = true;
    } catch (AssertionError e) {
      acked = false;
      assertThat(e.getCause()).isInstanceOf(java.util.concurrent.ExecutionException.class);
      assertThat(((KilnException) e.getCause().getCause()).code()).isEqualTo(ErrorCode.JOURNAL);
    }
    kit.stop(formerRef); // the paused node learns it is down and stops
    // The former owner may have replayed and fenced again before it stopped: then the owner's next
    // persist collides in turn, is refused with JOURNAL, and the owner replays; a retry goes through.
    for (int attempt = 0; ; attempt++) {
      try {
        await(owner.put(doc("after", 3)));
        break;
      } catch (AssertionError e) {
        assertThat(((KilnException) e.getCause().getCause()).code()).isEqualTo(ErrorCode.JOURNAL);
        assertThat(attempt).isLessThan(5);
      }
    }
    // whatever the former owner answered, what it acknowledged is what the owner serves
    DatabaseProtocol.DocResult seen = await(owner.get("zombie").handle((r, e) -> r));
    assertThat(acked).as("a write the new owner cannot see was acknowledged").isEqualTo(seen != null);
    assertThat(acked).isFalse();
    assertThat(await(owner.get("after")).doc().get("n").asLong()).isEqualTo(3);
    assertThat(await(owner.get("before")).doc().get("n").asLong()).isEqualTo(1);
  }
}
