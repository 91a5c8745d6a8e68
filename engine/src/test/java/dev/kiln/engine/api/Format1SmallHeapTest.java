package dev.kiln.engine.api;

import dev.kiln.engine.actor.Format1Database;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.commit.Format1Content;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded memory across the format change (issue 12): a database of commit format 1 and its export
 * are written here ({@link Format1Content}, {@link Format1Database}); a child JVM with a small heap
 * ({@link Format1SmallHeapChild}) opens the database, which migrates it, imports the export into an
 * empty database, and checks every document of both. An import that held the migrated blocks, or
 * every block's links, in memory ends there in an OutOfMemoryError (seen at the default run's size,
 * in its import step). The default run does {@value #DOCS} documents in {@code -Xmx}{@value #XMX};
 * a million documents in {@code -Xmx256m} (the heap; they do not fit in 128 MiB, see
 * DESIGN.md "Export and import") is tagged {@code million} ({@code mvn -B -pl engine -am verify
 * -Pmillion}).
 */
class Format1SmallHeapTest {
  static final int DOCS = 80_000;
  static final String XMX = "48m";

  @TempDir Path dir;

  @Test
  void aFormat1DatabaseAndExportLargerThanTheHeapMigrateAndImportWithEveryDocument() throws Exception {
    run(Integer.getInteger("kiln.format1.docs", DOCS), System.getProperty("kiln.format1.xmx", XMX));
  }

  @Test
  @Tag("million")
  void aMillionDocumentsOfFormat1MigrateAndImportIn256MiB() throws Exception {
    run(1_000_000, "256m");
  }

  private void run(int docs, String xmx) throws Exception {
    Path data = dir.resolve("data");
    Format1Content content = new Format1Content(docs);
    Block commit;
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(data, Map.of()))) {
      commit = Format1Database.write(kiln, data, "legacy", content).commit();
    }
    Path export = dir.resolve("export-format1.car");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(export), 1 << 16)) {
      CarWriter.write(List.of(commit.cid()), content.blocks(), out);
    }
    ChildJvm.run(dir, xmx, docs + " docs of format 1", Format1SmallHeapChild.class, data.toString(),
        export.toString(), String.valueOf(docs));
  }
}
