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
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster passivates a database (or hands it off) with {@link DatabaseActor#passivate()}: it stops
 * like a Close once every write sent before has its answer, answering nobody itself; a second one
 * changes nothing; one that arrives while the database opens waits until it is open.
 */
class PassivationTest {
  @TempDir Path dir;
  ActorTestKit kit;
  DatabaseSettings settings;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create("passivation", KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of(
        "kiln.data-dir", dir.toString(), "kiln.car.fsync", "off"))));
    Journal.prepare(kit.system(), Duration.ofSeconds(30));
    settings = InvariantKit.settings(kit);
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private ActorRef<DatabaseProtocol.Command> spawn(String name) {
    return kit.spawn(DatabaseActor.create(name, new FileCarStore(dir.resolve(name).resolve("cars"), false),
        InvariantKit.cache(), settings));
  }

  private static <T> T await(CompletableFuture<T> stage) throws Exception {
    return stage.get(TestTime.dilated(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void aPassivatedDatabaseAnswersTheWritesSentBeforeAndStops() throws Exception {
    ActorRef<DatabaseProtocol.Command> ref = spawn("p");
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("first", 1)));
    CompletableFuture<?> sentBefore = db.put(doc("second", 2));
    ref.tell(DatabaseActor.passivate());
    ref.tell(DatabaseActor.passivate()); // a second one changes nothing
    TestProbe<Object> watcher = kit.createTestProbe();
    watcher.expectTerminated(ref, TestTime.dilated(Duration.ofSeconds(60)));
    assertThat(sentBefore).as("the write sent before the passivation").isCompleted();
    await(sentBefore);

    InvariantKit.Client reopened = new InvariantKit.Client(kit.system(), spawn("p"));
    assertThat(await(reopened.get("second")).doc().get("n").asLong()).isEqualTo(2);
  }

  @Test
  void aPassivationWhileOpeningStopsTheDatabaseOnceOpen() {
    ActorRef<DatabaseProtocol.Command> ref = spawn("q");
    ref.tell(DatabaseActor.passivate()); // sent before the replay ends: it waits in the stash
    TestProbe<Object> watcher = kit.createTestProbe();
    watcher.expectTerminated(ref, TestTime.dilated(Duration.ofSeconds(60)));
  }
}
