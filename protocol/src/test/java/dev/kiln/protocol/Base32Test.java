package dev.kiln.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Kiln's base32 (RFC 4648, lower case, no padding) agrees with the RFC and accepts only what it writes. */
class Base32Test {
  @Test
  void rfc4648TestVectorsInLowerCaseWithoutPadding() {
    String[][] vectors = {
      {"", ""}, {"f", "my"}, {"fo", "mzxq"}, {"foo", "mzxw6"}, {"foob", "mzxw6yq"},
      {"fooba", "mzxw6ytb"}, {"foobar", "mzxw6ytboi"},
    };
    for (String[] v : vectors) {
      byte[] bytes = v[0].getBytes(StandardCharsets.US_ASCII);
      assertThat(Base32.encode(bytes)).isEqualTo(v[1]);
      assertThat(Base32.decode(v[1])).isEqualTo(bytes);
    }
  }

  @Property(tries = 500)
  void decodeUndoesEncode(@ForAll byte[] bytes) {
    assertThat(Base32.decode(Base32.encode(bytes))).isEqualTo(bytes);
  }

  @Test
  void textNoEncoderWritesIsRefused() {
    assertThatThrownBy(() -> Base32.decode("MZXQ")).hasMessageContaining("not a base32 character");
    assertThatThrownBy(() -> Base32.decode("mzx1")).hasMessageContaining("not a base32 character");
    assertThatThrownBy(() -> Base32.decode("mzx=")).hasMessageContaining("not a base32 character");
    assertThatThrownBy(() -> Base32.decode("m")).hasMessageContaining("length");
    assertThatThrownBy(() -> Base32.decode("mzx")).hasMessageContaining("length");
    // "mz" is "f" with a set bit after its 8 data bits: a second text for the same byte.
    assertThatThrownBy(() -> Base32.decode("mz")).hasMessageContaining("non-zero bits");
  }
}
