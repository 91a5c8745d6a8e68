package dev.kiln.engine.car;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.Varint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The writer gathers sections in a 64 KiB buffer and hashes and writes it whole, and the index
 * sorts by a 4-byte key prefix before whole keys: neither shortcut may change a byte of the file
 * or the order of the index.
 */
class CarWriterBufferingTest {
  private static final int BUFFER = 1 << 16;

  /** Block sizes clustered around the buffer's size, so sections end on, before and past its edge. */
  @Property(tries = 40)
  void aCarStreamedInPiecesHasExactlyTheBytesTheFormatPrescribes(
      @ForAll @Size(min = 1, max = 8) List<@IntRange(min = -40, max = 40) Integer> offsetsFromBuffer,
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 2_000) Integer> smallSizes,
      @ForAll long seed) throws Exception {
    Random random = new Random(seed);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < offsetsFromBuffer.size(); i++) {
      int size = BUFFER + offsetsFromBuffer.get(i) * 37 * (i % 3);
      blocks.add(rawBlock(random, blocks.size(), Math.max(4, size)));
      if (i < smallSizes.size()) {
        blocks.add(rawBlock(random, blocks.size(), 4 + smallSizes.get(i)));
      }
    }
    for (int i = offsetsFromBuffer.size(); i < smallSizes.size(); i++) {
      blocks.add(rawBlock(random, blocks.size(), 4 + smallSizes.get(i)));
    }
    List<Cid> roots = List.of(blocks.get(0).cid());

    ByteArrayOutputStream pieces = new ByteArrayOutputStream();
    List<Integer> pieceSizes = new ArrayList<>();
    CarIndex index = CarWriter.write(roots, blocks, new OutputStream() {
      @Override
      public void write(int b) {
        throw new AssertionError("the writer writes arrays, never single bytes");
      }

      @Override
      public void write(byte[] b, int off, int len) {
        pieceSizes.add(len);
        pieces.write(b, off, len);
      }
    });

    byte[] expected = modelCar(roots, blocks);
    assertThat(pieces.toByteArray()).isEqualTo(expected);
    assertThat(index.car()).isEqualTo(Cid.raw(expected));
    assertThat(index.byteSize()).isEqualTo(expected.length);
    assertThat(CarReader.index("model.car", new ByteArrayInputStream(expected))).isEqualTo(index);
    // Only a block at least as large as the buffer goes out as a piece bigger than it.
    long largeBlocks = blocks.stream().filter(b -> b.size() >= BUFFER).count();
    assertThat(pieceSizes.stream().filter(n -> n > BUFFER).count()).isLessThanOrEqualTo(largeBlocks);
  }

  /** Digests that agree in their first bytes, for both codecs, so the prefix sort meets many ties. */
  @Property(tries = 60)
  void theIndexListsBlocksInCidOrderEvenWhenTheirKeysShareLongPrefixes(
      @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 5) Integer> prefixBytes, @ForAll long seed) {
    Random random = new Random(seed);
    CarIndex.Builder builder = new CarIndex.Builder();
    List<Cid> cids = new ArrayList<>();
    for (int i = 0; i < prefixBytes.size(); i++) {
      byte[] digest = new byte[Cid.SHA2_256_LENGTH];
      random.nextBytes(digest);
      // The first few bytes come from a tiny alphabet: keys collide in the packed prefix and beyond it.
      for (int b = 0; b < prefixBytes.get(i); b++) {
        digest[b] = (byte) (random.nextBoolean() ? 0x00 : 0xF0);
      }
      Cid cid = Cid.fromDigest(random.nextBoolean() ? Cid.RAW : Cid.DAG_CBOR, digest);
      if (builder.add(cid, 1000L + i, i)) {
        cids.add(cid);
      }
    }

    CarIndex index = builder.build(Cid.raw(new byte[0]), List.of(), 0);

    List<Cid> visited = new ArrayList<>();
    index.forEachBlock((cid, at) -> visited.add(cid));
    assertThat(visited).containsExactlyElementsOf(cids.stream().sorted().toList());
    for (int i = 0; i < cids.size(); i++) {
      assertThat(index.find(cids.get(i))).isNotNull();
    }
  }

  /** Distinct raw blocks: each starts with its number. */
  private static Block rawBlock(Random random, int number, int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    bytes[0] = (byte) (number >>> 24);
    bytes[1] = (byte) (number >>> 16);
    bytes[2] = (byte) (number >>> 8);
    bytes[3] = (byte) number;
    return Block.raw(bytes);
  }

  /** CARv1 spelled out plainly: header, then the non-root blocks in order, then the roots. */
  private static byte[] modelCar(List<Cid> roots, List<Block> blocks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(CarWriter.header(roots));
    List<Block> rootBlocks = new ArrayList<>();
    for (Block block : blocks) {
      if (roots.contains(block.cid())) {
        rootBlocks.add(block);
      } else {
        section(block, out);
      }
    }
    rootBlocks.forEach(b -> section(b, out));
    return out.toByteArray();
  }

  private static void section(Block block, ByteArrayOutputStream out) {
    byte[] cid = block.cid().toBytes();
    Varint.write((long) cid.length + block.size(), out);
    out.writeBytes(cid);
    out.writeBytes(block.bytes());
  }
}
