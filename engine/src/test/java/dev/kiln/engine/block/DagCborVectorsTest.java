package dev.kiln.engine.block;

import static dev.kiln.engine.block.IpldValues.HEX;
import static dev.kiln.engine.block.IpldValues.comparable;
import static dev.kiln.engine.block.IpldValues.fromDescription;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.Cid;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kiln's DAG-CBOR against vectors from the reference JavaScript implementation (@ipld/dag-cbor,
 * multiformats), written by tools/interop/make-fixtures.mjs into vectors/dag-cbor-vectors.json.
 */
class DagCborVectorsTest {
  private static final JsonNode FIXTURE = IpldValues.fixture("/vectors/dag-cbor-vectors.json");

  private static Stream<JsonNode> section(String name) {
    return StreamSupport.stream(FIXTURE.get(name).spliterator(), false);
  }

  private static Stream<Arguments> named(String section) {
    return section(section).map(v -> Arguments.of(v.get("name").asText(), v));
  }

  static Stream<Arguments> vectors() {
    return named("vectors");
  }

  static Stream<Arguments> refusals() {
    return named("refusals");
  }

  static Stream<Arguments> jsonDocuments() {
    return named("jsonDocuments");
  }

  // ------------------------------------------------------------------ value -> bytes -> CID

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void encodesToTheReferenceBytesAndCidAndDecodesBack(String name, JsonNode v) {
    Object value = fromDescription(v.get("value"));
    byte[] expected = HEX.parseHex(v.get("hex").asText());
    Cid expectedCid = Cid.parse(v.get("cid").asText());

    byte[] bytes = DagCbor.encode(value);
    assertThat(HEX.formatHex(bytes)).isEqualTo(v.get("hex").asText());
    Block block = Block.encode(value);
    assertThat(block.cid()).isEqualTo(expectedCid);
    assertThat(block.bytes()).isEqualTo(expected);

    Object decoded = DagCbor.decode(expected);
    assertThat(comparable(decoded)).isEqualTo(comparable(value));
    assertThat(DagCbor.encode(decoded)).isEqualTo(expected);
    assertThat(comparable(Block.verified(expectedCid, expected, name).decode())).isEqualTo(comparable(value));
  }

  @Test
  void theFixtureCoversEveryWidthBoundaryAndKind() {
    Set<String> names = section("vectors").map(v -> v.get("name").asText()).collect(Collectors.toSet());
    assertThat(names).contains(
        "int 0", "int 23", "int 24", "int 255", "int 256", "int 65535", "int 65536",
        "int 4294967295", "int 4294967296", "int 9223372036854775807", "int 18446744073709551615",
        "int -1", "int -24", "int -25", "int -256", "int -257",
        "int -9223372036854775808", "int -18446744073709551616",
        "float 0.0", "float -0.0", "float 1.5", "float 1e+300",
        "string non-ASCII", "bytes", "list nested", "map nested", "map key order length-first",
        "link raw", "link dag-cbor", "null", "true", "false");
  }

  @Test
  void decodesIntegersToLongInsideTheLongRangeAndBigIntegerOutside() {
    assertThat(DagCbor.decode(HEX.parseHex("1b7fffffffffffffff"))).isEqualTo(Long.MAX_VALUE);
    assertThat(DagCbor.decode(HEX.parseHex("3b7fffffffffffffff"))).isEqualTo(Long.MIN_VALUE);
    assertThat(DagCbor.decode(HEX.parseHex("1b8000000000000000"))).isEqualTo(BigInteger.ONE.shiftLeft(63));
    assertThat(DagCbor.decode(HEX.parseHex("3bffffffffffffffff"))).isEqualTo(BigInteger.ONE.shiftLeft(64).negate());
    // any Java integer type encodes by value
    assertThat(DagCbor.encode(7)).isEqualTo(DagCbor.encode(7L)).isEqualTo(DagCbor.encode(BigInteger.valueOf(7)));
    assertThat(DagCbor.encode((short) -300)).isEqualTo(HEX.parseHex("39012b"));
    assertThat(DagCbor.encode((byte) -1)).isEqualTo(HEX.parseHex("20"));
  }

  @Test
  void negativeZeroStaysAFloat() {
    // The JS reference reads fb8000000000000000 as -0 but, having one number type, writes -0 as
    // the integer 0x00. Kiln keeps the IPLD float kind both ways.
    Object decoded = DagCbor.decode(HEX.parseHex("fb8000000000000000"));
    assertThat(decoded).isInstanceOf(Double.class);
    assertThat(Double.doubleToRawLongBits((Double) decoded)).isEqualTo(Long.MIN_VALUE);
    assertThat(HEX.formatHex(DagCbor.encode(-0.0))).isEqualTo("fb8000000000000000");
    assertThat(HEX.formatHex(DagCbor.encode(0.0f))).isEqualTo("fb0000000000000000");
    assertThat(HEX.formatHex(DagCbor.encode(1.5f))).isEqualTo("fb3ff8000000000000");
  }

