package dev.kiln.testkit.crash;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * What a database holds after a restart, read through every path a user has: all-docs (with
 * tombstones), a get of every id, the changes feed, stats, and the files in its CAR directory.
 *
 * @param rows every id the document tree holds, live or deleted, by id
 * @param gets what {@code get(id)} answered for each id of {@code rows}: the document, or null for NOT_FOUND
 * @param changes the whole changes feed, in the order it came
 * @param stats the database's stats right after it opened
 * @param carFiles the names of the {@code .car} files in its CAR directory, after Kiln closed
 * @param tempFiles leftover temp files there
 * @param otherFiles anything else there
 */
public record DatabaseImage(
    Map<String, DocRow> rows,
    Map<String, ObjectNode> gets,
    List<Change> changes,
    DatabaseStats stats,
    List<String> carFiles,
    List<String> tempFiles,
    List<String> otherFiles) {
  /** The name ending of a CAR's block index file, {@code <car-cid>.idx}, kept beside the CAR. */
  static final String INDEX_SUFFIX = ".idx";

  public DatabaseImage {
    rows = Collections.unmodifiableMap(rows);
    gets = Collections.unmodifiableMap(gets); // null values: NOT_FOUND
    changes = List.copyOf(changes);
    carFiles = List.copyOf(carFiles);
    tempFiles = List.copyOf(tempFiles);
    otherFiles = List.copyOf(otherFiles);
  }

  /** How many gets run at once while reading. */
  private static final int GET_WINDOW = 128;

  /**
   * Starts Kiln on {@code dataDir} in this JVM (auto-compaction off, so nothing changes while it
   * reads), reads database {@code db}, and closes Kiln again.
   *
   * @param settings the settings the writer ran with (journal location and the like)
   */
  public static DatabaseImage read(Path dataDir, String db, Map<String, Object> settings) {
    Map<String, Object> quiet = new LinkedHashMap<>(settings);
    quiet.put("kiln.auto-compact", 0);
    Map<String, DocRow> rows = new LinkedHashMap<>();
    Map<String, ObjectNode> gets = new HashMap<>();
    List<Change> changes;
    DatabaseStats stats;
    try (Kiln kiln = TestKiln.start(dataDir, quiet)) {
      Database d = kiln.open(db);
      stats = d.stats().toCompletableFuture().join();
      for (DocRow row : d.allDocs(AllDocsQuery.all().withIncludeDeleted(true)).toCompletableFuture().join().rows()) {
        if (rows.put(row.id(), row) != null) {
          throw new IllegalStateException("all-docs of " + db + " lists id " + row.id() + " twice");
        }
      }
      List<String> ids = new ArrayList<>(rows.keySet());
      for (int from = 0; from < ids.size(); from += GET_WINDOW) {
        List<String> window = ids.subList(from, Math.min(ids.size(), from + GET_WINDOW));
        List<CompletableFuture<ObjectNode>> answers = new ArrayList<>(window.size());
        for (String id : window) {
          answers.add(d.get(id).toCompletableFuture().exceptionally(DatabaseImage::nullWhenNotFound));
        }
        for (int i = 0; i < window.size(); i++) {
          gets.put(window.get(i), answers.get(i).join());
        }
      }
      changes = d.changes(0, 0).toCompletableFuture().join().changes();
    }
    List<String> cars = new ArrayList<>();
    List<String> temps = new ArrayList<>();
    List<String> others = new ArrayList<>();
    Path dir = dataDir.resolve(db).resolve("cars");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files.sorted()::iterator) {
          String name = f.getFileName().toString();
          if (name.endsWith(".tmp")) {
            temps.add(name);
          } else if (name.endsWith(".car") && !name.startsWith(".")) {
            cars.add(name);
          } else if (name.endsWith(INDEX_SUFFIX) && !name.startsWith(".")
              && Files.exists(dir.resolve(name.substring(0, name.length() - INDEX_SUFFIX.length()) + ".car"))) {
            // A CAR's block index file, beside its CAR: part of the CAR. One without its CAR is "other".
          } else {
            others.add(name);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
    return new DatabaseImage(rows, gets, changes, stats, cars, temps, others);
  }

  private static ObjectNode nullWhenNotFound(Throwable error) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (t instanceof KilnException k && k.code() == ErrorCode.NOT_FOUND) {
      return null;
    }
    throw error instanceof CompletionException c ? c : new CompletionException(t);
  }

  /** The live document of {@code id} as all-docs has it, or null when it is deleted or absent. */
  public ObjectNode live(String id) {
    DocRow row = rows.get(id);
    return row == null || row.deleted() ? null : row.doc();
  }

  public long liveCount() {
    return rows.values().stream().filter(r -> !r.deleted()).count();
  }

  /** Counts the files (CARs and temp files, not the CARs' index files) in a database's CAR directory, e.g. right after a kill. */
  public static int filesIn(Path dataDir, String db) {
    Path dir = dataDir.resolve(db).resolve("cars");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return (int) files.filter(f -> !f.getFileName().toString().endsWith(INDEX_SUFFIX)).count();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
