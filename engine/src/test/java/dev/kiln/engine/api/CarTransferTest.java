package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.JSON;
import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.transfer.CarTransfer;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.Exported;
import dev.kiln.protocol.DatabaseProtocol.Imported;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Export to one CAR and import into an empty database: the same state, or nothing at all. */
class CarTransferTest extends EmbeddedKilnTest {
  static ObjectNode doc(String json) throws Exception {
    return (ObjectNode) JSON.readTree(json);
  }

  Exported exportSome(Path file) throws Exception {
    Database db = kiln.open("source");
    Random random = new Random(15);
    for (int batch = 0; batch < 8; batch++) {
      List<ObjectNode> docs = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        docs.add(doc("{\"_id\":\"d" + (batch * 50 + i) + "\",\"n\":" + i + ",\"tags\":[\"t" + (i % 7) + "\",\"x\"]}"));
      }
      await(db.putAll(docs));
    }
    for (int i = 0; i < 30; i++) {
      await(db.put(doc("{\"_id\":\"d" + random.nextInt(400) + "\",\"n\":" + (1000 + i) + "}")));
    }
    for (int i = 0; i < 20; i++) {
      db.delete("d" + i).toCompletableFuture().exceptionally(e -> null).join();
    }
    await(db.defineIndex("tags", true));
    await(db.compact());
    await(db.put(doc("{\"_id\":\"late\",\"n\":-1,\"tags\":[\"t1\"]}"))); // a CarLog of two CARs
    return await(db.exportCar(file));
  }

  @Test
  void exportThenImportGivesTheSameDocumentsAllDocsAndHeadCid() throws Exception {
    Path file = dir.resolve("source.car");
    Exported exported = exportSome(file);
    Database source = kiln.open("source");
    DatabaseStats before = await(source.stats());
    assertThat(exported.root()).isEqualTo(before.clock());
    assertThat(exported.fileBytes()).isEqualTo(Files.size(file));

    Database copy = kiln.open("copy");
    Imported imported = await(copy.importCar(file));
    assertThat(imported.root()).isEqualTo(before.clock());
    assertThat(imported.documents()).isEqualTo(before.documents());
    assertThat(imported.seq()).isEqualTo(before.lastSeq());
    AllDocsQuery everything = AllDocsQuery.all().withIncludeDeleted(true);
    assertThat(await(copy.allDocs(everything)).rows()).isEqualTo(await(source.allDocs(everything)).rows());
    assertThat(await(copy.changes(0, 0)).changes()).isEqualTo(await(source.changes(0, 0)).changes());
    assertThat(await(copy.query("tags", IndexQuery.all().withKey("\"t1\""))).rows())
        .isEqualTo(await(source.query("tags", IndexQuery.all().withKey("\"t1\""))).rows());

    await(copy.close());
    Database reopened = kiln.open("copy");
    assertThat(await(reopened.stats()).clock()).isEqualTo(before.clock());
    assertThat(await(reopened.allDocs(everything)).rows()).isEqualTo(await(source.allDocs(everything)).rows());
    failsWith(reopened.importCar(file), ErrorCode.CONFLICT); // only into an empty database
  }

  @Test
  void aTruncatedTamperedOrIncompleteCarIsRefusedAndNothingIsStored() throws Exception {
    Path file = dir.resolve("source.car");
    exportSome(file);
    byte[] bytes = Files.readAllBytes(file);

    List<Path> refused = KilnTestSupport.truncatedAndTampered(bytes, dir);
    Path truncated = refused.get(0);
    Path tampered = refused.get(1);
    Path incomplete = dir.resolve("incomplete.car");
    CarTransfer.Loaded loaded = CarTransfer.load(file);
    List<Block> most = new ArrayList<>();
    loaded.blocks().forEach(most::add);
    most.remove(most.size() / 2);
    Files.write(incomplete, CarWriter.encode(List.of(loaded.root()), most).bytes());

    Database target = kiln.open("target");
    for (Path bad : List.of(truncated, tampered, incomplete, dir.resolve("absent.car"))) {
      String why = failsWith(target.importCar(bad), ErrorCode.INVALID_DOCUMENT).getMessage();
      assertThat(why).as(bad.toString()).contains(bad.getFileName().toString()).contains("nothing was stored");
    }
    assertThat(failsWith(target.importCar(incomplete), ErrorCode.INVALID_DOCUMENT).getMessage()).contains("incomplete");
    DatabaseStats stats = await(target.stats());
    assertThat(stats.lastSeq()).isZero();
    assertThat(stats.carLogLength()).isZero();
    assertThat(stats.carFiles()).isZero();
    assertThat(stats.clock()).isNull();
    failsWith(target.exportCar(dir.resolve("empty.car")), ErrorCode.NOT_FOUND);
  }
}
