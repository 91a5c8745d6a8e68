package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 9: {@code Kiln.open} waits for the old actor of a name for at most the ask timeout, and
 * without holding the lock that every other {@code open} needs; an {@code OpenView} whose ask
 * timed out does not pin its CARs (before the fix the open waited forever, and the view held its
 * CARs for {@code view-idle-timeout}).
 */
class Defect09BoundedWaitsTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  Kiln kiln;

  @BeforeEach
  void start() {
    // The in-memory journal, so that the short ask timeout bounds only what this test is about.
    kiln = Kiln.start(org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin.getInstance().config()
        .withFallback(org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin.getInstance().config())
        .withFallback(KilnTestSupport.config(dir, Map.of("kiln.ask-timeout", "3s", "kiln.car.fsync", "off"))));
  }

  @AfterEach
  void stop() {
    kiln.close();
  }

  /** A store whose writes or reads can be held at a gate; it reports deletions. */
  static final class GatedStore extends ForwardingCarStore {
    volatile CountDownLatch writes;
    volatile CountDownLatch reads;
    volatile CountDownLatch opens;
    final BlockingQueue<String> waiting = new LinkedBlockingQueue<>();
    final BlockingQueue<Cid> deleted = new LinkedBlockingQueue<>();

    GatedStore(CarStore inner) {
      super(inner);
    }

    private void pass(CountDownLatch gate, String what) {
      if (gate == null) {
        return;
      }
      waiting.add(what);
      try {
        gate.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
      pass(writes, "write");
      return inner.write(roots, blocks);
    }

    @Override
    public CarIndex open(Cid car) {
      pass(opens, "open");
      return inner.open(car);
    }

    @Override
    public Block read(Cid car, Cid block, BlockLocation at) {
      pass(reads, "read");
      return inner.read(car, block, at);
    }

    @Override
    public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
      return CarStore.readOneByOne(this, car, blocks, at);
    }

    @Override
    public void delete(Cid car) {
      inner.delete(car);
      deleted.add(car);
    }
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode doc(String id) {
    return JsonNodeFactory.instance.objectNode().put("_id", id);
  }

  @Test
  void openWaitsForAClosingDatabaseWithABound_andOtherOpensGoOn() throws Exception {
    GatedStore[] store = new GatedStore[1];
    Database db = kiln.open("slow", kiln.defaults(), s -> store[0] = new GatedStore(s));
    await(db.put(doc("a")));
    store[0].writes = new CountDownLatch(1);
    db.put(doc("b")); // held in the store past the ask timeout
    assertThat(store[0].waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("write");
    db.close(); // the actor stops only after the held write

    CompletableFuture<Database> again = CompletableFuture.supplyAsync(() -> kiln.open("slow"));
    Database other = CompletableFuture.supplyAsync(() -> kiln.open("other")).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    await(other.put(doc("x")));
    assertThatThrownBy(() -> again.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
        .hasCauseInstanceOf(KilnException.class)
        .satisfies(e -> assertThat(((KilnException) e.getCause()).code()).isEqualTo(ErrorCode.TIMEOUT));

    store[0].writes.countDown();
    store[0].writes = null;
    db.terminated().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    Database reopened = kiln.open("slow");
    assertThat(await(reopened.get("b"))).isNotNull();
  }

  @Test
  void aViewWhoseOpenTimedOutIsClosed_soItsCarsCanGo() throws Exception {
    GatedStore[] store = new GatedStore[1];
    Database db = kiln.open("views", kiln.defaults(), s -> store[0] = new GatedStore(s));
    await(db.put(doc("a")));
    await(db.put(doc("b")));
    Set<Cid> before = new HashSet<>(store[0].list());
    await(db.close());

    // The next open is held while it opens the CARs of its log, so an OpenView sent now times out.
    GatedStore[] again = new GatedStore[1];
    CountDownLatch loading = new CountDownLatch(1);
    Database db2 = kiln.open("views", kiln.defaults(), s -> {
      again[0] = new GatedStore(s);
      again[0].opens = loading;
      return again[0];
    });
    assertThat(again[0].waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("open");
    failsWith(db2.openView(), ErrorCode.TIMEOUT);
    again[0].opens = null;
    loading.countDown();

    await(db2.compact());
    Set<Cid> deleted = new HashSet<>();
    while (!deleted.containsAll(before)) {
      Cid d = again[0].deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(d).as("the replaced CARs %s are deleted: no view from the timed-out open holds them", before).isNotNull();
      deleted.add(d);
    }
  }
}
