package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.RecordingChannel;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.car.RecordingFileCarStore;
import dev.kiln.protocol.DatabaseProtocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 seen on the device: a commit, and a compaction's install, happen in the order "write
 * the CAR, force it, rename it, force the directory, persist the event, answer". The store is a real
 * {@link FileCarStore} with fsync on whose channels log every write and force; the journal logs each
 * event it persists into the same log; the test logs the answer when it arrives.
 */
class DurabilityOrderTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("durability-order", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aWriteAndACompactionAreDurableBeforeTheirEventAndTheEventBeforeTheAnswer() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    journal.withPolicy((persistenceId, op) -> {
      if (op instanceof WriteEvents w) {
        for (Object e : w.getBatch()) {
          log.add("persist " + e.getClass().getSimpleName());
        }
      }
      return ProcessingSuccess.getInstance();
    });
    try {
      String name = InvariantKit.uniqueName("durable");
      FileCarStore store = RecordingFileCarStore.create(dir.resolve(name), log);
      ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
          DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name);
      InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
      await(db.stats()); // opened (its start-up writes nothing)
      log.clear();

      await(db.put(doc("a", 1)).thenRun(() -> log.add("answer")));
      assertThat(RecordingChannel.folded(log)).as("a put").containsExactly(
          "write temp", "force temp", "rename", "force dir", "persist CarAppended", "answer");

      await(db.put(doc("b", 2)));
      log.clear();
      await(db.compact().thenRun(() -> log.add("answer")));
      assertThat(RecordingChannel.folded(log)).as("a compaction").containsExactly(
          "write temp", "force temp", "rename", "force dir", "persist Compacted", "answer");
    } finally {
      journal.resetPolicy();
    }
  }
}
