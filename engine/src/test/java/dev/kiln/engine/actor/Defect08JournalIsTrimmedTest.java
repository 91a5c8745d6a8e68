package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import java.nio.file.Path;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 8: the journal does not grow by one row per commit forever; events older than the
 * snapshots kept are deleted, and the database opens from a snapshot plus the newer events.
 */
class Defect08JournalIsTrimmedTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("defect08", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void eventsBeforeTheKeptSnapshotsAreDeleted_andTheDatabaseStillOpens() {
    String name = InvariantKit.uniqueName("trimmed");
    MemoryCarStore store = new MemoryCarStore();
    InvariantKit.Client db = new InvariantKit.Client(kit.system(),
        kit.spawn(DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name));
    int commits = 450;
    for (int i = 0; i < commits; i++) {
      await(db.put(doc("d" + i, i)));
    }
    // Snapshots are taken every 100 events; the events more than two snapshots back go (at most 300 stay).
    kit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(journal.persistedInStorage(InvariantKit.persistenceId(name)).size()).isLessThanOrEqualTo(300);
      return null;
    });
    db.closeAndAwait(kit);

    InvariantKit.Client reopened = new InvariantKit.Client(kit.system(),
        kit.spawn(DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name + "-again"));
    assertThat(await(reopened.stats()).documents()).isEqualTo(commits);
    assertThat(reopened.n("d0")).isEqualTo(0);
    assertThat(reopened.n("d449")).isEqualTo(449);
    reopened.closeAndAwait(kit);
  }
}
