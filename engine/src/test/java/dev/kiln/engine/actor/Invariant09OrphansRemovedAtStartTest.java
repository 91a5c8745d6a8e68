package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 9: at start-up, CAR files no CarLog names (a commit or compaction that did not finish)
 * and leftover temp files are removed; every CAR the CarLog names stays.
 */
class Invariant09OrphansRemovedAtStartTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv09", dir.resolve("kit"));
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static InvariantKit.Client open(String name, Path cars) {
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(DatabaseActor.create(name, new FileCarStore(cars, false),
        InvariantKit.cache(), InvariantKit.settings(kit)), name + "-" + System.nanoTime());
    return new InvariantKit.Client(kit.system(), ref);
  }

  @Test
  void invariant9_unnamedCarsAndTempFilesGoAtStart_namedCarsStay() throws Exception {
    String name = InvariantKit.uniqueName("orphans");
    Path cars = dir.resolve(name);
    InvariantKit.Client db = open(name, cars);
    for (int i = 0; i < 3; i++) {
      await(db.put(doc("d" + i, i)));
    }
    await(db.compact());
    await(db.put(doc("d3", 3)));
    db.closeAndAwait(kit);
    List<Cid> named = InvariantKit.carLog(journal, name);
    assertThat(named).hasSize(2);

    // What a crash can leave: a finished CAR whose event never made it, and a half-written temp file.
    FileCarStore store = new FileCarStore(cars, false);
    Block stray = Block.encode(Map.of("unfinished", "commit"));
    Cid orphan = store.write(List.of(stray.cid()), List.of(stray)).car();
    Path temp = cars.resolve(".0123456789abcdef.car.tmp");
    Files.write(temp, new byte[] {1, 2, 3});
    store.close();

    InvariantKit.Client reopened = open(name, cars);
    reopened.barrier(); // answered only after start-up (loading and cleaning) finished
    FileCarStore check = new FileCarStore(cars, false);
    assertThat(check.exists(orphan)).as("an unnamed CAR is removed").isFalse();
    assertThat(Files.exists(temp)).as("a leftover temp file is removed").isFalse();
    assertThat(check.list()).as("every named CAR stays, nothing else").containsExactlyInAnyOrderElementsOf(named);
    for (int i = 0; i < 4; i++) {
      assertThat(reopened.n("d" + i)).isEqualTo(i);
    }
  }
}
