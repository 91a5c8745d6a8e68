package dev.kiln.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidTest {
  private static final HexFormat HEX = HexFormat.of();
  /** The CID of the empty dag-cbor map, as the reference implementation computes it. */
  private static final String EMPTY_MAP = "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua";
  private static final String EMPTY_MAP_DIGEST = "c19a797fa1fd590cd2e5b42d1cf5f246e29b91684e2f87404b81dc345c7a56a0";

  // ------------------------------------------------------------------ malformed text

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    // the text                                                         | what the message must name
    "empty                       | ''                                 | CID text: empty",
    "base58btc (z)               | zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA | CID multibase prefix",
    "base32 upper (B)            | BAFYREIGBTJ4X7IP5LEGNFZNUFUOPL4SG4KNZC2COF6DUAS4B3Q2FY6SWUA | CID multibase prefix: expected 'b' (base32 lower case), got 'B'",
    "base16 (f)                  | f01711220c19a797fa1fd590cd2e5b42d1cf5f246e29b91684e2f87404b81dc345c7a56a0 | CID multibase prefix",
    "upper case after b          | bAFYREIGBTJ4X7IP5LEGNFZNUFUOPL4SG4KNZC2COF6DUAS4B3Q2FY6SWUA | base32 must be lower case",
    "one upper-case letter       | bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swuA | base32 must be lower case",
    "digit 1 is not base32       | bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swu1 | not valid base32",
    "padding                     | bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua======  | not valid base32",
    "impossible length           | bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swu | not valid base32",
    "whitespace                  | ' bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua' | CID multibase prefix",
    "CIDv0 Qm                    | QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4 | CIDv0",
    "truncated digest            | bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6q | CID digest: needs 32 bytes, only 30 remain",
    "bits after the last byte    | bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6s | not valid base32",
    "prefix only                 | b                                  | CID version: varint at offset 0 ends after 0 byte(s)",
  })
  void malformedTextIsRefusedNamingTheWrongPart(String why, String text, String message) {
    assertThatThrownBy(() -> Cid.parse(text))
        .as(why)
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining(message);
  }

  @Test
  void nullTextIsRefused() {
    assertThatThrownBy(() -> Cid.parse(null)).isInstanceOf(InvalidCidException.class).hasMessageContaining("empty");
  }

  // ------------------------------------------------------------------ malformed bytes

  /** {@code 01 71 12 20} + the empty-map digest, with one part changed. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "empty                    |                            | CID version: varint at offset 0 ends after 0 byte(s)",
    "CIDv0 multihash          | 1220" + EMPTY_MAP_DIGEST + " | CIDv0 (a bare sha2-256 multihash) is not supported",
    "version 0                | 00711220" + EMPTY_MAP_DIGEST + " | CID version: expected 1, got 0",
    "version 2                | 02711220" + EMPTY_MAP_DIGEST + " | CID version: expected 1, got 2",
    "non-minimal version      | 8100711220" + EMPTY_MAP_DIGEST + " | CID version: varint at offset 0 is not minimally encoded",
    "non-minimal codec        | 01f1001220" + EMPTY_MAP_DIGEST + " | CID codec: varint at offset 1 is not minimally encoded",
    "non-minimal hash code    | 0171920020" + EMPTY_MAP_DIGEST + " | CID multihash code: varint at offset 2 is not minimally encoded",
    "non-minimal length       | 017112a000" + EMPTY_MAP_DIGEST + " | CID digest length: varint at offset 3 is not minimally encoded",
    "truncated codec varint   | 01f1                          | CID codec: varint at offset 1 ends after 1 byte(s)",
    "10-byte codec varint     | 0180808080808080808001" + "1220" + EMPTY_MAP_DIGEST + " | CID codec: varint at offset 1 is longer than 9 bytes",
    "unknown codec dag-pb     | 01701220" + EMPTY_MAP_DIGEST + " | CID codec: unknown codec 0x70",
    "unknown codec dag-json   | 01a9021220" + EMPTY_MAP_DIGEST + " | CID codec: unknown codec 0x129",
    "unsupported hash sha1    | 01711120" + EMPTY_MAP_DIGEST + " | CID multihash code: unsupported hash 0x11",
    "unsupported hash blake3  | 01711e20" + EMPTY_MAP_DIGEST + " | CID multihash code: unsupported hash 0x1e",
    "digest length 31         | 0171121f" + EMPTY_MAP_DIGEST + " | CID digest length: sha2-256 digest must be 32 bytes, header says 31",
    "digest length 33         | 01711221" + EMPTY_MAP_DIGEST + "00 | CID digest length: sha2-256 digest must be 32 bytes, header says 33",
    "truncated digest         | 01711220c19a797f              | CID digest: needs 32 bytes, only 4 remain",
    "no digest                | 01711220                      | CID digest: needs 32 bytes, only 0 remain",
    "one trailing byte        | 01711220" + EMPTY_MAP_DIGEST + "00 | CID: 1 trailing byte(s) after a complete CID of 36 bytes",
    "a second CID after it    | 01711220" + EMPTY_MAP_DIGEST + "01711220" + EMPTY_MAP_DIGEST + " | CID: 36 trailing byte(s)",
  })
  void malformedBytesAreRefusedNamingTheWrongPart(String why, String hex, String message) {
    byte[] bytes = HEX.parseHex(hex == null ? "" : hex);
    assertThatThrownBy(() -> Cid.fromBytes(bytes))
        .as(why)
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining(message);
  }

  @Test
  void buildingFromPartsRefusesWhatKilnCannotAddress() {
    byte[] digest = HEX.parseHex(EMPTY_MAP_DIGEST);
    assertThatThrownBy(() -> Cid.fromDigest(0x70, digest))
        .isInstanceOf(InvalidCidException.class).hasMessageContaining("CID codec: unknown codec 0x70");
    assertThatThrownBy(() -> Cid.fromDigest(Cid.DAG_CBOR, Arrays.copyOf(digest, 31)))
        .isInstanceOf(InvalidCidException.class).hasMessageContaining("must be 32 bytes, got 31");
    assertThatThrownBy(() -> Cid.of(0x0129, new byte[0]))
        .isInstanceOf(InvalidCidException.class).hasMessageContaining("unknown codec 0x129");
  }

  // ------------------------------------------------------------------ reading from a stream of bytes

  @Test
  void readTakesOneCidAndLeavesTheBytesAfterIt() {
    Cid cid = Cid.parse(EMPTY_MAP);
    byte[] section = new byte[cid.byteLength() + 1];
    System.arraycopy(cid.toBytes(), 0, section, 0, cid.byteLength());
    section[cid.byteLength()] = (byte) 0xa0; // the block itself follows the CID in a CAR section
    ByteBuffer in = ByteBuffer.wrap(section);
    assertThat(Cid.read(in)).isEqualTo(cid);
    assertThat(in.position()).isEqualTo(36);
    assertThat(cid.matches(section, 36, 1)).isTrue();
  }

  @Test
  void readNamesTheOffsetInTheBuffer() {
    ByteBuffer in = ByteBuffer.wrap(HEX.parseHex("ffff01f1"));
    in.position(2);
    assertThatThrownBy(() -> Cid.read(in))
        .isInstanceOf(InvalidCidException.class)
        .hasMessage("CID codec: varint at offset 3 ends after 1 byte(s)");
  }

  // ------------------------------------------------------------------ equality, hashing, ordering

  @Test
  void equalityAndHashFollowTheBytesWhateverTheWayTheCidWasMade() {
    Cid parsed = Cid.parse(EMPTY_MAP);
    Cid hashed = Cid.dagCbor(new byte[] {(byte) 0xa0});
    Cid fromDigest = Cid.fromDigest(Cid.DAG_CBOR, HEX.parseHex(EMPTY_MAP_DIGEST));
    Cid fromBytes = Cid.fromBytes(parsed.toBytes());
    assertThat(List.of(hashed, fromDigest, fromBytes)).allSatisfy(c -> {
      assertThat(c).isEqualTo(parsed).hasSameHashCodeAs(parsed);
      assertThat(c.compareTo(parsed)).isZero();
    });
    // same digest, other codec: a different CID
    Cid raw = Cid.fromDigest(Cid.RAW, HEX.parseHex(EMPTY_MAP_DIGEST));
    assertThat(raw).isNotEqualTo(parsed);
    assertThat(raw.digest()).isEqualTo(parsed.digest());
    assertThat(parsed).isNotEqualTo(EMPTY_MAP).isNotEqualTo(null);
  }

  @Test
  void copiesDoNotExposeTheCidsBytes() {
    Cid cid = Cid.parse(EMPTY_MAP);
    cid.toBytes()[5] ^= 1;
    cid.digest()[0] ^= 1;
    assertThat(cid.toString()).isEqualTo(EMPTY_MAP);
  }

  @Test
  void orderingIsUnsignedBytewise() {
    byte[] low = new byte[32];
    low[0] = 0x7f;
    byte[] high = new byte[32];
    high[0] = (byte) 0x80; // negative as a Java byte, greater unsigned
    Cid a = Cid.fromDigest(Cid.DAG_CBOR, low);
    Cid b = Cid.fromDigest(Cid.DAG_CBOR, high);
    assertThat(a).isLessThan(b);
    assertThat(b).isGreaterThan(a);
    // raw (0x55) sorts before dag-cbor (0x71) whatever the digests
    assertThat(Cid.fromDigest(Cid.RAW, high)).isLessThan(Cid.fromDigest(Cid.DAG_CBOR, low));
  }

  // ------------------------------------------------------------------ JSON form

  @Test
  void jsonFormIsTheTextForm() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Cid cid = Cid.parse(EMPTY_MAP);
    assertThat(json.writeValueAsString(cid)).isEqualTo('"' + EMPTY_MAP + '"');
    assertThat(json.readValue('"' + EMPTY_MAP + '"', Cid.class)).isEqualTo(cid);
    assertThatThrownBy(() -> json.readValue("\"Qm\"", Cid.class)).hasRootCauseInstanceOf(InvalidCidException.class);
  }

  // ------------------------------------------------------------------ properties

  @Provide
  Arbitrary<Integer> codecs() {
    return Arbitraries.of(Cid.DAG_CBOR, Cid.RAW);
  }

  @Provide
  Arbitrary<byte[]> digests() {
    return Arbitraries.bytes().array(byte[].class).ofSize(Cid.SHA2_256_LENGTH);
  }

  @Provide
  Arbitrary<List<byte[]>> digestLists() {
    return digests().list().ofMinSize(2).ofMaxSize(8);
  }

  @Property(tries = 200)
  void anyCodecAndDigestRoundTripsThroughBytesAndText(
      @ForAll("codecs") int codec, @ForAll("digests") byte[] digest) {
    Cid cid = Cid.fromDigest(codec, digest);
    assertThat(cid.codec()).isEqualTo(codec);
    assertThat(cid.digest()).isEqualTo(digest);
    assertThat(Cid.fromBytes(cid.toBytes())).isEqualTo(cid).hasSameHashCodeAs(cid);

    String text = cid.toString();
    assertThat(text).startsWith(codec == Cid.DAG_CBOR ? "bafyrei" : "bafkrei").hasSize(59).isLowerCase();
    Cid parsed = Cid.parse(text);
    assertThat(parsed).isEqualTo(cid);
    assertThat(parsed.toString()).isEqualTo(text);
    assertThat(parsed.toBytes()).isEqualTo(cid.toBytes());
  }

  @Property(tries = 100)
  void orderingAgreesWithTheHexOfTheBytes(@ForAll("digestLists") List<byte[]> digests,
                                          @ForAll("codecs") int codec) {
    List<Cid> cids = new ArrayList<>();
    Map<String, Cid> byHex = new TreeMap<>();
    for (byte[] d : digests) {
      Cid cid = Cid.fromDigest(codec, d);
      cids.add(cid);
      byHex.put(HEX.formatHex(cid.toBytes()), cid);
    }
    // lower-case hex of equal-length byte strings sorts exactly as the unsigned bytes do
    List<Cid> sorted = cids.stream().distinct().sorted().toList();
    assertThat(sorted).containsExactlyElementsOf(byHex.values());
    Comparator<Cid> natural = Comparator.naturalOrder();
    for (Cid x : cids) {
      for (Cid y : cids) {
        assertThat(natural.compare(x, y) == 0).isEqualTo(x.equals(y));
      }
    }
  }
}
