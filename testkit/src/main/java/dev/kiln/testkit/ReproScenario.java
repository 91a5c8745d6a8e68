package dev.kiln.testkit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * The workload that breaks Fireproof's compaction, made harder: per iteration, 101 documents put
 * concurrently, then every tenth of them deleted concurrently (11 deletes), then all-docs and the
 * changes feed compared with a model of what was acknowledged, and the seed's query: the live custom
 * property definitions by {@code createdAt}, newest first, which must list exactly the documents
 * all-docs lists. With {@code reopen}, the database is closed and opened again between iterations,
 * so every iteration starts with a recovery.
 *
 * <p>Every failed call, every mismatch with the model and every {@code missing block} is counted;
 * a run is good only when both counts are zero.
 */
public final class ReproScenario {
  public static final int PUTS = 101;

  /** The seed's query index: {@code createdAt} of every live custom property definition. */
  public static final String BY_CREATED_AT = "customPropertyDefinitionsByCreatedAt";

  public static final IndexDefinition SEED_INDEX = IndexDefinition.map(BY_CREATED_AT, (doc, emit) -> {
    if ("CustomPropertyDefinition".equals(doc.path("type").asText(null))) {
      emit.emit(doc.get("createdAt")); // deleted documents never reach a map function
    }
  });

  /** What one run found. */
  public record Result(int iterations, long docs, long live, long compactions, long errors, long missingBlocks,
      List<String> problems) {
    public boolean ok() {
      return errors == 0 && missingBlocks == 0;
    }

    public Result plus(Result o) {
      List<String> p = new ArrayList<>(problems);
      p.addAll(o.problems);
      return new Result(Math.max(iterations, o.iterations), docs + o.docs, live + o.live, compactions + o.compactions,
          errors + o.errors, missingBlocks + o.missingBlocks, p);
    }

    public String summary() {
      return "repro: iterations=" + iterations + " docs=" + docs + " compactions=" + compactions
          + " errors=" + errors + " missing-blocks=" + missingBlocks;
    }
  }

  private final Kiln kiln;
  private final Consumer<String> progress;
  private long errors;
  private long missingBlocks;
  private final List<String> problems = new ArrayList<>();

  public ReproScenario(Kiln kiln, Consumer<String> progress) {
    this.kiln = kiln;
    this.progress = progress;
  }

  /**
   * Runs {@code iterations} iterations on one database named {@code name}.
   *
   * @param reopen close and reopen the database between iterations
   */
  public Result run(String name, DatabaseSettings settings, int iterations, boolean reopen) {
    settings = settings.withIndex(SEED_INDEX);
    Database db = kiln.open(name, settings);
    Map<String, ObjectNode> live = new TreeMap<>();
    Map<String, Boolean> everWritten = new HashMap<>();
    long docs = 0;
    long compactions = 0;
    for (int it = 1; it <= iterations; it++) {
      List<String> ids = new ArrayList<>(PUTS);
      List<CompletableFuture<?>> puts = new ArrayList<>(PUTS);
      for (int i = 0; i < PUTS; i++) {
        ObjectNode doc = document(it, i);
        String id = doc.get("_id").textValue();
        ids.add(id);
        puts.add(db.put(doc).toCompletableFuture()
            .thenRun(() -> {
              synchronized (live) {
                live.put(id, doc);
                everWritten.put(id, true);
              }
            })
            .exceptionally(e -> failure("put " + id, e)));
      }
      CompletableFuture.allOf(puts.toArray(new CompletableFuture[0])).join();
      docs += PUTS;

      List<CompletableFuture<?>> deletes = new ArrayList<>();
      for (int i = 0; i < PUTS; i += 10) {
        String id = ids.get(i);
        deletes.add(db.delete(id).toCompletableFuture()
            .thenRun(() -> {
              synchronized (live) {
                live.remove(id);
              }
            })
            .exceptionally(e -> failure("delete " + id, e)));
      }
      CompletableFuture.allOf(deletes.toArray(new CompletableFuture[0])).join();

      check(db, it, live, everWritten);
      try {
        compactions = db.stats().toCompletableFuture().join().compactions();
      } catch (CompletionException e) {
        failure("stats", e);
      }
      progress.accept(String.format("  %s iteration %d/%d: docs=%d live=%d compactions=%d errors=%d missing-blocks=%d",
          name, it, iterations, docs, live.size(), compactions, errors, missingBlocks));
      if (reopen && it < iterations) {
        db.close().toCompletableFuture().join();
        db = kiln.open(name, settings);
      }
    }
    db.close().toCompletableFuture().join();
    return new Result(iterations, docs, live.size(), compactions, errors, missingBlocks, List.copyOf(problems));
  }

