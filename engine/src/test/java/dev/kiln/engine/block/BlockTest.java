package dev.kiln.engine.block;

import static dev.kiln.engine.block.IpldValues.HEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.protocol.Cid;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BlockTest {
  private static final String EMPTY_MAP = "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua";
  private static final String HELLO_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

  @Test
  void encodeAddressesTheDagCborBytes() {
    Block block = Block.encode(Map.of());
    assertThat(block.cid()).hasToString(EMPTY_MAP);
    assertThat(block.bytes()).containsExactly(0xa0);
    assertThat(block.size()).isEqualTo(1);
    assertThat(block.decode()).isEqualTo(Map.of());
    assertThat(block).hasToString("Block[" + EMPTY_MAP + ", 1 bytes]");
  }

  @Test
  void rawBlocksAddressTheBytesAndCopyThem() {
    byte[] hello = "hello world".getBytes(StandardCharsets.US_ASCII);
    Block block = Block.raw(hello);
    assertThat(block.cid()).hasToString(HELLO_RAW);
    hello[0] = 'J'; // the caller's array is not the block's
    assertThat(block.bytes()).asString(StandardCharsets.US_ASCII).isEqualTo("hello world");
    byte[] decoded = (byte[]) block.decode();
    decoded[0] = 'J'; // nor is what decode hands out
    assertThat(block.cid().matches(block.bytes())).isTrue();
  }

  @Test
  void verifiedAcceptsBytesThatHashToTheCid() {
    Block block = Block.verified(Cid.parse(EMPTY_MAP), HEX.parseHex("a0"), "commit.car at 59");
    assertThat(block).isEqualTo(Block.encode(Map.of())).hasSameHashCodeAs(Block.encode(Map.of()));
  }

  @Test
  void verifiedRefusesOtherBytesNamingTheCidAndWhere() {
    Cid cid = Cid.parse(EMPTY_MAP);
    assertThatThrownBy(() -> Block.verified(cid, HEX.parseHex("80"), "commit.car at 59"))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(EMPTY_MAP)
        .hasMessageContaining("commit.car at 59")
        .satisfies(e -> assertThat(((CorruptBlockException) e).cid()).isEqualTo(cid));
    assertThatThrownBy(() -> Block.verified(cid, new byte[0], "x")).isInstanceOf(CorruptBlockException.class);
  }

  @Test
  void blocksAreEqualByCidAndBytes() {
    Block a = Block.encode(Map.of("a", 1L));
    Block b = Block.encode(Map.of("a", 1L));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(Block.encode(Map.of("a", 2L)));
    // same bytes under another codec: another block
    assertThat(Block.raw(a.bytes())).isNotEqualTo(a);
  }
}
