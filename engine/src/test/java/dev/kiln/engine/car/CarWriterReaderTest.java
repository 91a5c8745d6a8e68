package dev.kiln.engine.car;

import dev.kiln.engine.block.CidSet;
import static dev.kiln.engine.car.CarFixtures.blocks;
import static dev.kiln.engine.car.CarFixtures.cids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.DagCbor;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.Varint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CarWriterReaderTest {
  private static final String NAME = "test.car";

  @Test
  void everyBlockIsFoundWhereTheIndexSaysAndTheCarIsNamedByItsHash() {
    List<Block> blocks = blocks(1, 50);
    List<Cid> roots = List.of(blocks.get(7).cid(), blocks.get(20).cid());

    EncodedCar car = CarWriter.encode(roots, blocks);

    CarIndex index = car.index();
    assertThat(index.car()).isEqualTo(Cid.raw(car.bytes()));
    assertThat(index.byteSize()).isEqualTo(car.bytes().length);
    assertThat(index.roots()).isEqualTo(roots);
    assertThat(index.blockCount()).isEqualTo(50);
    for (Block block : blocks) {
      BlockLocation at = index.find(block.cid());
      assertThat(at).as("location of %s", block.cid()).isNotNull();
      byte[] stored = Arrays.copyOfRange(car.bytes(), (int) at.offset(), (int) at.offset() + at.length());
      assertThat(stored).isEqualTo(block.bytes());
      assertThat(index.contains(block.cid())).isTrue();
    }
    Block absent = Block.encode(Map.of("not", "written"));
    assertThat(index.find(absent.cid())).isNull();
    assertThat(index.contains(absent.cid())).isFalse();
  }

  @Test
  void theStreamingIndexEqualsTheWritersIndex() {
    List<Block> blocks = blocks(2, 40);
    EncodedCar car = CarWriter.encode(List.of(blocks.get(0).cid()), blocks);

    assertThat(CarReader.index(NAME, new ByteArrayInputStream(car.bytes()))).isEqualTo(car.index());
    assertThat(CarReader.index(NAME, new ByteArrayInputStream(car.bytes()), car.index().car())).isEqualTo(car.index());
  }

  @Test
  void theVisitorSeesTheRootsThenEveryBlockInFileOrderWithRootsLast() {
    List<Block> blocks = blocks(3, 12);
    List<Cid> roots = List.of(blocks.get(5).cid(), blocks.get(2).cid());
    EncodedCar car = CarWriter.encode(roots, blocks);

    List<Cid> seenRoots = new ArrayList<>();
    List<Cid> order = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    CarIndex index = CarReader.read(NAME, new ByteArrayInputStream(car.bytes()), new CarVisitor() {
      @Override
      public void header(List<Cid> r) {
        assertThat(order).as("header comes before blocks").isEmpty();
        seenRoots.addAll(r);
      }

      @Override
      public void block(Cid cid, byte[] bytes, long offset) {
        assertThat(Cid.of(cid.codec(), bytes)).isEqualTo(cid);
        order.add(cid);
        offsets.add(offset);
      }
    });

    assertThat(seenRoots).isEqualTo(roots);
    List<Cid> expected = new ArrayList<>(cids(blocks));
    expected.removeAll(roots);
    expected.addAll(roots);
    assertThat(order).isEqualTo(expected);
    assertThat(offsets).isSorted();
    for (int i = 0; i < order.size(); i++) {
      assertThat(index.find(order.get(i)).offset()).isEqualTo(offsets.get(i));
    }
  }

  @Test
  void aBlockGivenSeveralTimesIsWrittenOnce() {
    List<Block> blocks = blocks(4, 5);
    List<Block> repeated = new ArrayList<>(blocks);
    repeated.addAll(blocks);
    repeated.add(blocks.get(0));
    Cid root = blocks.get(1).cid();

    EncodedCar once = CarWriter.encode(List.of(root), blocks);
    EncodedCar dup = CarWriter.encode(List.of(root), repeated);

    assertThat(dup.bytes()).isEqualTo(once.bytes());
    assertThat(dup.index().blockCount()).isEqualTo(5);
    List<Cid> visited = new ArrayList<>();
    CarReader.read(NAME, new ByteArrayInputStream(dup.bytes()), (cid, bytes, offset) -> visited.add(cid));
    assertThat(visited).hasSize(5).doesNotHaveDuplicates();
  }

  @Test
  void aCarWithNoBlocksAndNoRootsRoundTrips() {
    EncodedCar car = CarWriter.encode(List.of(), List.of());

    assertThat(car.index().blockCount()).isZero();
    assertThat(car.index().roots()).isEmpty();
    CarIndex read = CarReader.index(NAME, new ByteArrayInputStream(car.bytes()), car.index().car());
    assertThat(read).isEqualTo(car.index());
    assertThat(read.byteSize()).isEqualTo(car.bytes().length);
  }

  @Test
  void aRootThatIsNotAmongTheBlocksIsRefused() {
    List<Block> blocks = blocks(5, 3);
    Cid stranger = Block.encode(Map.of("elsewhere", true)).cid();

    assertThatThrownBy(() -> CarWriter.encode(List.of(stranger), blocks))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(stranger.toString());
  }

  @Test
  void forEachBlockVisitsEveryBlockOnceInAscendingCidOrder() {
    List<Block> blocks = blocks(6, 30);
    EncodedCar car = CarWriter.encode(List.of(blocks.get(0).cid()), blocks);

    List<Cid> visited = new ArrayList<>();
    car.index().forEachBlock((cid, at) -> {
      assertThat(car.index().find(cid)).isEqualTo(at);
      visited.add(cid);
    });

    assertThat(visited).isSorted().containsExactlyInAnyOrderElementsOf(cids(blocks));
  }

  /** The builder keeps entries in chunks (so growing never copies them): lookups and order across chunks. */
  @Test
  void anIndexOverSeveralChunksFindsEveryBlockInOrderAndWritesADuplicateOnce() {
    List<Block> blocks = blocks(7, 2 * CidSet.CHUNK + 17);
    List<Block> given = new ArrayList<>(blocks);
    given.add(blocks.get(CidSet.CHUNK + 3)); // a duplicate of a block in the second chunk
    EncodedCar car = CarWriter.encode(List.of(blocks.get(0).cid()), given);

    assertThat(car.index().blockCount()).isEqualTo(blocks.size());
    List<Cid> visited = new ArrayList<>();
    car.index().forEachBlock((cid, at) -> {
      assertThat(car.index().find(cid)).isEqualTo(at);
      visited.add(cid);
    });
    assertThat(visited).isSorted().containsExactlyInAnyOrderElementsOf(cids(blocks));
    assertThat(CarReader.index(NAME, new ByteArrayInputStream(car.bytes()), car.index().car())).isEqualTo(car.index());
  }

  @Test
  void theIndexStaysWithinSixtyFourBytesOfHeapPerBlock() {
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      blocks.add(Block.raw(("block " + i).getBytes(StandardCharsets.UTF_8)));
    }
    EncodedCar car = CarWriter.encode(List.of(blocks.get(0).cid()), blocks);

    assertThat(car.index().approximateHeapBytes() / (double) car.index().blockCount()).isLessThanOrEqualTo(64.0);
  }

  @Test
  void theIndexTellsApartARawAndADagCborBlockWithTheSameBytes() {
    Block cbor = Block.encode(Map.of("twin", 1L));
    Block raw = Block.raw(cbor.bytes());
    EncodedCar car = CarWriter.encode(List.of(cbor.cid()), List.of(raw, cbor));

    assertThat(car.index().blockCount()).isEqualTo(2);
    assertThat(car.index().find(raw.cid())).isNotEqualTo(car.index().find(cbor.cid()));
  }

  /**
   * The CARv1 header for one dag-cbor root, built byte by byte from the rules: varint(58), then a
   * DAG-CBOR map of 2 entries with keys in length order, "roots" (5) before "version" (7); the root
   * a CID link (tag 42 over the 0x00 identity multibase prefix and the 36 CID bytes).
   */
  @Test
  void theHeaderForOneRootIsTheBytesTheSpecPrescribes() {
    Cid root = Cid.dagCbor("kiln".getBytes(StandardCharsets.UTF_8));
    byte[] cid = root.toBytes();
    assertThat(cid).hasSize(36);

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(58); // varint: 1 + 6 + 1 + 2 + 2 + 37 + 8 + 1 header bytes follow
    expected.write(0xa2); // map, 2 entries
    expected.write(0x65); // text, 5 bytes
    expected.writeBytes("roots".getBytes(StandardCharsets.US_ASCII));
    expected.write(0x81); // array, 1 item
    expected.write(0xd8); // tag, 1-byte argument
    expected.write(42); // tag 42: CID
    expected.write(0x58); // bytes, 1-byte length
    expected.write(37); // 0x00 prefix + 36 CID bytes
    expected.write(0x00);
    expected.writeBytes(cid);
    expected.write(0x67); // text, 7 bytes
    expected.writeBytes("version".getBytes(StandardCharsets.US_ASCII));
    expected.write(0x01); // unsigned 1

    assertThat(CarWriter.header(List.of(root))).isEqualTo(expected.toByteArray());
    byte[] file = CarWriter.encode(List.of(root), List.of(Block.raw(new byte[0]), rootBlockFor(root))).bytes();
    assertThat(Arrays.copyOf(file, expected.size())).isEqualTo(expected.toByteArray());
  }

  @Test
  void theHeaderOfACarWithNoRootsIsAnEmptyRootsList() {
    // varint(17), map(2), "roots", array(0), "version", 1
    byte[] expected = {
        17, (byte) 0xa2, 0x65, 'r', 'o', 'o', 't', 's', (byte) 0x80, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01
    };
    assertThat(CarWriter.encode(List.of(), List.of()).bytes()).isEqualTo(expected);
  }

  @Test
  void aHeaderWithAnotherVersionIsRefusedWithTheOffset() {
    byte[] car = withHeader(Map.of("roots", List.of(), "version", 2L));

    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(car)))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining(NAME)
        .hasMessageContaining("offset 1")
        .hasMessageContaining("version 2");
  }

  @Test
  void aHeaderWithExtraOrMissingKeysIsRefused() {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("roots", List.of());
    extra.put("version", 1L);
    extra.put("x", 1L);
    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(withHeader(extra))))
        .isInstanceOf(CarFormatException.class).hasMessageContaining("exactly the keys");
    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(withHeader(Map.of("version", 1L)))))
        .isInstanceOf(CarFormatException.class).hasMessageContaining("exactly the keys");
    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(withHeader(List.of(1L)))))
        .isInstanceOf(CarFormatException.class).hasMessageContaining("not a DAG-CBOR map");
  }

  @Test
  void aRootWithoutABlockIsReportedAsTruncation() {
    List<Block> blocks = blocks(7, 3);
    EncodedCar car = CarWriter.encode(List.of(blocks.get(2).cid()), blocks);
    BlockLocation root = car.index().find(blocks.get(2).cid());
    int lastSectionStart = (int) root.offset() - 36 - Varint.size(36L + root.length());
    byte[] cut = Arrays.copyOf(car.bytes(), lastSectionStart);

    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(cut)))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining(NAME)
        .hasMessageContaining(blocks.get(2).cid().toString())
        .hasMessageContaining("truncated");
  }

  @Test
  void aSectionClaimingExabytesFailsAsTruncatedWithoutAllocatingThem() {
    ByteArrayOutputStream car = new ByteArrayOutputStream();
    car.writeBytes(CarWriter.header(List.of()));
    long headerLength = car.size();
    Varint.write(Integer.MAX_VALUE - 100, car);
    car.writeBytes(Block.raw(new byte[] {1}).cid().toBytes());

    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(car.toByteArray())))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining("offset " + headerLength)
        .hasMessageContaining("truncated");

    ByteArrayOutputStream huge = new ByteArrayOutputStream();
    huge.writeBytes(CarWriter.header(List.of()));
    Varint.write(1L << 62, huge);
    assertThatThrownBy(() -> CarReader.index(NAME, new ByteArrayInputStream(huge.toByteArray())))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining("over the limit");
  }

  @Test
  void aStreamDeliveredInDribsIsReadTheSame() {
    List<Block> blocks = blocks(8, 20);
    EncodedCar car = CarWriter.encode(List.of(blocks.get(3).cid()), blocks);
    InputStream dribble = new ByteArrayInputStream(car.bytes()) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 3));
      }
    };

    assertThat(CarReader.index(NAME, dribble)).isEqualTo(car.index());
  }

  @Test
  void aCarWrittenAgainFromTheSameBlocksHasTheSameCid() {
    List<Block> blocks = blocks(9, 10);
    Set<Cid> cars = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      cars.add(CarWriter.encode(List.of(blocks.get(0).cid()), blocks).index().car());
    }
    assertThat(cars).hasSize(1);
  }

  /** A Kiln CAR holds its root's block; the header test's root addresses the bytes "kiln". */
  private static Block rootBlockFor(Cid root) {
    return Block.verified(root, "kiln".getBytes(StandardCharsets.UTF_8), "test");
  }

  private static byte[] withHeader(Object header) {
    byte[] body = DagCbor.encode(header);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Varint.write(body.length, out);
    out.writeBytes(body);
    return out.toByteArray();
  }
}
