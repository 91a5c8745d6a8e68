package dev.kiln.engine.index;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The byte encoding agrees with the collation written on JSON values, and scan bounds select what the model selects. */
class CollationPropertiesTest {

  record Row(JsonNode key, String docId) {}

  @Provide
  Arbitrary<JsonNode> values() {
    return JsonValues.values();
  }

  @Provide
  Arbitrary<String> ids() {
    return JsonValues.strings();
  }

  @Provide
  Arbitrary<List<Row>> rows() {
    return Combinators.combine(JsonValues.values(), JsonValues.strings()).as(Row::new).list().ofMaxSize(40);
  }

  @Property(tries = 400, edgeCases = EdgeCasesMode.NONE) // the generators list their edge values
  void byteOrderIsTheCollation(@ForAll("values") JsonNode a, @ForAll("values") JsonNode b) {
    int bytes = Arrays.compareUnsigned(Collation.encode(a), Collation.encode(b));
    assertThat(Integer.signum(bytes)).as("%s vs %s", a, b).isEqualTo(Integer.signum(Collation.compare(a, b)));
  }

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE) // the generators list their edge values
  void comparingAValueWithItselfOrItsPrefixIsConsistent(@ForAll("values") JsonNode a) {
    // Ties are rare between independent values; a value against itself and against its own
    // containers' prefixes exercises the equal and shorter-first branches.
    assertThat(Collation.compare(a, a.deepCopy())).isZero();
    if (a.isArray() && a.size() > 0) {
      JsonNode shorter = JsonValues.array(toList(a).subList(0, a.size() - 1));
      assertThat(Collation.compare(shorter, a)).isNegative();
      assertThat(Arrays.compareUnsigned(Collation.encode(shorter), Collation.encode(a))).isNegative();
    }
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE) // the generators list their edge values
  void decodeInvertsEncodeUpToNumberNormalization(@ForAll("values") JsonNode a) {
    byte[] bytes = Collation.encode(a);
    JsonNode back = Collation.decode(bytes);
    assertThat(Collation.compare(back, a)).as("%s came back as %s", a, back).isZero();
    assertThat(Collation.encode(back)).isEqualTo(bytes);
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE) // the generators list their edge values
  void indexKeysSortByKeyThenDocIdAndParseBack(
      @ForAll("values") JsonNode a, @ForAll("ids") String idA, @ForAll("values") JsonNode b, @ForAll("ids") String idB) {
    int expected = Collation.compare(a, b);
    if (expected == 0) {
      expected = Collation.compareStrings(idA, idB);
    }
    int bytes = Arrays.compareUnsigned(Collation.indexKey(a, idA), Collation.indexKey(b, idB));
    assertThat(Integer.signum(bytes)).as("(%s, %s) vs (%s, %s)", a, idA, b, idB).isEqualTo(Integer.signum(expected));

    Collation.IndexKey parsed = Collation.parseIndexKey(Collation.indexKey(a, idA));
    assertThat(parsed.docId()).isEqualTo(idA);
    assertThat(Collation.compare(parsed.key(), a)).isZero();
  }

  @Property(tries = 150, edgeCases = EdgeCasesMode.NONE) // the generators list their edge values
  void keyRangeScansReturnExactlyTheModelsEntries(
      @ForAll("rows") List<Row> rows, @ForAll("values") JsonNode x, @ForAll("values") JsonNode y,
      @ForAll boolean lowInclusive, @ForAll boolean highInclusive, @ForAll boolean descending,
      @ForAll boolean lowOpen, @ForAll boolean highOpen) {
    Index index = new Index(rows);
    JsonNode low = lowOpen ? null : Collation.compare(x, y) <= 0 ? x : y;
    JsonNode high = highOpen ? null : Collation.compare(x, y) <= 0 ? y : x;
    Predicate<Row> inRange = r ->
        (low == null || (lowInclusive ? Collation.compare(r.key(), low) >= 0 : Collation.compare(r.key(), low) > 0))
            && (high == null || (highInclusive ? Collation.compare(r.key(), high) <= 0 : Collation.compare(r.key(), high) < 0));
    ScanOptions opts = Collation.keyRange(low, lowInclusive, high, highInclusive, descending);
    assertThat(index.scan(opts)).as("%s", opts).containsExactlyElementsOf(index.model(inRange, descending));
  }

  @Property(tries = 150, edgeCases = EdgeCasesMode.NONE) // the generators list their edge values
  void keyEqualityAndStringPrefixScansReturnExactlyTheModelsEntries(
      @ForAll("rows") List<Row> rows, @ForAll("values") JsonNode k, @ForAll @IntRange(max = 60) int pick,
      @ForAll @IntRange(max = 4) int cut) {
    Index index = new Index(rows);
    JsonNode present = rows.isEmpty() ? k : rows.get(pick % rows.size()).key(); // a key that is surely there
    for (JsonNode key : List.of(k, present)) {
      assertThat(index.scan(Collation.keyEquals(key)))
          .containsExactlyElementsOf(index.model(r -> Collation.compare(r.key(), key) == 0, false));
    }
    // The prefix is the first code points of a stored or random string, so matches are common.
    // (Not a String parameter of its own: jqwik 1.9.3's shrinker then fed List<Row> elements to the
    // String generator and failed with a ClassCastException instead of reporting the failure.)
    List<String> texts = new ArrayList<>();
    rows.forEach(r -> { if (r.key().isTextual()) texts.add(r.key().textValue()); });
    texts.add(k.isTextual() ? k.textValue() : "a\u0000\uD83D\uDE00");
    String source = texts.get(pick % texts.size());
    String prefix = source.substring(0, source.offsetByCodePoints(0, Math.min(cut, source.codePointCount(0, source.length()))));
    assertThat(index.scan(Collation.keyStartsWith(prefix))).as("prefix %s", prefix)
        .containsExactlyElementsOf(index.model(r -> r.key().isTextual() && r.key().textValue().startsWith(prefix), false));
  }

  private static List<JsonNode> toList(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  /** Rows stored in a real prolly tree keyed by Collation.indexKey, next to the sorted model. */
  private static final class Index implements BlockSource {
    private final Map<Cid, Block> blocks = new HashMap<>();
    private final List<Row> sorted;
    private final Cid root;

    Index(List<Row> rows) {
      TreeMap<byte[], Object> entries = new TreeMap<>(ProllyTree.KEY_ORDER);
      for (Row r : rows) {
        entries.put(Collation.indexKey(r.key(), r.docId()), 1L);
      }
      TreeWrite write = ProllyTree.build(entries);
      write.newBlocks().forEach(b -> blocks.put(b.cid(), b));
      root = write.root();
      // The model: distinct (key, id) pairs ordered by compare(), then by doc id in code point order.
      Comparator<Row> order = (p, q) -> {
        int c = Collation.compare(p.key(), q.key());
        return c != 0 ? c : Collation.compareStrings(p.docId(), q.docId());
      };
      List<Row> distinct = new ArrayList<>();
      rows.stream().sorted(order).forEach(r -> {
        if (distinct.isEmpty() || order.compare(distinct.get(distinct.size() - 1), r) != 0) {
          distinct.add(r);
        }
      });
      sorted = distinct;
    }

    @Override
    public Block get(Cid cid) {
      Block b = blocks.get(cid);
      if (b == null) {
        throw new MissingBlockException(cid, "test index");
      }
      return b;
    }

    /** (normalized key, doc id) of each scanned entry, so equal numbers spelled differently match. */
    List<String> scan(ScanOptions opts) {
      List<String> out = new ArrayList<>();
      for (Iterator<Entry> it = ProllyTree.scan(this, root, opts); it.hasNext(); ) {
        Collation.IndexKey k = Collation.parseIndexKey(it.next().key());
        out.add(show(k.key(), k.docId()));
      }
      return out;
    }

    List<String> model(Predicate<Row> keep, boolean descending) {
      List<String> out = new ArrayList<>();
      sorted.stream().filter(keep).forEach(r -> out.add(show(r.key(), r.docId())));
      if (descending) {
        java.util.Collections.reverse(out);
      }
      return out;
    }

    private static String show(JsonNode key, String id) {
      return Collation.decode(Collation.encode(key)) + " id=" + id; // normalized: 1.0 shows as 1
    }
  }
}
