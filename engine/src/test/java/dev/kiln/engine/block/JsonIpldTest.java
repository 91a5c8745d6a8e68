package dev.kiln.engine.block;

import static dev.kiln.engine.block.IpldValues.HEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.Cid;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonIpldTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Object ipld(String json) throws Exception {
    return JsonIpld.toIpld(JSON.readTree(json));
  }

  @Test
  void jsonKindsBecomeIpldKinds() throws Exception {
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("s", "text");
    expected.put("i", 42L);
    expected.put("f", 0.5);
    expected.put("t", true);
    expected.put("n", null);
    expected.put("l", List.of(1L, "two"));
    expected.put("m", Map.of("k", -1L));
    assertThat(ipld("{\"s\":\"text\",\"i\":42,\"f\":0.5,\"t\":true,\"n\":null,\"l\":[1,\"two\"],\"m\":{\"k\":-1}}"))
        .isEqualTo(expected);
  }

  @Test
  void jsonIntegersUseTheWholeDagCborRange() throws Exception {
    assertThat(ipld("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    assertThat(ipld("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(ipld("18446744073709551615")).isEqualTo(new BigInteger("18446744073709551615"));
    assertThat(HEX.formatHex(Block.encode(ipld("18446744073709551615")).bytes())).isEqualTo("1bffffffffffffffff");
    assertThat(HEX.formatHex(Block.encode(ipld("-18446744073709551616")).bytes())).isEqualTo("3bffffffffffffffff");
  }

  @Test
  void integersBeyondSixtyFourBitsAreRefusedWhenEncodedNamingTheNumber() throws Exception {
    Object big = ipld("{\"n\":18446744073709551616}");
    assertThatThrownBy(() -> Block.encode(big))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining("18446744073709551616");
  }

  @Test
  void aJsonNumberWithAFractionOrExponentIsAnIpldFloat() throws Exception {
    // As in DAG-JSON: "1.0" is a float. (A JS application's JSON.parse turns it into the integer 1,
    // so the same JSON text can give a different block there; the vectors avoid such numbers.)
    assertThat(ipld("1.0")).isEqualTo(1.0);
    assertThat(HEX.formatHex(Block.encode(ipld("1.0")).bytes())).isEqualTo("fb3ff0000000000000");
    assertThat(HEX.formatHex(Block.encode(ipld("1")).bytes())).isEqualTo("01");
    assertThat(ipld("1e2")).isEqualTo(100.0);
    assertThat(ipld("-0.0")).isEqualTo(-0.0);
  }

  @Test
  void numbersBeyondTheDoubleRangeAreRefused() {
    assertThatThrownBy(() -> ipld("1e400"))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining("number out of range for a 64-bit float");
  }

  @Test
  void aDocumentsSlashKeyStaysDataAndIsNeverReadAsALink() throws Exception {
    // documents are plain JSON: {"/": "bafy…"} in a document is a map, not a link
    Object value = ipld("{\"/\":\"bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua\"}");
    assertThat(value).isEqualTo(Map.of("/", "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua"));
  }

  @Test
  void linksAndBytesAreShownInTheirDagJsonForms() {
    Cid cid = Cid.parse("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua");
    JsonNode link = JsonIpld.toJson(cid);
    assertThat(link.toString()).isEqualTo("{\"/\":\"bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua\"}");
    // DAG-JSON bytes: standard base64 without padding
    assertThat(JsonIpld.toJson(HEX.parseHex("00ff")).toString()).isEqualTo("{\"/\":{\"bytes\":\"AP8\"}}");
    assertThat(JsonIpld.toJson(new byte[0]).toString()).isEqualTo("{\"/\":{\"bytes\":\"\"}}");
  }

  @Test
  void plainJsonRoundTripsThroughIpld() throws Exception {
    String text = "{\"_id\":\"d\",\"n\":-7,\"big\":18446744073709551615,\"f\":2.5,\"ok\":false,\"none\":null,"
        + "\"list\":[[],{},\"é😀\"]}";
    JsonNode tree = JSON.readTree(text);
    // compared as text: Jackson's node equality also compares int vs long node types
    assertThat(JsonIpld.toJson(JsonIpld.toIpld(tree)).toString()).isEqualTo(text);
    // through a block, keys come back in DAG-CBOR order (length first, then bytes)
    Block block = Block.encode(JsonIpld.toIpld(tree));
    assertThat(JsonIpld.toJson(block.decode()).toString()).isEqualTo(
        "{\"f\":2.5,\"n\":-7,\"ok\":false,\"_id\":\"d\",\"big\":18446744073709551615,\"list\":[[],{},\"é😀\"],\"none\":null}");
  }

  @Test
  void nestingBeyondMaxDepthIsRefused() {
    // built as a tree: Jackson's parser has a nesting limit of its own
    com.fasterxml.jackson.databind.node.ArrayNode deep = JSON.createArrayNode();
    for (int i = 0; i < DagCbor.MAX_DEPTH + 1; i++) {
      deep = JSON.createArrayNode().add(deep);
    }
    JsonNode tooDeep = deep;
    assertThatThrownBy(() -> JsonIpld.toIpld(tooDeep))
        .isInstanceOf(DagCborException.class)
        .hasMessageContaining("deeper than " + DagCbor.MAX_DEPTH);
  }
}
