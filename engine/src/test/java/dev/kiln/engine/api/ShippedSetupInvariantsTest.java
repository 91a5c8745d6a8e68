package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The invariants on the setup users get: real CAR files with fsync on, the H2 file journal, the
 * block cache, nothing replaced by a test double. The invariant tests in the actor package check
 * each invariant under controlled orders on an in-memory store and journal; this checks that the
 * shipped pieces keep them together: acknowledged writes survive a restart (1), writes during a
 * compaction are kept (4), one compacted CAR answers every read and both kinds of index after a
 * restart with an empty cache (6), replaced CARs are gone and no orphan is left (7, 9).
 */
class ShippedSetupInvariantsTest {
  @TempDir Path dir;

  private static final IndexDefinition BY_DECADE = IndexDefinition.map("byDecade",
      (doc, emit) -> emit.emit(IntNode.valueOf(doc.get("n").asInt() / 10)));

  private static ObjectNode doc(String id, int n, String city) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("n", n).put("city", city);
  }

  private Database open(Kiln kiln) {
    return kiln.open("shipped", kiln.defaults().withIndex(BY_DECADE), store -> {
      assertThat(((FileCarStore) store).fsync()).as("the shipped store fsyncs").isTrue();
      return store;
    });
  }

  @Test
  void onRealFilesWithFsyncAndTheH2JournalEveryInvariantHoldsAcrossCompactionAndRestart() throws IOException {
    String[] cities = {"Oslo", "Lima", "Pune"};
    List<QueryRow> byCity;
    List<QueryRow> byDecade;
    AllDocsResult all;
    try (Kiln kiln = KilnTestSupport.start(dir)) {
      assertThat(kiln.defaults().fsync()).isTrue();
      Database db = open(kiln);
      await(db.defineIndex("city"));
      for (int i = 0; i < 120; i++) {
        await(db.put(doc("d" + i, i, cities[i % 3])));
      }
      for (int i = 0; i < 120; i += 7) {
        await(db.delete("d" + i));
      }
      // Writes sent while the compaction runs are kept by its install (invariant 4).
      CompletableFuture<?> compaction = db.compact().toCompletableFuture();
      List<CompletableFuture<?>> during = new ArrayList<>();
      for (int i = 200; i < 220; i++) {
        during.add(db.put(doc("d" + i, i, cities[i % 3])).toCompletableFuture());
      }
      compaction.join();
      during.forEach(CompletableFuture::join);
      await(db.compact()); // and once more, so one CAR holds everything
      byCity = await(db.query("city", IndexQuery.all().withIncludeDocs(true))).rows();
      byDecade = await(db.query("byDecade", IndexQuery.all().withIncludeDocs(true))).rows();
      all = await(db.allDocs());
      assertThat(all.rows()).hasSize(120 - 18 + 20);
    }

    // A new Kiln: a cold block cache, the journal replayed from H2, the CARs from disk.
    try (Kiln kiln = KilnTestSupport.start(dir)) {
      Database db = open(kiln);
      DatabaseStats stats = await(db.stats());
      assertThat(stats.carLogLength()).isEqualTo(1);
      assertThat(carFiles()).as("CAR files on disk: replaced ones deleted, no orphan, no temp file")
          .hasSize(stats.carFiles()).hasSize(1);
      assertThat(await(db.allDocs()).rows()).isEqualTo(all.rows());
      assertThat(await(db.query("city", IndexQuery.all().withIncludeDocs(true))).rows()).isEqualTo(byCity);
      assertThat(await(db.query("byDecade", IndexQuery.all().withIncludeDocs(true))).rows()).isEqualTo(byDecade);
      assertThat(byCity).hasSize(all.rows().size());
      assertThat(await(db.get("d219")).get("n").asInt()).isEqualTo(219);
    }
  }

  /** The CAR files of the database; every other file there must be the block index of one of them. */
  private List<Path> carFiles() throws IOException {
    List<Path> all;
    try (Stream<Path> files = Files.list(dir.resolve("shipped").resolve("cars"))) {
      all = files.toList();
    }
    List<Path> cars = all.stream().filter(f -> f.getFileName().toString().endsWith(".car")).toList();
    assertThat(all).as("files beside the CARs: only their index files")
        .containsExactlyInAnyOrderElementsOf(Stream.concat(cars.stream(), cars.stream().map(
            car -> car.resolveSibling(car.getFileName().toString().replaceFirst("\\.car$", ".idx")))).toList());
    return cars;
  }
}
