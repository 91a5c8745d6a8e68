package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What index queries promise through the facade: options, errors, durability, map functions. */
class QueryTest {
  @TempDir Path dir;
  Kiln kiln;

  @BeforeEach
  void start() {
    kiln = KilnTestSupport.start(dir);
  }

  @AfterEach
  void stop() {
    kiln.close();
  }

  static ObjectNode person(String id, String city, int age) {
    ObjectNode d = JsonNodeFactory.instance.objectNode().put("_id", id).put("age", age);
    d.putObject("address").put("city", city);
    return d;
  }

  static List<String> ids(QueryResult r) {
    return r.rows().stream().map(QueryRow::id).toList();
  }

  private Database people() {
    Database db = kiln.open("people");
    await(db.putAll(List.of(person("ann", "Oslo", 31), person("bob", "Bergen", 25), person("cy", "Oslo", 47),
        person("dee", "Tromsø", 25), person("eve", "Bergen", 62))));
    return db;
  }

  @Test
  void aFieldIndexReturnsRowsInKeyThenIdOrder() {
    Database db = people();
    assertThat(await(db.defineIndex("address.city")).name()).isEqualTo("address.city");
    QueryResult all = await(db.query("address.city", IndexQuery.all()));
    assertThat(ids(all)).containsExactly("bob", "eve", "ann", "cy", "dee");
    assertThat(all.rows().get(0).key()).isEqualTo(TextNode.valueOf("Bergen"));
    assertThat(all.rows().get(0).doc()).isNull();
  }

  @Test
  void everyOptionIsHonoured() {
    Database db = people();
    await(db.defineIndex("age"));
    await(db.defineIndex("/address/city"));
    assertThat(ids(await(db.query("age", IndexQuery.all().withKey("25"))))).containsExactly("bob", "dee");
    assertThat(ids(await(db.query("age", IndexQuery.all().withKeys(List.of("62", "25", "99"))))))
        .containsExactly("eve", "bob", "dee");
    assertThat(ids(await(db.query("age", IndexQuery.all().withStart("26").withEnd("47")))))
        .containsExactly("ann", "cy");
    assertThat(ids(await(db.query("age", IndexQuery.all().withStart("47").withEnd("26").withDescending(true)))))
        .containsExactly("cy", "ann");
    assertThat(ids(await(db.query("age", IndexQuery.all().withDescending(true).withLimit(2)))))
        .containsExactly("eve", "cy");
    assertThat(ids(await(db.query("age", IndexQuery.all().withStart("30")))))
        .containsExactly("ann", "cy", "eve");
    assertThat(ids(await(db.query("/address/city", IndexQuery.all().withPrefix("O"))))).containsExactly("ann", "cy");
    assertThat(ids(await(db.query("/address/city", IndexQuery.all().withPrefix("O").withDescending(true)))))
        .containsExactly("cy", "ann");
    QueryRow withDoc = await(db.query("age", IndexQuery.all().withKey("62").withIncludeDocs(true))).rows().get(0);
    assertThat(withDoc.doc().get("address").get("city").asText()).isEqualTo("Bergen");
  }

  @Test
  void writesAfterDefiningKeepTheIndexCurrentIncludingUpdatesAndDeletes() {
    Database db = people();
    await(db.defineIndex("age"));
    await(db.put(person("fay", "Oslo", 25)));
    await(db.put(person("bob", "Bergen", 26))); // moves bob from 25 to 26
    await(db.delete("dee"));
    assertThat(ids(await(db.query("age", IndexQuery.all().withKey("25"))))).containsExactly("fay");
    assertThat(ids(await(db.query("age", IndexQuery.all().withKey("26"))))).containsExactly("bob");
    assertThat(await(db.query("age", IndexQuery.all())).rows()).hasSize(5);
  }

  @Test
  void aDocumentWithoutTheFieldHasNoRowAndNullIsAKey() {
    Database db = kiln.open("sparse");
    await(db.put(JsonNodeFactory.instance.objectNode().put("_id", "a").putNull("tag")));
    await(db.put(JsonNodeFactory.instance.objectNode().put("_id", "b")));
    await(db.put(JsonNodeFactory.instance.objectNode().put("_id", "c").put("tag", false)));
    await(db.defineIndex("tag"));
    assertThat(ids(await(db.query("tag", IndexQuery.all())))).containsExactly("a", "c");
    assertThat(ids(await(db.query("tag", IndexQuery.all().withKey("null"))))).containsExactly("a");
  }

