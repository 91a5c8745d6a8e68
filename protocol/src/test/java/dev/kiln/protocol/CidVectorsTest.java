package dev.kiln.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kiln's CIDs against vectors computed by the reference JavaScript implementation (multiformats),
 * written by tools/interop/make-fixtures.mjs into vectors/cid-vectors.json.
 */
class CidVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final JsonNode VECTORS = load();

  static List<JsonNode> known() {
    return StreamSupport.stream(VECTORS.get("known").spliterator(), false).toList();
  }

  static List<JsonNode> foreign() {
    return StreamSupport.stream(VECTORS.get("foreign").spliterator(), false).toList();
  }

  static Stream<Arguments> knownCases() {
    return known().stream().map(v -> Arguments.of(v.get("name").asText(), v));
  }

  static Stream<Arguments> foreignCases() {
    return foreign().stream().map(v -> Arguments.of(v.get("name").asText(), v));
  }

  @Test
  void theFixtureHoldsTheVectorsThisTestPromises() {
    assertThat(known()).extracting(v -> v.get("name").asText()).contains(
        "dag-cbor empty map {} (0xa0)", "raw empty bytes", "raw \"hello world\"",
        "CID spec example (raw, sha2-256), given in base58btc");
    assertThat(foreign()).hasSizeGreaterThanOrEqualTo(5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("knownCases")
  void knownCidsMatchTheReferenceImplementation(String name, JsonNode v) {
    int codec = v.get("codec").asInt();
    byte[] digest = HEX.parseHex(v.get("digestHex").asText());
    byte[] bytes = HEX.parseHex(v.get("bytesHex").asText());
    String text = v.get("text").asText();

    Cid fromDigest = Cid.fromDigest(codec, digest);
    assertThat(fromDigest.toBytes()).isEqualTo(bytes);
    assertThat(fromDigest.toString()).isEqualTo(text);
    assertThat(fromDigest.codec()).isEqualTo(codec);
    assertThat(fromDigest.digest()).isEqualTo(digest);
    assertThat(fromDigest.byteLength()).isEqualTo(36);

    assertThat(Cid.parse(text)).isEqualTo(fromDigest).hasSameHashCodeAs(fromDigest);
    assertThat(Cid.fromBytes(bytes)).isEqualTo(fromDigest);
    assertThat(Cid.parse(text).toString()).isEqualTo(text);

    if (v.has("contentHex")) {
      byte[] content = HEX.parseHex(v.get("contentHex").asText());
      assertThat(Cid.of(codec, content)).isEqualTo(fromDigest);
      assertThat(fromDigest.matches(content)).isTrue();
      assertThat(fromDigest.matches(new byte[] {1, 2, 3})).isFalse();
    }
  }

  @Test
  void theCidSpecExampleInBase58IsRefusedByItsMultibasePrefixButItsBase32FormIsRead() {
    JsonNode spec = known().stream()
        .filter(v -> v.has("specText")).findFirst().orElseThrow();
    // "base58btc - cidv1 - raw - sha2-256-256-6e6ff795…" in the CID specification
    assertThatThrownBy(() -> Cid.parse(spec.get("specText").asText()))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("multibase prefix")
        .hasMessageContaining("'z'");
    Cid cid = Cid.parse(spec.get("text").asText());
    assertThat(cid.codec()).isEqualTo(Cid.RAW);
    assertThat(HEX.formatHex(cid.digest()))
        .isEqualTo("6e6ff7950a36187a801613426e858dce686cd7d7e3c0fc42ee0330072d245c95");
  }

  @Test
  void shortcutsAgreeWithTheVectors() {
    assertThat(Cid.dagCbor(new byte[] {(byte) 0xa0}).toString())
        .isEqualTo("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua");
    assertThat(Cid.raw(new byte[0]).toString())
        .isEqualTo("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    assertThat(Cid.raw("hello world".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).toString())
        .isEqualTo("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  }

  /** Valid CIDs elsewhere in IPLD (made by multiformats) that Kiln does not accept. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("foreignCases")
  void foreignCidsAreRefusedNamingThePartKilnDoesNotAccept(String name, JsonNode v) {
    String part = switch (v.get("refusedPart").asText()) {
      case "codec" -> "CID codec: unknown codec";
      case "hash" -> "CID multihash code: unsupported hash";
      case "digest length" -> "CID digest length";
      case "CIDv0" -> "CIDv0";
      default -> throw new IllegalArgumentException("fixture names an unknown part: " + v);
    };
    byte[] bytes = HEX.parseHex(v.get("bytesHex").asText());
    assertThatThrownBy(() -> Cid.fromBytes(bytes))
        .isInstanceOf(InvalidCidException.class).hasMessageContaining(part);
    assertThatThrownBy(() -> Cid.parse(v.get("text").asText()))
        .isInstanceOf(InvalidCidException.class).hasMessageContaining(part);
    if (v.has("base32Text")) {
      assertThatThrownBy(() -> Cid.parse(v.get("base32Text").asText()))
          .isInstanceOf(InvalidCidException.class).hasMessageContaining(part);
    }
  }

  private static JsonNode load() {
    try (InputStream in = CidVectorsTest.class.getResourceAsStream("/vectors/cid-vectors.json")) {
      if (in == null) {
        throw new IllegalStateException("vectors/cid-vectors.json is missing; see tools/interop/README.md");
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
