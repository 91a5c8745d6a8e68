package dev.kiln.engine.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Indexes kept current commit by commit are exactly the indexes a catch-up from nothing builds:
 * the same entries, and (the trees being history independent) the same root CIDs.
 */
class IndexMaintenanceTest {
  private static final IndexRegistry FIELD_K = IndexRegistry.none().with(IndexDefinition.field("k"));

  /** One batch: each op puts key {@code k} (an int, a string, or no field at all) on id, or deletes id. */
  record Op(boolean delete, String id, Object k) {}

  @Provide
  Arbitrary<List<List<Op>>> histories() {
    Arbitrary<Op> op = Combinators.combine(
        Arbitraries.integers().between(0, 9),
        Arbitraries.strings().withChars("abcdefgh").ofMinLength(1).ofMaxLength(2),
        Arbitraries.oneOf(Arbitraries.integers().between(-3, 3).map(i -> (Object) i),
            Arbitraries.strings().withChars("xyz").ofMaxLength(2).map(s -> (Object) s),
            Arbitraries.just((Object) "NONE")))
        .as((kind, id, k) -> new Op(kind < 2, id, k));
    return op.list().ofMinSize(1).ofMaxSize(6).list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 60)
  void incrementalIndexEqualsOneBuiltFromScratch(@ForAll("histories") List<List<Op>> history) {
    IndexedStore incremental = new IndexedStore();
    IndexedStore late = new IndexedStore();
    Map<String, Object> model = new TreeMap<>();
    for (List<Op> batch : history) {
      List<CommitBuilder.Op> ops = ops(batch, model);
      if (ops.isEmpty()) {
        continue;
      }
      incremental.commit(FIELD_K, ops);
      late.commit(IndexRegistry.none(), ops);
    }
    incremental.commit(FIELD_K, List.of(new CommitBuilder.RefreshIndexes())); // writes only if no commit made it yet
    late.commit(FIELD_K, List.of(new CommitBuilder.RefreshIndexes()));

    IndexRoot a = incremental.head.indexes().get("k");
    IndexRoot b = late.head.indexes().get("k");
    assertThat(b).isEqualTo(a);
    assertThat(a.seq()).isEqualTo(incremental.head.seq());
    assertThat(rowsOf(incremental)).containsExactlyElementsOf(expected(model));
  }

