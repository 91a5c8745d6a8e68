package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.index.Collation;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random puts, deletes, compactions, a field index defined at a random point, and queries with
 * every option, against an in-memory model: every query returns exactly the rows the model
 * computes (collation order, then id; key, keys, range, prefix, descending, limit, includeDocs).
 */
class QueryModelPropertiesTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static Path dir;
  private static Kiln kiln;
  private static final AtomicInteger RUN = new AtomicInteger();

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("kiln-query-model");
    kiln = KilnTestSupport.start(dir);
  }

  @AfterContainer
  static void stop() throws Exception {
    kiln.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  sealed interface Action permits Put, Delete, Compact, Define, Query {}

  /** Puts document {@code id} with field {@code k} set to {@code key}, or without {@code k} when key is null. */
  record Put(String id, JsonNode key) implements Action {}

  record Delete(String id) implements Action {}

  record Compact() implements Action {}

  record Define() implements Action {}

  record Query(IndexQuery query) implements Action {}

  // ------------------------------------------------------------------ generators

  static Arbitrary<JsonNode> keys() {
    Arbitrary<JsonNode> scalar = Arbitraries.oneOf(
        Arbitraries.just((JsonNode) NODES.nullNode()),
        Arbitraries.of(true, false).map(b -> (JsonNode) NODES.booleanNode(b)),
        Arbitraries.integers().between(-3, 3).map(i -> (JsonNode) NODES.numberNode(i)),
        Arbitraries.of(-1.5, 0.5, 2.0, 2.25).map(d -> (JsonNode) NODES.numberNode(d)),
        Arbitraries.strings().withChars("abAB").ofMaxLength(3).map(s -> (JsonNode) NODES.textNode(s)));
    Arbitrary<JsonNode> array = scalar.list().ofMaxSize(2).map(l -> {
      var a = NODES.arrayNode();
      l.forEach(a::add);
      return (JsonNode) a;
    });
    Arbitrary<JsonNode> object = scalar.map(v -> (JsonNode) NODES.objectNode().set("x", v));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, scalar), net.jqwik.api.Tuple.of(2, array), net.jqwik.api.Tuple.of(1, object));
  }

  static Arbitrary<IndexQuery> queries() {
    Arbitrary<String> key = keys().map(IndexQuery::json);
    Arbitrary<IndexQuery> shape = Arbitraries.oneOf(
        Arbitraries.just(IndexQuery.all()),
        key.map(k -> IndexQuery.all().withKey(k)),
        key.list().ofMinSize(1).ofMaxSize(3).map(ks -> IndexQuery.all().withKeys(ks)),
        Combinators.combine(keys().injectNull(0.3), keys().injectNull(0.3)).as((a, b) -> range(a, b)),
        Arbitraries.strings().withChars("abAB").ofMaxLength(2).map(p -> IndexQuery.all().withPrefix(p)));
    return Combinators.combine(shape, Arbitraries.integers().between(0, 5), Arbitraries.of(true, false),
        Arbitraries.of(true, false)).as((q, limit, desc, docs) -> {
          IndexQuery withOptions = q.withLimit(limit).withIncludeDocs(docs);
          return desc ? flipForDescending(withOptions) : withOptions;
        });
  }

  /** An ascending range low..high (bounds ordered; null for open). */
  private static IndexQuery range(JsonNode a, JsonNode b) {
    if (a != null && b != null && Collation.compare(a, b) > 0) {
      JsonNode t = a;
      a = b;
      b = t;
    }
    IndexQuery q = IndexQuery.all();
    if (a != null) {
      q = q.withStart(IndexQuery.json(a));
    }
    if (b != null) {
      q = q.withEnd(IndexQuery.json(b));
    }
    return q;
  }

  /** Descending, with a range's bounds swapped: descending queries start at the high end. */
  private static IndexQuery flipForDescending(IndexQuery q) {
    return q.withDescending(true).withStart(q.end()).withEnd(q.start());
  }

  @Provide
  Arbitrary<List<Action>> histories() {
    Arbitrary<String> ids = Arbitraries.of("a", "b", "c", "d", "e", "f");
    Arbitrary<Action> action = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Combinators.combine(ids, keys().injectNull(0.15)).as(Put::new)),
        net.jqwik.api.Tuple.of(2, ids.map(Delete::new)),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(new Compact())),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(new Define())),
        net.jqwik.api.Tuple.of(5, queries().map(Query::new)));
    return action.list().ofMinSize(1).ofMaxSize(30);
  }

  // ------------------------------------------------------------------ the property

  @Property(tries = 40)
  void queriesMatchTheModelWhateverHappenedBefore(@ForAll("histories") List<Action> history) {
    Database db = kiln.open("model-" + RUN.incrementAndGet());
    Map<String, JsonNode> live = new TreeMap<>(); // id -> key, JSON null node for "no field k"
    boolean defined = false;
    try {
      for (Action a : history) {
        if (a instanceof Put p) {
          ObjectNode doc = NODES.objectNode().put("_id", p.id());
          if (p.key() != null) {
            doc.set("k", p.key());
          }
          KilnTestSupport.await(db.put(doc));
          live.put(p.id(), p.key() == null ? NODES.missingNode() : p.key());
        } else if (a instanceof Delete d) {
          if (live.remove(d.id()) != null) {
            KilnTestSupport.await(db.delete(d.id()));
          } else {
            KilnTestSupport.failsWith(db.delete(d.id()), ErrorCode.NOT_FOUND);
          }
        } else if (a instanceof Compact) {
          KilnTestSupport.await(db.compact());
        } else if (a instanceof Define) {
          KilnTestSupport.await(db.defineIndex("k"));
          defined = true;
        } else if (a instanceof Query q) {
          if (!defined) {
            KilnTestSupport.failsWith(db.query("k", q.query()), ErrorCode.NOT_FOUND);
          } else {
            List<QueryRow> got = KilnTestSupport.await(db.query("k", q.query())).rows();
            assertThat(show(got, q.query().includeDocs())).as("%s after %s", q.query(), live)
                .containsExactlyElementsOf(expected(live, q.query()));
          }
        }
      }
    } catch (CompletionException e) {
      throw e.getCause() instanceof KilnException k ? k : e;
    } finally {
      KilnTestSupport.await(db.destroy());
    }
  }

  // ------------------------------------------------------------------ the model

  private record Row(JsonNode key, String id) {}

  private static final Comparator<Row> ORDER = (x, y) -> {
    int c = Collation.compare(x.key(), y.key());
    return c != 0 ? c : x.id().compareTo(y.id());
  };

  static List<String> expected(Map<String, JsonNode> live, IndexQuery q) {
    List<Row> rows = new ArrayList<>();
    live.forEach((id, k) -> {
      if (!k.isMissingNode()) {
        rows.add(new Row(k, id));
      }
    });
    rows.sort(ORDER);
    List<Row> out = new ArrayList<>();
    if (q.keys() != null) {
      for (String text : q.keys()) {
        JsonNode want = parse(text);
        List<Row> match = new ArrayList<>(rows.stream().filter(r -> Collation.compare(r.key(), want) == 0).toList());
        if (q.descending()) {
          java.util.Collections.reverse(match);
        }
        out.addAll(match);
      }
    } else {
      for (Row r : rows) {
        if (matches(r.key(), q)) {
          out.add(r);
        }
      }
      if (q.descending()) {
        java.util.Collections.reverse(out);
      }
    }
    if (q.limit() > 0 && out.size() > q.limit()) {
      out = out.subList(0, q.limit());
    }
    return out.stream().map(r -> r.id() + "=" + Collation.decode(Collation.encode(r.key()))
        + (q.includeDocs() ? " doc" : "")).toList();
  }

  private static boolean matches(JsonNode k, IndexQuery q) {
    if (q.key() != null) {
      return Collation.compare(k, parse(q.key())) == 0;
    }
    if (q.prefix() != null) {
      return k.isTextual() && k.textValue().startsWith(q.prefix());
    }
    String low = q.descending() ? q.end() : q.start();
    String high = q.descending() ? q.start() : q.end();
    return (low == null || Collation.compare(k, parse(low)) >= 0) && (high == null || Collation.compare(k, parse(high)) <= 0);
  }

  private static List<String> show(List<QueryRow> rows, boolean includeDocs) {
    List<String> out = new ArrayList<>();
    for (QueryRow r : rows) {
      boolean docOk = includeDocs && r.doc() != null && r.doc().get("_id").asText().equals(r.id())
          && Collation.compare(r.doc().get("k"), r.key()) == 0;
      out.add(r.id() + "=" + r.key() + (includeDocs ? (docOk ? " doc" : " wrong doc " + r.doc()) : ""));
    }
    return out;
  }

  private static JsonNode parse(String json) {
    try {
      return KilnTestSupport.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(json, e);
    }
  }
}