  @Test
  void defineIndexIsIdempotentAndDoesNotWriteTwice() {
    Database db = people();
    String first = await(db.defineIndex("age")).clock();
    assertThat(await(db.defineIndex("age")).clock()).isEqualTo(first);
    assertThat(await(db.stats()).clock()).isEqualTo(first);
  }

  @Test
  void badQueriesGetTypedErrorsAndChangeNothing() {
    Database db = people();
    await(db.defineIndex("age"));
    DatabaseStats before = await(db.stats());
    assertThat(failsWith(db.query("nope", IndexQuery.all()), ErrorCode.NOT_FOUND).getMessage()).contains("no index named 'nope'");
    assertThat(failsWith(db.query("age", IndexQuery.all().withKey("Oslo")), ErrorCode.INVALID_QUERY).getMessage())
        .contains("key is not JSON").contains("needs quotes");
    failsWith(db.query("age", IndexQuery.all().withKey("1 2")), ErrorCode.INVALID_QUERY);
    failsWith(db.query("age", IndexQuery.all().withKeys(List.of("1", "{"))), ErrorCode.INVALID_QUERY);
    assertThat(failsWith(db.query("age", IndexQuery.all().withStart("50").withEnd("20")), ErrorCode.INVALID_QUERY)
        .getMessage()).contains("wrong way round");
    failsWith(db.query("age", IndexQuery.all().withStart("20").withEnd("50").withDescending(true)), ErrorCode.INVALID_QUERY);
    failsWith(db.query("age", IndexQuery.all().withKey("1").withPrefix("a")), ErrorCode.INVALID_QUERY);
    failsWith(db.query("age", IndexQuery.all().withLimit(-1)), ErrorCode.INVALID_QUERY);
    failsWith(db.query("age", IndexQuery.all().withKey("1e999")), ErrorCode.INVALID_QUERY);
    failsWith(db.query("", IndexQuery.all()), ErrorCode.INVALID_QUERY);
    failsWith(db.defineIndex("a..b"), ErrorCode.INVALID_QUERY);
    failsWith(db.defineIndex(""), ErrorCode.INVALID_QUERY);
    failsWith(db.defineIndex("/a/~2"), ErrorCode.INVALID_QUERY);
    assertThat(await(db.stats()).clock()).isEqualTo(before.clock());
    assertThat(await(db.query("age", IndexQuery.all())).rows()).hasSize(5);
  }

  @Test
  void aStoredIndexIsReadAfterARestartWithoutRebuildingIt() {
    Database db = people();
    await(db.defineIndex("age"));
    DatabaseStats before = await(db.stats());
    kiln.close();
    kiln = KilnTestSupport.start(dir);
    Database again = kiln.open("people");
    QueryResult r = await(again.query("age", IndexQuery.all().withKey("25")));
    assertThat(ids(r)).containsExactly("bob", "dee");
    // The answer comes from the commit that was the head before the restart: nothing was rebuilt.
    assertThat(r.clock()).isEqualTo(before.clock());
    DatabaseStats after = await(again.stats());
    assertThat(after.clock()).isEqualTo(before.clock());
    assertThat(after.carLogLength()).isEqualTo(before.carLogLength());
  }

  @Test
  void aRegisteredMapIndexIsBuiltFromExistingDocumentsThenKeptCurrent() {
    people().close().toCompletableFuture().join();
    AtomicInteger calls = new AtomicInteger();
    IndexDefinition byDecade = IndexDefinition.map("byDecade", (doc, emit) -> {
      calls.incrementAndGet();
      int age = doc.get("age").asInt();
      emit.emit(JsonNodeFactory.instance.numberNode(age / 10 * 10), doc.get("address").get("city"));
    });
    DatabaseSettings settings = kiln.defaults().withIndex(byDecade);
    Database db = kiln.open("people", settings);
    QueryResult twenties = await(db.query("byDecade", IndexQuery.all().withKey("20")));
    assertThat(ids(twenties)).containsExactly("bob", "dee");
    assertThat(twenties.rows().get(0).value()).isEqualTo(TextNode.valueOf("Bergen"));
    assertThat(calls.get()).isEqualTo(5);
    await(db.put(person("gus", "Oslo", 29)));
    assertThat(calls.get()).isEqualTo(6); // one call for the one new document: no rebuild
    assertThat(ids(await(db.query("byDecade", IndexQuery.all().withKey("20"))))).containsExactly("bob", "dee", "gus");
    List<Database.Row<Person>> typed = await(db.query("byDecade", IndexQuery.all().withKey("60"), Person.class));
    assertThat(typed).extracting(row -> row.doc().age()).containsExactly(62);
  }

