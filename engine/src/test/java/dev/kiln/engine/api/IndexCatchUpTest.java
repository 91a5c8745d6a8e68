package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.JSON;
import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.IndexDefined;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defining an index on existing documents runs in bounded commits ({@code kiln.index.catch-up-batch})
 * that advance the index's sequence, with writes between them; a query on the index waits until it
 * is current; a catch-up cut short by a close goes on when the database opens again; and the index
 * ends as one built in a single commit.
 */
class IndexCatchUpTest {
  private static final int DOCS = 300;

  private static Kiln start(Path dir, int batch) {
    // a define and a query wait for every catch-up commit (fsynced): a long ask timeout, as the machine may be slow
    return Kiln.start(KilnTestSupport.config(dir, Map.of("kiln.auto-compact", 0, "kiln.index.catch-up-batch", batch,
        "kiln.ask-timeout", "10m")));
  }

  private static void load(Database db) {
    List<Object> docs = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      docs.add(JSON.createObjectNode().put("_id", String.format("d%04d", i)).put("n", i % 37));
    }
    await(db.putAll(docs));
  }

  private static ObjectNode extra() {
    return JSON.createObjectNode().put("_id", "written-during-catch-up").put("n", 1000);
  }

  /** The head clock of the same documents with the index built in one commit. */
  private static String builtAtOnce(Path dir) {
    Kiln kiln = start(dir, Integer.MAX_VALUE);
    try {
      Database db = kiln.open("db");
      load(db);
      await(db.put(extra()));
      await(db.defineIndex("n"));
      assertThat(await(db.stats()).indexedSeqs()).containsEntry("n", (long) DOCS + 1);
      return await(db.stats()).clock();
    } finally {
      kiln.close();
    }
  }

  @Test
  void aWriteSentAfterTheDefineCommitsBeforeTheIndexIsCurrentAndTheIndexEndsAsOneBuiltAtOnce(@TempDir Path tmp)
      throws Exception {
    String atOnce = builtAtOnce(tmp.resolve("at-once"));
    Path dir = tmp.resolve("bounded");
    Kiln kiln = start(dir, 3);
    try {
      Database db = kiln.open("db");
      load(db);
      long generationBefore = await(db.stats()).generation();
      // Sent one after the other: the write reaches the database after the define.
      CompletableFuture<IndexDefined> defined = db.defineIndex("n").toCompletableFuture();
      WriteResult write = await(db.put(extra()));
      assertThat(defined).as("the define waits for the whole catch-up, the write did not").isNotDone();
      CommitRoots writeCommit = commitAt(dir, write.clock());
      assertThat(writeCommit.indexes().get("n").seq()).as("the write's commit has the index still behind")
          .isLessThan(write.seq());
      // Sent while the index is behind: it waits until the index is current, then sees every document.
      int rows = await(db.query("n", IndexQuery.all())).rows().size();
      assertThat(rows).isEqualTo(DOCS + 1);
      defined.join();
      var stats = await(db.stats());
      assertThat(stats.indexedSeqs()).containsEntry("n", stats.lastSeq());
      assertThat(stats.generation() - generationBefore).as("commits of at most 3 documents each")
          .isGreaterThanOrEqualTo((DOCS + 1) / 3);
      assertThat(stats.clock()).isEqualTo(atOnce);
    } finally {
      kiln.close();
    }
  }

  @Test
  void aCatchUpCutShortByACloseGoesOnWhenTheDatabaseOpensAgain(@TempDir Path tmp) throws Exception {
    String atOnce = builtAtOnce(tmp.resolve("at-once"));
    Path dir = tmp.resolve("bounded");
    Kiln kiln = start(dir, 2);
    CompletableFuture<IndexDefined> defined;
    try {
      Database db = kiln.open("db");
      load(db);
      defined = db.defineIndex("n").toCompletableFuture();
      await(db.put(extra())); // committed while the catch-up runs (see the test above)
    } finally {
      kiln.close();
    }
    try {
      defined.join();
      // finished before the close: possible, but then there is nothing to resume (the check below still holds)
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(KilnException.class);
      assertThat(((KilnException) e.getCause()).code()).isEqualTo(ErrorCode.CLOSED);
    }
    kiln = start(dir, 2);
    try {
      Database db = kiln.open("db");
      // the query waits for the resumed catch-up
      assertThat(await(db.query("n", IndexQuery.all())).rows()).hasSize(DOCS + 1);
      assertThat(await(db.stats()).clock()).isEqualTo(atOnce);
    } finally {
      kiln.close();
    }
  }

  /** The commit block a clock names, read from the CAR files (auto-compaction is off: every commit's CAR stays). */
  private static CommitRoots commitAt(Path dir, String clock) {
    Cid commit = Cid.parse(clock);
    try (FileCarStore store = new FileCarStore(dir.resolve("db").resolve("cars"), false)) {
      for (Cid car : store.list()) {
        CarIndex index = store.open(car);
        if (index.roots().contains(commit)) {
          Block[] found = new Block[1];
          index.forEachBlock((cid, at) -> {
            if (cid.equals(commit)) {
              found[0] = store.read(car, cid, at);
            }
          });
          return CommitRoots.fromBlock(found[0]);
        }
      }
    }
    throw new AssertionError("no CAR holds commit " + clock);
  }
}