  private void check(Database db, int iteration, Map<String, ObjectNode> live, Map<String, Boolean> everWritten) {
    try {
      AllDocsResult all = db.allDocs().toCompletableFuture().join();
      List<String> got = new ArrayList<>();
      for (DocRow row : all.rows()) {
        got.add(row.id());
        ObjectNode expected = live.get(row.id());
        if (expected == null || !sameJson(expected, row.doc())) {
          mismatch(iteration, "all-docs row " + row.id() + " is " + row.doc() + ", the model has " + expected);
        }
      }
      if (!got.equals(new ArrayList<>(live.keySet()))) {
        mismatch(iteration, "all-docs returned " + got.size() + " ids, the model has " + live.size());
      }
      checkQuery(db, iteration, all.rows().size(), live);
      ChangesResult changes = db.changes(0, 0).toCompletableFuture().join();
      Map<String, Change> latest = new HashMap<>();
      long lastSeq = 0;
      for (Change c : changes.changes()) {
        if (latest.put(c.id(), c) != null) {
          mismatch(iteration, "the changes feed lists " + c.id() + " twice");
        }
        if (c.seq() <= lastSeq) {
          mismatch(iteration, "the changes feed is out of order at seq " + c.seq());
        }
        lastSeq = c.seq();
      }
      if (latest.size() != everWritten.size()) {
        mismatch(iteration, "the changes feed lists " + latest.size() + " documents, " + everWritten.size() + " were written");
      }
      for (String id : everWritten.keySet()) {
        Change c = latest.get(id);
        boolean shouldBeLive = live.containsKey(id);
        if (c == null || c.deleted() == shouldBeLive) {
          mismatch(iteration, "the changes feed has " + c + " for " + id + ", the model says "
              + (shouldBeLive ? "live" : "deleted"));
        }
      }
    } catch (CompletionException e) {
      failure("check after iteration " + iteration, e);
    }
  }

  /** The seed's query, descending: as many rows as all-docs, newest first, exactly the live documents. */
  private void checkQuery(Database db, int iteration, int allDocsCount, Map<String, ObjectNode> live) {
    QueryResult q = db.query(BY_CREATED_AT, IndexQuery.all().withDescending(true)).toCompletableFuture().join();
    if (q.rows().size() != allDocsCount) {
      mismatch(iteration, "the createdAt query returned " + q.rows().size() + " rows, all-docs " + allDocsCount);
    }
    long previous = Long.MAX_VALUE;
    for (QueryRow row : q.rows()) {
      ObjectNode expected = live.get(row.id());
      if (expected == null || expected.get("createdAt").asLong() != row.key().asLong()) {
        mismatch(iteration, "the createdAt query has row " + row.id() + " at " + row.key() + ", the model has " + expected);
      }
      if (row.key().asLong() > previous) {
        mismatch(iteration, "the createdAt query is not newest first at " + row.id());
      }
      previous = row.key().asLong();
    }
  }

  private Void failure(String what, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    String message = String.valueOf(cause.getMessage());
    synchronized (this) {
      if (message.contains("missing block")) {
        missingBlocks++;
      } else {
        errors++;
      }
      if (problems.size() < 20) {
        problems.add(what + ": " + cause);
      }
    }
    return null;
  }

  private synchronized void mismatch(int iteration, String what) {
    errors++;
    if (problems.size() < 20) {
      problems.add("iteration " + iteration + ": " + what);
    }
  }

  /** Equal as JSON text means: numbers compare by value, whatever node type holds them. */
  static boolean sameJson(ObjectNode a, ObjectNode b) {
    return b != null && a.equals(new java.util.Comparator<com.fasterxml.jackson.databind.JsonNode>() {
      @Override
      public int compare(com.fasterxml.jackson.databind.JsonNode x, com.fasterxml.jackson.databind.JsonNode y) {
        if (x.isNumber() && y.isNumber()) {
          return x.decimalValue().compareTo(y.decimalValue());
        }
        return x.equals(y) ? 0 : 1;
      }
    }, b);
  }

  /** A document shaped like the seed's: a custom property definition with a creation time. */
  public static ObjectNode document(int iteration, int i) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("_id", String.format("def-%03d-%03d", iteration, i));
    doc.put("type", "CustomPropertyDefinition");
    doc.put("name", "property " + i + " of iteration " + iteration);
    doc.put("createdAt", iteration * 1000L + i);
    doc.put("position", i);
    return doc;
  }
}