  record Person(int age) {}

  @Test
  void aMapIndexWhoseFunctionIsNotRegisteredFallsBehindAndSaysSo() {
    IndexDefinition byAge = IndexDefinition.map("byAge", (doc, emit) -> emit.emit(doc.get("age")));
    Database db = kiln.open("m", kiln.defaults().withIndex(byAge));
    await(db.put(person("a", "Oslo", 1)));
    assertThat(ids(await(db.query("byAge", IndexQuery.all())))).containsExactly("a");
    await(db.close());
    Database plain = kiln.open("m");
    await(plain.put(person("b", "Oslo", 2)));
    assertThat(failsWith(plain.query("byAge", IndexQuery.all()), ErrorCode.INVALID_QUERY).getMessage())
        .contains("not registered");
    await(plain.close());
    Database registered = kiln.open("m", kiln.defaults().withIndex(byAge));
    assertThat(ids(await(registered.query("byAge", IndexQuery.all())))).containsExactly("a", "b");
  }

  @Test
  void aNewVersionOfAMapFunctionRebuildsItsIndex() {
    Database db = kiln.open("v", kiln.defaults().withIndex(
        IndexDefinition.map("k", "1", (doc, emit) -> emit.emit(doc.get("age")))));
    await(db.put(person("a", "Oslo", 1)));
    assertThat(await(db.query("k", IndexQuery.all())).rows().get(0).key().asInt()).isEqualTo(1);
    await(db.close());
    Database v2 = kiln.open("v", kiln.defaults().withIndex(
        IndexDefinition.map("k", "2", (doc, emit) -> emit.emit(doc.get("address").get("city")))));
    assertThat(await(v2.query("k", IndexQuery.all())).rows().get(0).key().asText()).isEqualTo("Oslo");
  }

  @Test
  void aMapFunctionThatThrowsLeavesThatDocumentOutAndTheWriteSucceeds() {
    Database db = kiln.open("t", kiln.defaults().withIndex(IndexDefinition.map("strict", (doc, emit) -> {
      if (doc.get("age").asInt() < 0) {
        throw new IllegalStateException("negative age");
      }
      emit.emit(doc.get("age"));
    })));
    await(db.put(person("ok", "Oslo", 3)));
    await(db.put(person("bad", "Oslo", -1)));
    assertThat(await(db.get("bad")).get("age").asInt()).isEqualTo(-1);
    assertThat(ids(await(db.query("strict", IndexQuery.all())))).containsExactly("ok");
  }

  @Test
  void aDefinedFieldCannotTakeTheNameOfAMapIndex() {
    Database db = kiln.open("clash", kiln.defaults().withIndex(IndexDefinition.map("age", (doc, emit) -> {})));
    assertThat(failsWith(db.defineIndex("age"), ErrorCode.INVALID_QUERY).getMessage()).contains("another definition");
  }

  @Test
  void aViewQueriesItsOwnCommit() {
    Database db = people();
    await(db.defineIndex("age"));
    try (View view = await(db.openView())) {
      await(db.delete("bob"));
      assertThat(ids(await(view.query("age", IndexQuery.all().withKey("25"))))).containsExactly("bob", "dee");
      assertThat(ids(await(db.query("age", IndexQuery.all().withKey("25"))))).containsExactly("dee");
    }
  }

  @Test
  void compactionKeepsTheIndexes() {
    Database db = people();
    await(db.defineIndex("age"));
    await(db.put(person("fay", "Oslo", 25)));
    await(db.compact());
    assertThat(await(db.stats()).carLogLength()).isEqualTo(1);
    assertThat(ids(await(db.query("age", IndexQuery.all().withKey("25").withIncludeDocs(true)))))
        .containsExactly("bob", "dee", "fay");
  }

  @Test
  void anIndexWithNoEntriesSurvivesCompactionAndARestart() {
    Database db = people();
    await(db.defineIndex("nobody.has.this"));
    await(db.put(person("fay", "Oslo", 25)));
    await(db.compact());
    kiln.close();
    kiln = KilnTestSupport.start(dir);
    Database again = kiln.open("people");
    assertThat(await(again.query("nobody.has.this", IndexQuery.all())).rows()).isEmpty();
    await(again.put(JsonNodeFactory.instance.objectNode().put("_id", "x").set("nobody",
        JsonNodeFactory.instance.objectNode().set("has", JsonNodeFactory.instance.objectNode().put("this", 1)))));
    assertThat(ids(await(again.query("nobody.has.this", IndexQuery.all())))).containsExactly("x");
  }
}
