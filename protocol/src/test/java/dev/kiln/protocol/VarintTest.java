package dev.kiln.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VarintTest {
  private static final HexFormat HEX = HexFormat.of();

  /** The examples in the multiformats unsigned-varint specification, plus the 9-byte limit. */
  @ParameterizedTest(name = "{0} <-> {1}")
  @CsvSource({
    "0, 00",
    "1, 01",
    "127, 7f",
    "128, 8001",
    "255, ff01",
    "300, ac02",
    "16384, 808001",
    "113, 71", // dag-cbor codec
    "85, 55", // raw codec
    "9223372036854775807, ffffffffffffffff7f" // 2^63-1: the most 9 bytes carry
  })
  void encodesAndReadsTheSpecExamples(long value, String hex) {
    byte[] bytes = HEX.parseHex(hex);
    assertThat(Varint.encode(value)).isEqualTo(bytes);
    assertThat(Varint.size(value)).isEqualTo(bytes.length);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    assertThat(Varint.read(in, "test")).isEqualTo(value);
    assertThat(in.hasRemaining()).isFalse();
  }

  @Test
  void readStopsAtTheEndOfTheVarintAndLeavesTheRest() {
    ByteBuffer in = ByteBuffer.wrap(HEX.parseHex("ac02ff"));
    assertThat(Varint.read(in, "length")).isEqualTo(300);
    assertThat(in.position()).isEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "8000", // 0 in two bytes
    "8100", // 1 in two bytes
    "ff00", // 127 in two bytes
    "808000", // 0 in three bytes
    "ac8200", // 300 with a zero continuation byte
  })
  void refusesNonMinimalEncodings(String hex) {
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(HEX.parseHex(hex)), "CID codec"))
        .isInstanceOf(Varint.InvalidVarintException.class)
        .hasMessageContaining("CID codec")
        .hasMessageContaining("offset 0")
        .hasMessageContaining("not minimally encoded");
  }

  @Test
  void refusesMoreThanNineBytes() {
    // ten bytes: the multiformats limit is 9 (63 bits)
    byte[] ten = HEX.parseHex("80808080808080808001");
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(ten), "section length"))
        .isInstanceOf(Varint.InvalidVarintException.class)
        .hasMessageContaining("section length")
        .hasMessageContaining("longer than 9 bytes");
    // a ninth byte that still says "more follows" is refused the same way
    byte[] nineContinued = HEX.parseHex("ffffffffffffffffff01");
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(nineContinued), "x"))
        .hasMessageContaining("longer than 9 bytes");
  }

  @Test
  void refusesTruncatedInputNamingWhereItStarted() {
    ByteBuffer in = ByteBuffer.wrap(HEX.parseHex("0180"));
    in.position(1);
    assertThatThrownBy(() -> Varint.read(in, "CID version"))
        .isInstanceOf(Varint.InvalidVarintException.class)
        .hasMessage("CID version: varint at offset 1 ends after 1 byte(s)");
    assertThatThrownBy(() -> Varint.read(ByteBuffer.allocate(0), "header length"))
        .hasMessage("header length: varint at offset 0 ends after 0 byte(s)");
  }

  @Test
  void refusesNegativeValues() {
    assertThatThrownBy(() -> Varint.encode(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> Varint.size(Long.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 300)
  void everyNonNegativeLongRoundTrips(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long value) {
    byte[] bytes = Varint.encode(value);
    assertThat(bytes.length).isEqualTo(Varint.size(value)).isBetween(1, Varint.MAX_BYTES);
    // 7 bits a byte, no wasted byte
    assertThat(bytes.length).isEqualTo(Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 6) / 7));
    ByteBuffer in = ByteBuffer.wrap(bytes);
    assertThat(Varint.read(in, "v")).isEqualTo(value);
    assertThat(in.hasRemaining()).isFalse();
  }
}
