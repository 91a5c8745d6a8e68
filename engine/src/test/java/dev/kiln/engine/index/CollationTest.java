package dev.kiln.engine.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fixed examples of the collation, its encoding and its refusals. */
class CollationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }

  /** Each value sorts strictly before the next, both by compare() and by encoded bytes. */
  private static void assertStrictlyAscending(List<JsonNode> values) {
    for (int i = 0; i + 1 < values.size(); i++) {
      JsonNode a = values.get(i);
      JsonNode b = values.get(i + 1);
      assertThat(Collation.compare(a, b)).as("compare(%s, %s)", a, b).isNegative();
      assertThat(Collation.compare(b, a)).as("compare(%s, %s)", b, a).isPositive();
      assertThat(Arrays.compareUnsigned(Collation.encode(a), Collation.encode(b)))
          .as("bytes of %s vs %s", a, b).isNegative();
    }
  }

  @Test
  void followsCouchDbsTypeOrder() {
    assertStrictlyAscending(List.of(json("null"), json("false"), json("true"), json("0"), json("1"),
        json("\"a\""), json("\"b\""), json("[]"), json("[1]"), json("{}")));
  }

  @Test
  void numbersSortByValueAcrossIntegersAndDoubles() {
    assertStrictlyAscending(List.of(
        NODES.numberNode(-Double.MAX_VALUE), NODES.numberNode(Long.MIN_VALUE), NODES.numberNode(-9.2233720368547748E18),
        NODES.numberNode(-2.5), NODES.numberNode(-2L), NODES.numberNode(-Double.MIN_VALUE), NODES.numberNode(0),
        NODES.numberNode(Double.MIN_VALUE), NODES.numberNode(0.1), NODES.numberNode(1), NODES.numberNode(1.5),
        NODES.numberNode(9007199254740992.0), NODES.numberNode(9007199254740993L), NODES.numberNode(Long.MAX_VALUE),
        NODES.numberNode(0x1p63), NODES.numberNode(Double.MAX_VALUE)));
  }

  @Test
  void equalNumbersEncodeIdenticallyWhateverTheirSpelling() {
    assertThat(Collation.encode(json("1"))).isEqualTo(Collation.encode(json("1.0")))
        .isEqualTo(Collation.encode(json("1e0"))).isEqualTo(Collation.encode(NODES.numberNode(new BigDecimal("1.00"))));
    assertThat(Collation.encode(NODES.numberNode(-0.0))).isEqualTo(Collation.encode(NODES.numberNode(0)));
    assertThat(Collation.compare(NODES.numberNode(-0.0), NODES.numberNode(0L))).isZero();
    assertThat(Collation.decode(Collation.encode(json("1.0")))).isEqualTo(NODES.numberNode(1));
    assertThat(Collation.decode(Collation.encode(json("-0.0")))).isEqualTo(NODES.numberNode(0));
    assertThat(Collation.decode(Collation.encode(json("1.25")))).isEqualTo(NODES.numberNode(1.25));
    assertThat(Collation.decode(Collation.encode(NODES.numberNode(Long.MIN_VALUE))))
        .isEqualTo(NODES.numberNode(Long.MIN_VALUE));
    assertThat(Collation.decode(Collation.encode(NODES.numberNode(0x1p64)))).isEqualTo(NODES.numberNode(0x1p64));
  }

  @Test
  void stringsSortByCodePointAndPrefixesFirst() {
    assertStrictlyAscending(List.of(NODES.textNode(""), NODES.textNode("\u0000"), NODES.textNode("B"),
        NODES.textNode("a"), NODES.textNode("a\u0000"), NODES.textNode("a\u0000\u0000"), NODES.textNode("ab"),
        NODES.textNode("\u00e9"), NODES.textNode("\uE000"), NODES.textNode("\uD83D\uDE00")));
    // UTF-16 order (String.compareTo) would put the surrogate pair of U+1F600 before U+E000.
    assertThat("\uD83D\uDE00".compareTo("\uE000")).isNegative();
  }

  @Test
  void arraysAndObjectsSortElementByElementWithShorterPrefixesFirst() {
    assertStrictlyAscending(List.of(json("[]"), json("[null]"), json("[1]"), json("[1,null]"), json("[1,2]"),
        json("[1,2,3]"), json("[1,\"a\"]"), json("[2]"), json("[[]]"), json("[{}]"),
        json("{}"), json("{\"a\":1}"), json("{\"a\":1,\"b\":0}"), json("{\"a\":2}"), json("{\"b\":0}")));
  }

  @Test
  void indexKeysSortByKeyThenDocIdEvenWhenKeysArePrefixes() {
    assertThat(List.of(
        Collation.indexKey(json("\"a\""), "z"), Collation.indexKey(NODES.textNode("a\u0000"), "a"),
        Collation.indexKey(json("\"ab\""), ""), Collation.indexKey(json("\"ab\""), "x"),
        Collation.indexKey(json("[1]"), "zz"), Collation.indexKey(json("[1,2]"), "a"),
        Collation.indexKey(json("[1,2]"), "a\u0000")))
        .isSortedAccordingTo(Arrays::compareUnsigned);
    Collation.IndexKey parsed = Collation.parseIndexKey(Collation.indexKey(json("[1,{\"k\":\"v\"}]"), "doc\u0000-1"));
    assertThat(parsed).isEqualTo(new Collation.IndexKey(json("[1,{\"k\":\"v\"}]"), "doc\u0000-1"));
  }

  @Test
  void refusesNumbersItCannotOrderExactlyWithMessages() {
    assertThatThrownBy(() -> Collation.encode(NODES.numberNode(Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN").hasMessageContaining("not finite");
    assertThatThrownBy(() -> Collation.encode(NODES.numberNode(Double.NEGATIVE_INFINITY)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-Infinity is not finite");
    assertThatThrownBy(() -> Collation.encode(NODES.numberNode(BigInteger.TWO.pow(64))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("18446744073709551616").hasMessageContaining("beyond 64 bits");
    assertThatThrownBy(() -> Collation.compare(json("[1e400]").get(0), json("1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not finite");
    assertThatThrownBy(() -> Collation.encode(NODES.numberNode(new BigDecimal("0.1"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.1 is neither a 64-bit integer nor exactly a double");
    assertThat(Collation.encode(NODES.numberNode(new BigDecimal("0.5")))).isEqualTo(Collation.encode(NODES.numberNode(0.5)));
  }

  @Test
  void refusesStringsThatHaveNoUtf8Form() {
    assertThatThrownBy(() -> Collation.encode(json("[\"ok\", {\"k\": \"x\\ud800\"}]")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate U+D800 at char 1");
    assertThatThrownBy(() -> Collation.indexKey(json("1"), "\udc00"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate U+DC00");
  }

  @Test
  void refusesBytesThatAreNotAnEncodedValueAndSaysWhere() {
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x10, 0x10}))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("malformed index key at offset 1: trailing bytes after the value");
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x60, 0x10}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset 2: end of input inside an array");
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x55}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset 0: unknown type tag 0x55");
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x50, 'a', 0x00, 0x01}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset 3: bad string escape 0x00 0x01");
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x50, (byte) 0xC3, 0x00, 0x00}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset 1: a string that is not valid UTF-8");
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x40, 0x03, (byte) 0x80}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset 2: a truncated number");
    assertThatThrownBy(() -> Collation.decode(new byte[] {0x40, 0x03, (byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("neither a 64-bit integer nor a double");
    assertThatThrownBy(() -> Collation.parseIndexKey(Collation.encode(json("1"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("string's terminator");
  }
}
