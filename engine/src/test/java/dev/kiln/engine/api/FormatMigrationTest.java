package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.JSON;
import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarReader;
import dev.kiln.engine.car.CarVisitor;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory written by Kiln before commit format 2 (main at 2c229f7, by replaying
 * {@code format1/ops.ndjson} with {@code format1/GenLegacy.java.txt}) opens, is migrated, and holds
 * the same content: the same rows and versions as the old code answered ({@code expected.json}), and
 * the very head commit that the current code writes for the same operations (history independence
 * across the migration). An export of the old format imports the same way.
 */
class FormatMigrationTest {
  private static final Map<String, Object> NO_AUTO_COMPACT = Map.of("kiln.auto-compact", 0);

  @Test
  void aFormat1DataDirectoryOpensMigratedToTheHeadTheCurrentFormatWritesForTheSameOperations(@TempDir Path tmp)
      throws Exception {
    Path old = tmp.resolve("old");
    copyTree(fixture().resolve("data"), old);
    String replayed = replay(tmp.resolve("new"));
    JsonNode expected = JSON.readTree(fixture().resolve("expected.json").toFile());

    Kiln kiln = Kiln.start(KilnTestSupport.config(old, NO_AUTO_COMPACT));
    String migratedClock;
    try {
      Database db = kiln.open("legacy");
      assertThat(asJson(await(db.allDocs(AllDocsQuery.all().withIncludeDeleted(true)))).get("rows"))
          .isEqualTo(expected.get("allDocs").get("rows"));
      assertThat(asJson(await(db.changes(0, 0)).changes())).isEqualTo(expected.get("changes"));
      migratedClock = await(db.stats()).clock();
      assertThat(migratedClock).isEqualTo(replayed);
      // the migrated indexes answer as indexes kept current do
      assertThat(await(db.query("kind", IndexQuery.all())).rows()).isNotEmpty();
      assertThat(await(db.query("tags", IndexQuery.all())).rows()).isNotEmpty();
      await(db.put(JSON.readTree("{\"_id\": \"after\", \"kind\": \"fig\"}")));
    } finally {
      kiln.close();
    }
    // The migration is in the journal: a reopen finds the new format (and the write after it).
    kiln = Kiln.start(KilnTestSupport.config(old, NO_AUTO_COMPACT));
    try {
      Database db = kiln.open("legacy");
      assertThat(await(db.get("after")).get("kind").asText()).isEqualTo("fig");
      assertThat(await(db.query("kind", IndexQuery.all().withKey("\"fig\""))).rows()).hasSize(1);
      assertThat(await(db.stats()).lastSeq()).isEqualTo(lastSeq(expected) + 1);
    } finally {
      kiln.close();
    }
  }

  @Test
  void aFormat1ExportImportsAsTheCurrentFormat(@TempDir Path tmp) throws Exception {
    String replayed = replay(tmp.resolve("new"));
    Kiln kiln = Kiln.start(KilnTestSupport.config(tmp.resolve("import"), NO_AUTO_COMPACT));
    try {
      Database db = kiln.open("imported");
      assertThat(await(db.importCar(fixture().resolve("export-format1.car"))).clock()).isEqualTo(replayed);
      // every document came along, not only the new trees
      JsonNode expected = JSON.readTree(fixture().resolve("expected.json").toFile());
      assertThat(asJson(await(db.allDocs(AllDocsQuery.all().withIncludeDeleted(true)))).get("rows"))
          .isEqualTo(expected.get("allDocs").get("rows"));
      assertThat(asJson(await(db.changes(0, 0)).changes())).isEqualTo(expected.get("changes"));
    } finally {
      kiln.close();
    }
  }

  @Test
  void aTruncatedTamperedOrIncompleteFormat1ExportIsRefusedAndNothingIsStored(@TempDir Path tmp) throws Exception {
    byte[] bytes = Files.readAllBytes(fixture().resolve("export-format1.car"));
    List<Path> refused = KilnTestSupport.truncatedAndTampered(bytes, tmp);
    Path truncated = refused.get(0);
    Path tampered = refused.get(1);
    // without one document's block: only the trees of format 1 name it, the migration's trees link it
    List<Block> blocks = new ArrayList<>();
    List<Cid> roots = new ArrayList<>();
    try (InputStream in = new ByteArrayInputStream(bytes)) {
      CarReader.read("export-format1.car", in, new CarVisitor() {
        @Override
        public void header(List<Cid> r) {
          roots.addAll(r);
        }

        @Override
        public void block(Cid cid, byte[] data, long offset) {
          blocks.add(Block.verified(cid, data, "export-format1.car"));
        }
      });
    }
    Block document = blocks.stream().filter(b -> b.decode() instanceof Map<?, ?> m && "doc-001".equals(m.get("_id")))
        .findFirst().orElseThrow();
    blocks.remove(document);
    Path incomplete = tmp.resolve("incomplete.car");
    Files.write(incomplete, CarWriter.encode(roots, blocks).bytes());

    Kiln kiln = Kiln.start(KilnTestSupport.config(tmp.resolve("import"), NO_AUTO_COMPACT));
    try {
      Database db = kiln.open("imported");
      for (Path bad : List.of(truncated, tampered, incomplete)) {
        String why = KilnTestSupport.failsWith(db.importCar(bad), ErrorCode.INVALID_DOCUMENT).getMessage();
        assertThat(why).as(bad.toString()).contains(bad.getFileName().toString()).contains("nothing was stored");
      }
      assertThat(KilnTestSupport.failsWith(db.importCar(incomplete), ErrorCode.INVALID_DOCUMENT).getMessage())
          .contains("incomplete").contains(document.cid().toString());
      DatabaseStats stats = await(db.stats());
      assertThat(stats.lastSeq()).isZero();
      assertThat(stats.carFiles()).isZero();
      assertThat(stats.clock()).isNull();
    } finally {
      kiln.close();
    }
  }

  /** As JSON text read back, so numbers compare as the expected file's do. */
  private static JsonNode asJson(Object value) throws IOException {
    return JSON.readTree(JSON.writeValueAsString(value));
  }

  private static long lastSeq(JsonNode expected) {
    long max = 0;
    for (JsonNode c : expected.get("changes")) {
      max = Math.max(max, c.get("seq").asLong());
    }
    return max;
  }

  /** Runs {@code ops.ndjson} on the current code in a fresh directory; the head clock. */
  private static String replay(Path dir) throws IOException {
    Kiln kiln = Kiln.start(KilnTestSupport.config(dir, NO_AUTO_COMPACT));
    try {
      Database db = kiln.open("legacy");
      for (String line : Files.readAllLines(fixture().resolve("ops.ndjson"))) {
        JsonNode op = JSON.readTree(line);
        switch (op.get("op").asText()) {
          case "bulk" -> {
            List<Object> docs = new ArrayList<>();
            op.get("docs").forEach(docs::add);
            await(db.putAll(docs));
          }
          case "put" -> await(db.put((ObjectNode) op.get("doc")));
          case "delete" -> await(db.delete(op.get("id").asText()));
          case "index" -> await(db.defineIndex(op.get("field").asText(), op.get("each").asBoolean()));
          case "compact" -> await(db.compact());
          default -> throw new IllegalArgumentException(line);
        }
      }
      return await(db.stats()).clock();
    } finally {
      kiln.close();
    }
  }

  static Path fixture() {
    try {
      return Path.of(FormatMigrationTest.class.getResource("/format1/ops.ndjson").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      all.forEach(p -> {
        try {
          Path target = to.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
