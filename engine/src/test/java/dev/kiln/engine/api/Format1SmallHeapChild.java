package dev.kiln.engine.api;

import static dev.kiln.engine.api.SmallHeapChild.check;
import static dev.kiln.engine.api.SmallHeapChild.step;

import com.typesafe.config.Config;
import dev.kiln.engine.commit.Format1Content;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.Exported;
import dev.kiln.protocol.DatabaseProtocol.Imported;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The child JVM of {@link Format1SmallHeapTest}: {@code Format1SmallHeapChild DATA_DIR EXPORT DOCS}
 * opens the database {@code legacy} of commit format 1 in DATA_DIR (migrated as it opens), imports
 * EXPORT (an export of format 1) into the empty database {@code imported}, and checks every document
 * of both against {@link Format1Content}, exports the imported database and imports that export again,
 * printing one line per step and {@code done} at the end.
 * Any failure, an OutOfMemoryError included, ends it without {@code done}.
 */
public final class Format1SmallHeapChild {
  private static final int PAGE = 2_000;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Path export = Path.of(args[1]);
    int docs = Integer.parseInt(args[2]);
    Format1Content content = new Format1Content(docs);
    Config config = KilnTestSupport.config(dir, Map.of("kiln.block-cache-bytes", "4 MiB", "kiln.ask-timeout", "60m",
        "kiln.auto-compact", 0));
    long t = System.nanoTime();
    try (Kiln kiln = Kiln.start(config)) {
      Database legacy = kiln.open("legacy");
      DatabaseStats migrated = KilnTestSupport.await(legacy.stats());
      check(migrated.documents() == content.liveDocuments(), "migrated with " + migrated.documents() + " documents");
      t = step("open-migrated", t);
      checkEveryDocument(legacy, docs);
      t = step("all-docs-migrated", t);

      Database imported = kiln.open("imported");
      Imported got = KilnTestSupport.await(imported.importCar(export));
      check(got.clock().equals(migrated.clock()), "the import's head " + got.clock() + " is not the migration's "
          + migrated.clock());
      check(got.documents() == content.liveDocuments(), "imported " + got.documents() + " documents");
      t = step("import", t);
      checkEveryDocument(imported, docs);
      t = step("all-docs-imported", t);

      // and out again: the export streams the database to a file, and that file imports to the same head
      Path again = export.resolveSibling("again.car");
      Exported out = KilnTestSupport.await(imported.exportCar(again));
      check(out.root().equals(got.root()), "the export's root " + out.root() + " is not the head " + got.root());
      t = step("export", t);
      Imported back = KilnTestSupport.await(kiln.open("reimported").importCar(again));
      check(back.clock().equals(migrated.clock()), "the export imports to " + back.clock());
      step("import-export", t);
    }
    System.out.println("done");
  }

  /** Every document, deleted ones included, by pages that each start at the last id of the one before. */
  private static void checkEveryDocument(Database db, int docs) {
    int next = 0;
    String last = null;
    while (true) {
      AllDocsQuery q = AllDocsQuery.all().withIncludeDeleted(true).withLimit(last == null ? PAGE : PAGE + 1);
      List<DocRow> page = KilnTestSupport.await(db.allDocs(last == null ? q : q.withStart(last))).rows();
      for (DocRow row : page.subList(last == null ? 0 : 1, page.size())) {
        check(row.id().equals(Format1Content.id(next)), "row " + row.id() + " where " + Format1Content.id(next)
            + " was expected");
        check(row.deleted() == Format1Content.deleted(next), "document " + row.id() + " deleted: " + row.deleted());
        check(row.deleted() || row.doc().get("n").asLong() == next && row.doc().get("pad").asText()
            .equals(Format1Content.document(next).get("pad")), "document " + row.id() + " is " + row.doc());
        next++;
      }
      if (page.size() < q.limit()) {
        check(next == docs, "all-docs gave " + next + " documents, not " + docs);
        return;
      }
      last = page.get(page.size() - 1).id();
    }
  }
}