  /**
   * An index defined late is caught up in commits of at most {@code batch} documents, with writes
   * between them (a write's commit also catches up one batch), and ends as the index kept current
   * from the start: the same roots, current with the head.
   */
  @Property(tries = 60)
  void boundedCatchUpWithWritesBetweenEqualsOneBuiltFromScratch(@ForAll("histories") List<List<Op>> history,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 5) int batch,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 100) int definedAtPercent) {
    IndexedStore incremental = new IndexedStore();
    IndexedStore late = new IndexedStore();
    Map<String, Object> model = new TreeMap<>();
    int definedAt = history.size() * definedAtPercent / 100;
    for (int i = 0; i < history.size(); i++) {
      List<CommitBuilder.Op> ops = ops(history.get(i), model);
      if (ops.isEmpty()) {
        continue;
      }
      incremental.commit(FIELD_K, ops);
      late.commit(i < definedAt ? IndexRegistry.none() : FIELD_K, batch, ops);
      if (i >= definedAt) {
        late.commit(FIELD_K, batch, List.of(new CommitBuilder.RefreshIndexes()));
        IndexRoot partial = late.head.indexes().get("k");
        assertThat(partial.seq()).isLessThanOrEqualTo(late.head.seq());
      }
    }
    incremental.commit(FIELD_K, List.of(new CommitBuilder.RefreshIndexes()));
    int commits = 0;
    long lastSeq = -1;
    while (late.head.indexes().get("k") == null || late.head.indexes().get("k").seq() < late.head.seq()) {
      late.commit(FIELD_K, batch, List.of(new CommitBuilder.RefreshIndexes()));
      long now = late.head.indexes().get("k").seq();
      assertThat(now).as("each catch-up commit advances the index").isGreaterThan(lastSeq);
      lastSeq = now;
      assertThat((long) ++commits).isLessThanOrEqualTo(late.head.seq() + 1);
    }
    assertThat(late.head.indexes().get("k")).isEqualTo(incremental.head.indexes().get("k"));
    assertThat(rowsOf(late)).containsExactlyElementsOf(expected(model));
  }

  /** A catch-up commit reads and indexes at most the batch: the index's sequence moves by that many documents. */
  @org.junit.jupiter.api.Test
  void aCatchUpCommitIndexesAtMostTheBatch() {
    IndexedStore store = new IndexedStore();
    List<CommitBuilder.Op> ops = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      ops.add(IndexedStore.put(String.format("d%03d", i), i));
    }
    store.commit(IndexRegistry.none(), ops);
    store.commit(FIELD_K, 7, List.of(new CommitBuilder.RefreshIndexes()));
    assertThat(store.head.indexes().get("k").seq()).isEqualTo(7);
    assertThat(dev.kiln.engine.tree.ProllyTree.count(store, store.head.indexes().get("k").entries())).isEqualTo(7);
    store.commit(FIELD_K, 7, List.of(new CommitBuilder.RefreshIndexes()));
    assertThat(store.head.indexes().get("k").seq()).isEqualTo(14);
    assertThat(dev.kiln.engine.tree.ProllyTree.count(store, store.head.indexes().get("k").entries())).isEqualTo(14);
  }

  /** The ops of a batch, skipping deletes of ids the model does not hold live; updates the model. */
  private static List<CommitBuilder.Op> ops(List<Op> batch, Map<String, Object> model) {
    List<CommitBuilder.Op> ops = new ArrayList<>();
    Map<String, Object> staged = new TreeMap<>(model);
    for (Op o : batch) {
      if (o.delete()) {
        if (staged.containsKey(o.id())) {
          staged.remove(o.id());
          ops.add(IndexedStore.delete(o.id()));
        }
      } else {
        staged.put(o.id(), o.k());
        ops.add(IndexedStore.put(o.id(), o.k()));
      }
    }
    model.clear();
    model.putAll(staged);
    return ops;
  }

  /** Rows the model expects, in collation order: ints before strings, then by id. */
  private static List<String> expected(Map<String, Object> model) {
    List<Map.Entry<String, Object>> rows = new ArrayList<>();
    for (Map.Entry<String, Object> e : model.entrySet()) {
      if (!"NONE".equals(e.getValue())) {
        rows.add(e);
      }
    }
    rows.sort((x, y) -> {
      int c = Collation.compare(json(x.getValue()), json(y.getValue()));
      return c != 0 ? c : x.getKey().compareTo(y.getKey());
    });
    return rows.stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  private static com.fasterxml.jackson.databind.JsonNode json(Object v) {
    return v instanceof Integer i
        ? com.fasterxml.jackson.databind.node.IntNode.valueOf(i)
        : com.fasterxml.jackson.databind.node.TextNode.valueOf((String) v);
  }

  private static List<String> rowsOf(IndexedStore s) {
    List<String> out = new ArrayList<>();
    for (QueryRow r : IndexReads.query(s, s.head, "k", IndexQuery.all())) {
      out.add(r.id() + "=" + (r.key().isInt() ? (Object) r.key().intValue() : r.key().textValue()));
    }
    return out;
  }

  @Test
  void aDeletedOrChangedDocumentLeavesNoStaleEntryOrBackReference() {
    IndexedStore s = new IndexedStore();
    s.commit(FIELD_K, List.of(IndexedStore.put("a", 1), IndexedStore.put("b", 2)));
    s.commit(FIELD_K, List.of(IndexedStore.put("a", 3), IndexedStore.delete("b")));
    IndexRoot ix = s.head.indexes().get("k");
    assertThat(ProllyTree.count(s, ix.entries())).isEqualTo(1);
    assertThat(ProllyTree.count(s, ix.back())).isEqualTo(1);
    s.commit(FIELD_K, List.of(IndexedStore.put("a", "NONE")));
    ix = s.head.indexes().get("k");
    assertThat(ProllyTree.count(s, ix.entries())).isZero();
    assertThat(ProllyTree.count(s, ix.back())).isZero();
  }

  @Test
  void aRefreshWithEveryIndexCurrentWritesNothing() {
    IndexedStore s = new IndexedStore();
    s.commit(FIELD_K, List.of(IndexedStore.put("a", 1)));
    assertThat(s.commit(FIELD_K, List.of(new CommitBuilder.RefreshIndexes())).hasCommit()).isFalse();
  }
}
