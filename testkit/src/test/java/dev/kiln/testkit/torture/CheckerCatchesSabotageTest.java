package dev.kiln.testkit.torture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A torture run against a database sabotaged while it runs: the checker must notice, and say which
 * document and which operations show it.
 */
class CheckerCatchesSabotageTest {
  static final long SEED = 11L;
  /** Only bounds a run whose sabotage never switches on; a run ends once it has. */
  static final Duration LONGEST = TestTime.dilated(Duration.ofSeconds(60));

  @TempDir Path dir;

  @Test
  void aReadThatReturnsAnOlderValueThanAnAcknowledgedWriteIsCaught() {
    // After a while, gets of d0001 return the first version this wrapper ever saw: the database
    // "lost" every write acknowledged since.
    // The run lasts until the sabotage has answered 20 reads with a value older than the stored one.
    Map<String, ObjectNode> first = new ConcurrentHashMap<>();
    AtomicInteger gets = new AtomicInteger();
    AtomicInteger sabotaged = new AtomicInteger();
    Torture.Report report = Torture.run(Torture.options()
        .seed(SEED).until(p -> sabotaged.get() >= 20).duration(LONGEST).docs(4).writers(2).deleters(0).readers(2)
        .compactProbability(0).reopenProbability(0).dataDir(dir)
        .dbWrapper(db -> new Forwarding(db) {
          @Override
          public CompletionStage<ObjectNode> get(String id) {
            return db.get(id).thenApply(doc -> {
              ObjectNode old = first.computeIfAbsent(id, k -> doc);
              if (gets.incrementAndGet() > 100 && id.equals("d0001")) {
                if (!old.equals(doc)) {
                  sabotaged.incrementAndGet();
                }
                return old;
              }
              return doc;
            });
          }
        }));

    assertThat(sabotaged.get()).as("reads the sabotage answered with an old value").isGreaterThanOrEqualTo(20);
    assertThat(report.anomalies()).isNotEmpty();
    assertThat(report.anomalies()).extracting(Anomaly::kind).contains("stale read");
    Anomaly stale = report.anomalies().stream().filter(a -> a.kind().equals("stale read")).findFirst().orElseThrow();
    assertThat(stale.doc()).isEqualTo("d0001");
    // The slice: the write that was read, the newer acknowledged one, and the read; nothing else.
    assertThat(stale.slice()).hasSize(3).allMatch(op -> "d0001".equals(op.doc()));
    assertThat(report.describe(3)).contains("seed " + SEED, "stale read on d0001");
  }

  @Test
  void aBlockDroppedFromAnAcknowledgedWriteIsCaughtAsAMissingBlock() {
    // The 6th CAR write keeps only its root (the commit block): the commit is acknowledged, but its
    // trees are not on disk. No block cache, so reads go to the disk and find them missing.
    AtomicInteger writes = new AtomicInteger();
    Torture.Report report = Torture.run(Torture.options()
        .seed(SEED).until(p -> writes.get() >= 6 && p.anomalies() > 0).duration(LONGEST)
        .docs(8).writers(2).deleters(1).readers(2)
        .compactProbability(0).reopenProbability(0).dataDir(dir)
        .setting("kiln.block-cache-bytes", 0)
        .storeWrapper(store -> new DroppingStore(store, writes)));

    assertThat(report.anomalies()).extracting(Anomaly::kind).contains("missing block");
    assertThat(report.describe(3)).contains("seed " + SEED, "missing block");
  }

  @Test
  void aQueryThatLosesARowIsCaught() {
    // After a while, every query for w0 leaves out its first row: an index that lost an entry.
    AtomicInteger queries = new AtomicInteger();
    AtomicInteger sabotaged = new AtomicInteger();
    Torture.Report report = Torture.run(Torture.options()
        .seed(SEED).until(p -> sabotaged.get() >= 20).duration(LONGEST).docs(4).writers(2).deleters(0).readers(2)
        .compactProbability(0).reopenProbability(0).dataDir(dir)
        .dbWrapper(db -> new Forwarding(db) {
          @Override
          public CompletionStage<QueryResult> queryByWriter(String writer) {
            return db.queryByWriter(writer).thenApply(r -> {
              if (queries.incrementAndGet() > 20 && writer.equals("w0") && !r.rows().isEmpty()) {
                sabotaged.incrementAndGet();
                return new QueryResult(r.rows().subList(1, r.rows().size()), r.clock());
              }
              return r;
            });
          }
        }));

    assertThat(sabotaged.get()).as("queries the sabotage cut short").isGreaterThanOrEqualTo(20);
    assertThat(report.anomalies()).extracting(Anomaly::kind).contains("inconsistent query");
    assertThat(report.describe(3)).contains("seed " + SEED, "inconsistent query");
  }

  /** Drops every block but the roots from the 6th write. */
  static final class DroppingStore extends ForwardingCarStore {
    final AtomicInteger writes;

    DroppingStore(CarStore inner, AtomicInteger writes) {
      super(inner);
      this.writes = writes;
    }

    @Override
    public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
      if (writes.incrementAndGet() != 6) {
        return inner.write(roots, blocks);
      }
      List<Block> kept = new ArrayList<>();
      for (Block b : blocks) {
        if (roots.contains(b.cid())) {
          kept.add(b);
        }
      }
      return inner.write(roots, kept);
    }
  }

  /** Passes every call through; a test overrides the one it sabotages. */
  static class Forwarding implements TortureDb {
    final TortureDb db;

    Forwarding(TortureDb db) {
      this.db = db;
    }

    @Override
    public CompletionStage<WriteResult> put(ObjectNode doc) {
      return db.put(doc);
    }

    @Override
    public CompletionStage<WriteResult> delete(String id) {
      return db.delete(id);
    }

    @Override
    public CompletionStage<ObjectNode> get(String id) {
      return db.get(id);
    }

    @Override
    public CompletionStage<AllDocsResult> allDocs() {
      return db.allDocs();
    }

    @Override
    public CompletionStage<ChangesResult> changes(long since) {
      return db.changes(since);
    }

    @Override
    public CompletionStage<CompactResult> compact(dev.kiln.protocol.DatabaseProtocol.CompactionKind kind) {
      return db.compact(kind);
    }

    @Override
    public CompletionStage<QueryResult> queryByWriter(String writer) {
      return db.queryByWriter(writer);
    }
  }

  static <T> CompletionStage<T> done(T t) {
    return CompletableFuture.completedFuture(t);
  }
}