  @Test
  void decodedMapsIterateInCanonicalKeyOrder() {
    JsonNode v = section("vectors").filter(x -> x.get("name").asText().equals("map key order length-first"))
        .findFirst().orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) DagCbor.decode(HEX.parseHex(v.get("hex").asText()));
    assertThat(map.keySet()).containsExactly("a", "b", "aa", "é");
    assertThatThrownBy(() -> map.put("z", 1L)).isInstanceOf(UnsupportedOperationException.class);
  }

  // ------------------------------------------------------------------ JSON documents

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonDocuments")
  void jsonDocumentsGiveTheSameBlockAsJsonParseThenDagCborEncode(String name, JsonNode v) throws Exception {
    Object value = JsonIpld.toIpld(new ObjectMapper().readTree(v.get("json").asText()));
    Block block = Block.encode(value);
    assertThat(HEX.formatHex(block.bytes())).isEqualTo(v.get("hex").asText());
    assertThat(block.cid()).hasToString(v.get("cid").asText());
  }

  // ------------------------------------------------------------------ decoding refusals

  /**
   * What Kiln's decoder says about each refused input of the fixture (offset included). The JS
   * reference refuses most of them too; where it does not, Kiln is stricter (see below).
   */
  private static final Map<String, String> REFUSED_BECAUSE = Map.ofEntries(
      Map.entry("non-minimal int (1 in 1 byte ext)", "offset 0: integer or length 1 is not in its shortest form"),
      Map.entry("non-minimal int (255 in 2 bytes)", "offset 0: integer or length 255 is not in its shortest form"),
      Map.entry("non-minimal int (65535 in 4 bytes)", "offset 0: integer or length 65535 is not in its shortest form"),
      Map.entry("non-minimal int (2^32-1 in 8 bytes)", "offset 0: integer or length 4294967295 is not in its shortest form"),
      Map.entry("non-minimal negative int", "offset 0: integer or length 0 is not in its shortest form"),
      Map.entry("non-minimal string length", "offset 0: integer or length 1 is not in its shortest form"),
      Map.entry("non-minimal list length", "offset 0: integer or length 1 is not in its shortest form"),
      Map.entry("non-minimal map length", "offset 0: integer or length 1 is not in its shortest form"),
      Map.entry("indefinite-length list", "offset 0: indefinite lengths are not allowed"),
      Map.entry("indefinite-length map", "offset 0: indefinite lengths are not allowed"),
      Map.entry("indefinite-length string", "offset 0: indefinite lengths are not allowed"),
      Map.entry("indefinite-length bytes", "offset 0: indefinite lengths are not allowed"),
      Map.entry("break outside indefinite item", "offset 0: indefinite-length 'break' is not allowed"),
      Map.entry("tag 0 (date string)", "offset 0: tag 0 is not allowed (only tag 42, a CID)"),
      Map.entry("tag 2 (bignum)", "offset 0: tag 2 is not allowed (only tag 42, a CID)"),
      Map.entry("tag 42 over a text string", "offset 2: tag 42 must wrap a byte string"),
      Map.entry("tag 42 without the 0x00 prefix", "offset 0: tag 42 bytes must start with the 0x00 multibase prefix"),
      Map.entry("tag 42 with a broken CID", "offset 0: bad CID in tag 42: CID digest length"),
      Map.entry("undefined", "offset 0: undefined is not allowed"),
      Map.entry("simple value 16", "offset 0: simple value 16 is not allowed"),
      Map.entry("simple value in 1-byte extension", "offset 0: simple value 32 is not allowed"),
      Map.entry("half float", "offset 0: floats must be 64-bit in DAG-CBOR, found a 16-bit float"),
      Map.entry("single float", "offset 0: floats must be 64-bit in DAG-CBOR, found a 32-bit float"),
      Map.entry("float64 NaN", "offset 0: NaN and infinities are not allowed"),
      Map.entry("float64 +Infinity", "offset 0: NaN and infinities are not allowed"),
      Map.entry("float64 -Infinity", "offset 0: NaN and infinities are not allowed"),
      Map.entry("map keys unsorted (b before a)", "offset 4: map keys out of order: 'a' after 'b'"),
      Map.entry("map keys unsorted (long before short)", "offset 5: map keys out of order: 'b' after 'aa'"),
      Map.entry("map duplicate key", "offset 4: duplicate map key 'a'"),
      Map.entry("map integer key", "offset 1: map keys must be strings, found major type 0"),
      Map.entry("map bytes key", "offset 1: map keys must be strings, found major type 2"),
      Map.entry("invalid UTF-8 (lone continuation byte)", "offset 0: string is not valid UTF-8"),
      Map.entry("invalid UTF-8 (overlong NUL)", "offset 0: string is not valid UTF-8"),
      Map.entry("invalid UTF-8 (encoded surrogate)", "offset 0: string is not valid UTF-8"),
      Map.entry("invalid UTF-8 in a map key", "offset 1: string is not valid UTF-8"),
      Map.entry("trailing bytes", "trailing bytes: one value ends at offset 1 of 2"),
      Map.entry("two values", "trailing bytes: one value ends at offset 1 of 2"),
      Map.entry("empty input", "offset 0: unexpected end of input"),
      Map.entry("truncated int", "offset 1: needs 4 more bytes, 2 remain"),
      Map.entry("truncated string", "offset 0: length 3 runs past the end"),
      Map.entry("truncated list", "offset 0: length 2 runs past the end"),
      Map.entry("truncated map value", "offset 3: unexpected end of input"),
      Map.entry("truncated float", "offset 1: needs 8 more bytes, 2 remain"),
      Map.entry("reserved additional info 28", "offset 0: reserved additional information 28"),
      Map.entry("length beyond the input", "offset 0: length 18446744073709551615 runs past the end"));

  /**
   * Where the JS reference decoder (@ipld/dag-cbor on cborg) accepts what Kiln refuses: it reads
   * undefined as null, widens 16- and 32-bit floats, does not check map key order, and replaces
   * invalid UTF-8 with U+FFFD. Each of these would let two byte strings stand for one value, so
   * a decoded block would not re-encode to its own CID; Kiln refuses them.
   */
  private static final Set<String> KILN_STRICTER_THAN_JS = Set.of(
      "undefined", "half float", "single float",
      "map keys unsorted (b before a)", "map keys unsorted (long before short)",
      "invalid UTF-8 (lone continuation byte)", "invalid UTF-8 (overlong NUL)",
      "invalid UTF-8 (encoded surrogate)", "invalid UTF-8 in a map key");

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void refusesNonCanonicalOrInvalidBytesNamingTheOffset(String name, JsonNode v) {
    byte[] bytes = HEX.parseHex(v.get("hex").asText());
    assertThat(REFUSED_BECAUSE).as("expected message for fixture case '%s'", name).containsKey(name);
    assertThatThrownBy(() -> DagCbor.decode(bytes))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining(REFUSED_BECAUSE.get(name));
  }

  @Test
  void everyExpectedRefusalIsInTheFixture() {
    Set<String> inFixture = section("refusals").map(v -> v.get("name").asText()).collect(Collectors.toSet());
    assertThat(new TreeSet<>(inFixture)).isEqualTo(new TreeSet<>(REFUSED_BECAUSE.keySet()));
  }

  @Test
  void theJsReferenceRefusesEverythingElseKilnRefuses() {
    Set<String> jsAccepts = section("refusals").filter(v -> !v.get("js").get("rejects").booleanValue())
        .map(v -> v.get("name").asText()).collect(Collectors.toSet());
    assertThat(jsAccepts).isEqualTo(KILN_STRICTER_THAN_JS);
  }

  @Test
  void refusesNestingBeyondMaxDepthNamingTheOffset() {
    int depth = DagCbor.MAX_DEPTH;
    assertThat(DagCbor.decode(nestedLists(depth))).isInstanceOf(List.class);
    assertThatThrownBy(() -> DagCbor.decode(nestedLists(depth + 1)))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining("offset " + (depth + 1))
        .hasMessageContaining("nesting deeper than " + DagCbor.MAX_DEPTH);
    // a hostile input far deeper than the limit is refused the same way, without a stack overflow
    assertThatThrownBy(() -> DagCbor.decode(nestedLists(100_000))).isInstanceOf(DagCborException.class);
  }

  /** {@code depth} one-item lists around a null: {@code 81 81 … 81 f6}. */
  private static byte[] nestedLists(int depth) {
    byte[] bytes = new byte[depth + 1];
    java.util.Arrays.fill(bytes, 0, depth, (byte) 0x81);
    bytes[depth] = (byte) 0xf6;
    return bytes;
  }

  // ------------------------------------------------------------------ encoding refusals

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  /** The values of the fixture's encodeRefusals, and what Kiln's encoder says about each. */
  private static final Map<String, Object> UNENCODABLE = Map.of(
      "NaN", Double.NaN,
      "+Infinity", Double.POSITIVE_INFINITY,
      "-Infinity", Double.NEGATIVE_INFINITY,
      "lone surrogate", "\ud800",
      "integer 2^64", TWO_64,
      "integer -2^64-1", TWO_64.negate().subtract(BigInteger.ONE),
      "non-string map key", Map.of(1, "one"));

  private static final Map<String, String> UNENCODABLE_BECAUSE = Map.of(
      "NaN", "DAG-CBOR cannot hold NaN or infinity: NaN",
      "+Infinity", "DAG-CBOR cannot hold NaN or infinity: Infinity",
      "-Infinity", "DAG-CBOR cannot hold NaN or infinity: -Infinity",
      "lone surrogate", "string is not valid Unicode (lone surrogate)",
      "integer 2^64", "integer out of the 64-bit DAG-CBOR range: 18446744073709551616",
      "integer -2^64-1", "integer out of the 64-bit DAG-CBOR range: -18446744073709551617",
      "non-string map key", "DAG-CBOR map keys must be strings, got java.lang.Integer");

  static Stream<Arguments> encodeRefusals() {
    return named("encodeRefusals");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodeRefusals")
  void refusesToEncodeWhatDagCborCannotHold(String name, JsonNode v) {
    assertThat(UNENCODABLE).as("Java value for fixture case '%s'", name).containsKey(name);
    Object value = UNENCODABLE.get(name);
    assertThatThrownBy(() -> DagCbor.encode(value))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining(UNENCODABLE_BECAUSE.get(name));
    // nested inside a map and a list, the same refusal, and Block.encode gives no block
    assertThatThrownBy(() -> Block.encode(Map.of("k", List.of(1L, value))))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining(UNENCODABLE_BECAUSE.get(name));
  }

  @Test
  void onlyTheLoneSurrogateIsEncodedByTheJsReference() {
    // JS's TextEncoder writes a lone surrogate as U+FFFD, so two strings would share one encoding;
    // Kiln refuses instead. JS refuses the rest as Kiln does.
    Set<String> jsAccepts = section("encodeRefusals").filter(v -> !v.get("js").get("rejects").booleanValue())
        .map(v -> v.get("name").asText()).collect(Collectors.toSet());
    assertThat(jsAccepts).containsExactly("lone surrogate");
    assertThat(section("encodeRefusals").map(v -> v.get("name").asText()).collect(Collectors.toSet()))
        .isEqualTo(UNENCODABLE.keySet());
  }

  @Test
  void refusesOtherValuesThatAreNotIpld() {
    assertThatThrownBy(() -> DagCbor.encode(Float.NaN)).isInstanceOf(DagCborException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> DagCbor.encode(Map.of("\udc00x", 1L))).isInstanceOf(DagCborException.class)
        .hasMessageContaining("lone surrogate");
    java.util.HashMap<String, Object> nullKey = new java.util.HashMap<>();
    nullKey.put(null, 1L);
    assertThatThrownBy(() -> DagCbor.encode(nullKey)).isInstanceOf(DagCborException.class)
        .hasMessageContaining("map keys must be strings, got null");
    assertThatThrownBy(() -> DagCbor.encode(new java.util.Date(0))).isInstanceOf(DagCborException.class)
        .hasMessageContaining("not an IPLD data model value: java.util.Date");
    assertThatThrownBy(() -> DagCbor.encode(Set.of("a"))).isInstanceOf(DagCborException.class)
        .hasMessageContaining("not an IPLD data model value");
    assertThatThrownBy(() -> DagCbor.encode('c')).isInstanceOf(DagCborException.class)
        .hasMessageContaining("java.lang.Character");
  }

  @Test
  void refusesToEncodeNestingBeyondMaxDepth() {
    // an empty list inside MAX_DEPTH one-item lists: the empty list sits at depth MAX_DEPTH
    Object deepest = List.of();
    for (int i = 0; i < DagCbor.MAX_DEPTH; i++) {
      deepest = List.of(deepest);
    }
    Object allowed = deepest;
    assertThat(DagCbor.encode(allowed)).hasSize(DagCbor.MAX_DEPTH + 1);
    assertThatThrownBy(() -> DagCbor.encode(List.of(allowed)))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining("deeper than " + DagCbor.MAX_DEPTH);
  }

  @Test
  void blockDecodeNamesTheBlocksCid() {
    byte[] undefined = HEX.parseHex("f7");
    Block block = Block.verified(Cid.dagCbor(undefined), undefined, "test");
    assertThatThrownBy(block::decode)
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining(block.cid().toString())
        .hasMessageContaining("offset 0: undefined is not allowed");
  }
}
