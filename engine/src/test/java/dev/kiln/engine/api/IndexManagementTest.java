package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.JSON;
import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.IndexInfo;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Indexes can be listed with their sizes, dropped, and can index the elements of an array. */
class IndexManagementTest extends EmbeddedKilnTest {
  static ObjectNode doc(String json) throws Exception {
    return (ObjectNode) JSON.readTree(json);
  }

  static List<String> ids(Database db, String index, IndexQuery q) {
    return await(db.query(index, q)).rows().stream().map(r -> r.id()).toList();
  }

  @Test
  void anEachIndexFindsADocumentByEveryElementOfItsArray() throws Exception {
    Database db = kiln.open("tags");
    await(db.put(doc("{\"_id\":\"a\",\"tags\":[\"red\",\"blue\",\"red\"]}")));
    await(db.put(doc("{\"_id\":\"b\",\"tags\":\"red\"}")));
    await(db.defineIndex("tags", true));
    await(db.put(doc("{\"_id\":\"c\",\"tags\":[\"blue\",[\"red\"]]}")));
    assertThat(ids(db, "tags", IndexQuery.all().withKey("\"red\""))).containsExactly("a", "b");
    assertThat(ids(db, "tags", IndexQuery.all().withKey("\"blue\""))).containsExactly("a", "c");
    assertThat(ids(db, "tags", IndexQuery.all().withKey("[\"red\"]"))).containsExactly("c");
    assertThat(await(db.query("tags", IndexQuery.all())).rows()).hasSize(5);

    // one path has one index: whole values or elements
    failsWith(db.defineIndex("tags"), ErrorCode.INVALID_QUERY);
    await(db.put(doc("{\"_id\":\"a\",\"tags\":[\"green\"]}")));
    assertThat(ids(db, "tags", IndexQuery.all().withKey("\"red\""))).containsExactly("b");
  }

  @Test
  void indexesAreListedWithTheirSizesAndHowCurrentTheyAre() throws Exception {
    Database db = kiln.open("people", kiln.defaults().withIndex(
        IndexDefinition.map("byAge", (d, emit) -> emit.emit(d.get("age")))));
    for (int i = 0; i < 200; i++) {
      await(db.put(doc("{\"_id\":\"p" + i + "\",\"age\":" + (i % 50) + (i % 2 == 0 ? ",\"city\":\"Oslo\"" : "") + "}")));
    }
    await(db.defineIndex("city"));
    List<IndexInfo> list = await(db.indexes()).indexes();
    assertThat(list).extracting(IndexInfo::name).containsExactly("byAge", "city");
    IndexInfo city = list.get(1);
    assertThat(city.kind()).isEqualTo("field");
    assertThat(city.entries()).isEqualTo(100);
    assertThat(city.documents()).isEqualTo(100);
    assertThat(city.blocks()).isGreaterThanOrEqualTo(2);
    assertThat(city.bytes()).isPositive();
    assertThat(city.behind()).isZero();
    assertThat(city.registered()).isFalse();
    IndexInfo byAge = list.get(0);
    assertThat(byAge.kind()).isEqualTo("map");
    assertThat(byAge.registered()).isTrue();
    assertThat(byAge.entries()).isEqualTo(200);
    assertThat(byAge.seq()).isEqualTo(await(db.stats()).lastSeq());
    await(db.close());

    // a process that does not register byAge lets it fall behind, and the list says by how much
    Database plain = kiln.open("people");
    await(plain.put(doc("{\"_id\":\"late\",\"age\":1}")));
    IndexInfo behind = await(plain.indexes()).indexes().get(0);
    assertThat(behind.name()).isEqualTo("byAge");
    assertThat(behind.registered()).isFalse();
    assertThat(behind.behind()).isEqualTo(1);
  }

  @Test
  void aDroppedIndexIsGoneAndItsBlocksGoAtTheNextCompaction() throws Exception {
    Database db = kiln.open("d");
    for (int i = 0; i < 300; i++) {
      await(db.put(doc("{\"_id\":\"x" + i + "\",\"v\":\"value " + i + "\"}")));
    }
    await(db.defineIndex("v"));
    IndexInfo v = await(db.indexes()).indexes().get(0);
    CompactResult withIndex = await(db.compact());

    String clock = await(db.dropIndex("v")).clock();
    assertThat(clock).isEqualTo(await(db.stats()).clock());
    assertThat(failsWith(db.query("v", IndexQuery.all()), ErrorCode.NOT_FOUND).getMessage()).contains("kiln index DB v");
    assertThat(await(db.indexes()).indexes()).isEmpty();
    failsWith(db.dropIndex("v"), ErrorCode.NOT_FOUND);
    await(db.put(doc("{\"_id\":\"y\",\"v\":\"after\"}")));
    assertThat(await(db.indexes()).indexes()).isEmpty();

    CompactResult without = await(db.compact());
    // the compacted CAR lost at least the index's tree nodes (each also had a section header)
    assertThat(without.bytesAfter()).isLessThanOrEqualTo(withIndex.bytesAfter() - v.bytes());

    await(db.close());
    Database again = kiln.open("d");
    assertThat(await(again.indexes()).indexes()).isEmpty();
    await(again.defineIndex("v"));
    assertThat(ids(again, "v", IndexQuery.all().withKey("\"after\""))).containsExactly("y");
  }

  @Test
  void aRegisteredMapIndexIsNotDropped() {
    Database db = kiln.open("m", kiln.defaults().withIndex(IndexDefinition.map("n", (d, emit) -> emit.emit(d.get("n")))));
    failsWith(db.dropIndex("n"), ErrorCode.INVALID_QUERY);
    failsWith(db.dropIndex("nothing"), ErrorCode.NOT_FOUND);
  }
}
