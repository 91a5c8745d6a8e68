package dev.kiln.engine.block;

import static dev.kiln.engine.block.IpldValues.comparable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

class DagCborPropertiesTest {

  @Provide
  Arbitrary<Object> ipldValues() {
    return IpldValues.values(4);
  }

  @Provide
  Arbitrary<Map<String, Object>> ipldMaps() {
    return IpldValues.maps(3);
  }

  @Property(tries = 400)
  void encodeDecodeEncodeGivesIdenticalBytesAndTheSameValue(@ForAll("ipldValues") Object value) {
    Statistics.label("top-level kind").collect(kind(value));
    Statistics.label("top-level kind").coverage(c -> {
      c.check("list").count(n -> n > 0);
      c.check("map").count(n -> n > 0);
    });
    byte[] bytes = DagCbor.encode(value);
    Object decoded = DagCbor.decode(bytes);
    assertThat(DagCbor.encode(decoded)).isEqualTo(bytes);
    assertThat(comparable(decoded)).isEqualTo(comparable(value));
    assertThat(Block.encode(value).cid()).isEqualTo(Cid.dagCbor(bytes));
  }

  private static String kind(Object value) {
    if (value instanceof List<?>) {
      return "list";
    }
    return value instanceof Map<?, ?> ? "map" : "scalar";
  }

  @Property(tries = 200)
  void mapBytesDoNotDependOnInsertionOrder(@ForAll("ipldMaps") Map<String, Object> map) {
    List<String> keys = new ArrayList<>(map.keySet());
    Collections.reverse(keys);
    Map<String, Object> reversed = new LinkedHashMap<>();
    keys.forEach(k -> reversed.put(k, map.get(k)));
    assertThat(DagCbor.encode(reversed)).isEqualTo(DagCbor.encode(map));
  }

  /**
   * Damaged encodings are either refused with a DagCborException, or are themselves the canonical
   * encoding of what they decode to; never another exception, never a second byte form of a value.
   */
  @Property(tries = 400)
  void damagedBytesAreRefusedOrCanonical(
      @ForAll("ipldValues") Object value,
      @ForAll @IntRange(min = 0, max = 2) int damage,
      @ForAll @IntRange(min = 0, max = 10_000) int where,
      @ForAll byte replacement) {
    byte[] bytes = DagCbor.encode(value);
    int at = where % bytes.length;
    byte[] damaged = switch (damage) {
      case 0 -> { // one byte changed
        byte[] b = bytes.clone();
        b[at] = replacement;
        yield b;
      }
      case 1 -> Arrays.copyOf(bytes, at); // cut short
      default -> { // one byte inserted
        byte[] b = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, b, 0, at);
        b[at] = replacement;
        System.arraycopy(bytes, at, b, at + 1, bytes.length - at);
        yield b;
      }
    };
    Object decoded;
    try {
      decoded = DagCbor.decode(damaged);
    } catch (DagCborException refused) {
      assertThat(refused.getMessage()).contains("offset");
      outcome("refused");
      return;
    }
    assertThat(DagCbor.encode(decoded)).isEqualTo(damaged);
    outcome("decoded as another canonical value");
  }

  /** Both outcomes must occur, or the property would prove nothing about one of them. */
  private static void outcome(String what) {
    Statistics.label("damaged bytes").collect(what);
    Statistics.label("damaged bytes").coverage(c -> {
      c.check("refused").count(n -> n > 0);
      c.check("decoded as another canonical value").count(n -> n > 0);
    });
  }
}
