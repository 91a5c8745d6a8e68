package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Java facade promises an embedding application. */
class FacadeTest {
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

  record Note(String title, int stars) {}

  static ObjectNode doc(String id, int n) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("n", n);
  }

  @Test
  void openingTheSameNameTwiceGivesTheSameDatabase() {
    assertThat(kiln.open("a")).isSameAs(kiln.open("a"));
    assertThat(kiln.open("a")).isNotSameAs(kiln.open("b"));
  }

  @Test
  void aPutIsReadBackAndAnsweredWithIdSequenceAndClock() {
    Database db = kiln.open("docs");
    WriteResult w = await(db.put(doc("x", 1)));
    assertThat(w.id()).isEqualTo("x");
    assertThat(w.seq()).isEqualTo(1);
    assertThat(w.clock()).startsWith("bafyrei");
    assertThat(await(db.get("x")).get("n").asInt()).isEqualTo(1);
    assertThat(await(db.stats()).clock()).isEqualTo(w.clock());
  }

  @Test
  void generatedIdsAreTimeOrderedAndSortable() {
    Database db = kiln.open("gen");
    String previous = "";
    for (int i = 0; i < 20; i++) {
      String id = await(db.put(JsonNodeFactory.instance.objectNode().put("i", i))).id();
      assertThat(id).hasSize(26).isGreaterThan(previous);
      previous = id;
    }
    List<DocRow> rows = await(db.allDocs()).rows();
    for (int i = 0; i < rows.size(); i++) {
      assertThat(rows.get(i).doc().get("i").asInt()).isEqualTo(i);
    }
  }

  @Test
  void typedVariantsMapRecordsBothWays() {
    Database db = kiln.open("typed");
    WriteResult w = await(db.put((Object) new Note("hello", 5)));
    Note back = await(db.get(w.id(), Note.class));
    assertThat(back).isEqualTo(new Note("hello", 5));
    await(db.putAll(List.of(new Note("a", 1), new Note("b", 2))));
    assertThat(await(db.allDocs(AllDocsQuery.all(), Note.class))).hasSize(3).contains(new Note("b", 2));
  }

  @Test
  void deleteWritesATombstoneThatTheChangesFeedReports() {
    Database db = kiln.open("tomb");
    await(db.put(doc("x", 1)));
    await(db.put(doc("y", 1)));
    WriteResult del = await(db.delete("x"));
    failsWith(db.get("x"), ErrorCode.NOT_FOUND);
    var changes = await(db.changes(0, 0)).changes();
    assertThat(changes).extracting(DatabaseProtocol.Change::id).containsExactly("y", "x");
    assertThat(changes.get(1).deleted()).isTrue();
    assertThat(changes.get(1).seq()).isEqualTo(del.seq());
    assertThat(await(db.allDocs()).rows()).extracting(DocRow::id).containsExactly("y");
    assertThat(await(db.allDocs(AllDocsQuery.all().withIncludeDeleted(true))).rows())
        .extracting(DocRow::id, DocRow::deleted).containsExactly(
            org.assertj.core.groups.Tuple.tuple("x", true), org.assertj.core.groups.Tuple.tuple("y", false));
    failsWith(db.delete("x"), ErrorCode.NOT_FOUND);
  }

  @Test
  void allDocsHonoursStartEndPrefixKeysLimitAndDescending() {
    Database db = kiln.open("scan");
    for (String id : List.of("a1", "a2", "a3", "b1", "b2", "c1")) {
      await(db.put(doc(id, 0)));
    }
    assertThat(ids(db, AllDocsQuery.all().withPrefix("a"))).containsExactly("a1", "a2", "a3");
    assertThat(ids(db, AllDocsQuery.all().withStart("a2").withEnd("b1"))).containsExactly("a2", "a3", "b1");
    assertThat(ids(db, AllDocsQuery.all().withDescending(true).withLimit(2))).containsExactly("c1", "b2");
    assertThat(ids(db, AllDocsQuery.all().withDescending(true).withStart("b1").withEnd("a2")))
        .containsExactly("b1", "a3", "a2");
    assertThat(ids(db, AllDocsQuery.all().withKeys(List.of("c1", "zz", "a1")))).containsExactly("c1", "a1");
    failsWith(db.allDocs(AllDocsQuery.all().withStart("b").withEnd("a")), ErrorCode.INVALID_QUERY);
    failsWith(db.allDocs(AllDocsQuery.all().withLimit(-1)), ErrorCode.INVALID_QUERY);
  }

  private static List<String> ids(Database db, AllDocsQuery q) {
    return await(db.allDocs(q)).rows().stream().map(DocRow::id).toList();
  }

  @Test
  void changesSinceASequenceWithALimit() {
    Database db = kiln.open("feed");
    for (int i = 0; i < 5; i++) {
      await(db.put(doc("d" + i, i)));
    }
    var page = await(db.changes(2, 2));
    assertThat(page.changes()).extracting(DatabaseProtocol.Change::seq).containsExactly(3L, 4L);
    assertThat(page.lastSeq()).isEqualTo(4);
    assertThat(await(db.changes(page.lastSeq(), 0)).changes()).hasSize(1);
  }

  @Test
  void liveChangesStreamEveryCommit() throws Exception {
    Database db = kiln.open("live");
    CompletionStage<List<ChangeBatch>> batches =
        db.liveChanges(16).take(3).runWith(Sink.seq(), kiln.system());
    // the subscription is registered before these writes: messages to one actor stay in order
    for (int i = 0; i < 3; i++) {
      await(db.put(doc("live" + i, i)));
    }
    List<ChangeBatch> got = batches.toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(got).flatExtracting(ChangeBatch::changes).extracting(DatabaseProtocol.Change::id)
        .containsExactly("live0", "live1", "live2");
  }

  @Test
  void theProtocolCanBeUsedDirectlyWithAsk() {
    Database db = kiln.open("ask");
    WriteResult w = await(AskPattern.<DatabaseProtocol.Command, WriteResult>askWithStatus(db.ref(),
        r -> new DatabaseProtocol.Put(doc("k", 7), r), Duration.ofSeconds(10), kiln.system().scheduler()));
    assertThat(w.id()).isEqualTo("k");
    var got = await(AskPattern.<DatabaseProtocol.Command, DatabaseProtocol.DocResult>askWithStatus(db.ref(),
        r -> new DatabaseProtocol.Get("k", r), Duration.ofSeconds(10), kiln.system().scheduler()));
    assertThat(got.doc().get("n").asInt()).isEqualTo(7);
    assertThat(got.clock()).isEqualTo(w.clock());
  }

  @Test
  void aClosedDatabaseRefusesEveryCallAndOpensAgainWithItsData() {
    Database db = kiln.open("closing");
    await(db.put(doc("x", 1)));
    await(db.close());
    failsWith(db.put(doc("y", 1)), ErrorCode.CLOSED);
    failsWith(db.get("x"), ErrorCode.CLOSED);
    failsWith(db.allDocs(), ErrorCode.CLOSED);
    failsWith(db.compact(), ErrorCode.CLOSED);
    Database again = kiln.open("closing");
    assertThat(again).isNotSameAs(db);
    assertThat(await(again.get("x")).get("n").asInt()).isEqualTo(1);
  }

  @Test
  void destroyRemovesEverythingAndTheNameStartsEmpty() throws Exception {
    Database db = kiln.open("gone");
    await(db.put(doc("x", 1)));
    await(db.put(doc("y", 1)));
    await(db.destroy());
    try (var files = java.nio.file.Files.list(dir.resolve("gone").resolve("cars"))) {
      assertThat(files.filter(p -> p.toString().endsWith(".car")).toList()).isEmpty();
    }
    Database fresh = kiln.open("gone");
    assertThat(await(fresh.allDocs()).rows()).isEmpty();
    assertThat(await(fresh.put(doc("z", 1))).seq()).isEqualTo(1);
  }

  @Test
  void aViewKeepsItsStateWhileWritesAndCompactionsGoOn() {
    Database db = kiln.open("view");
    await(db.put(doc("x", 1)));
    View view = await(db.openView());
    await(db.put(doc("x", 2)));
    await(db.put(doc("y", 1)));
    await(db.compact());
    assertThat(await(view.get("x")).get("n").asInt()).isEqualTo(1);
    assertThat(await(view.allDocs(AllDocsQuery.all())).rows()).hasSize(1);
    assertThat(await(db.get("x")).get("n").asInt()).isEqualTo(2);
    view.close();
    failsWith(view.get("x"), ErrorCode.INVALID_QUERY);
  }
}
