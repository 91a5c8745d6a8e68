package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Writers past the bounds get a typed OVERLOADED answer: never a crash, never silence. */
class OverloadTest {
  final ActorTestKit testKit = ActorTestKit.create(PersistenceTestKitPlugin.getInstance().config()
      .withFallback(PersistenceTestKitSnapshotPlugin.getInstance().config())
      .withFallback(KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of(
          "kiln.journal.plugin-id", PersistenceTestKitPlugin.PluginId(),
          "kiln.journal.snapshot-plugin-id", PersistenceTestKitSnapshotPlugin.PluginId(),
          "kiln.commit.max-pending-writes", 5)))));

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** A store whose writes wait until the test opens the gate. */
  static final class GatedStore implements CarStore {
    final MemoryCarStore inner = new MemoryCarStore();
    final CountDownLatch gate = new CountDownLatch(1);

    @Override
    public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
      try {
        gate.await(InvariantKit.WAIT.toMillis() * 3, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return inner.write(roots, blocks);
    }

    @Override public CarIndex open(Cid car) { return inner.open(car); }
    @Override public Block read(Cid car, Cid block, BlockLocation at) { return inner.read(car, block, at); }
    @Override public boolean exists(Cid car) { return inner.exists(car); }
    @Override public List<Cid> list() { return inner.list(); }
    @Override public void delete(Cid car) { inner.delete(car); }
    @Override public long size(Cid car) { return inner.size(car); }
    @Override public void close() { inner.close(); }
  }

  @Test
  void writesBeyondMaxPendingAreRefusedWithOverloadedAndTheRestAreStored() {
    GatedStore store = new GatedStore();
    DatabaseSettings settings = DatabaseSettings.from(testKit.system().settings().config());
    ActorRef<DatabaseProtocol.Command> db = testKit.spawn(
        DatabaseActor.create("overload", store, Caffeine.newBuilder().<Cid, Block>build(), settings));
    TestProbe<StatusReply<WriteResult>> probe = testKit.createTestProbe();
    for (int i = 0; i < 20; i++) {
      db.tell(new DatabaseProtocol.Put(JsonNodeFactory.instance.objectNode().put("_id", "d" + i), probe.getRef()));
    }
    List<StatusReply<WriteResult>> replies = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      replies.add(probe.receiveMessage(InvariantKit.WAIT));
    }
    for (StatusReply<WriteResult> r : replies) {
      assertThat(r.isError()).isTrue();
      assertThat(r.getError()).isInstanceOf(KilnException.class);
      assertThat(((KilnException) r.getError()).code()).isEqualTo(ErrorCode.OVERLOADED);
      assertThat(r.getError().getMessage()).contains("overloaded").contains("retry");
    }
    store.gate.countDown();
    for (int i = 0; i < 5; i++) {
      assertThat(probe.receiveMessage(InvariantKit.WAIT).isSuccess()).isTrue();
    }
    TestProbe<StatusReply<DatabaseProtocol.AllDocsResult>> all = testKit.createTestProbe();
    db.tell(new DatabaseProtocol.AllDocs(DatabaseProtocol.AllDocsQuery.all(), all.getRef()));
    assertThat(all.receiveMessage(InvariantKit.WAIT).getValue().rows()).hasSize(5);
  }
}
