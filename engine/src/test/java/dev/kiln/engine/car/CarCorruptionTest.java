package dev.kiln.engine.car;

import static dev.kiln.engine.car.CarFixtures.flip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A damaged CAR is always an error, never a wrong block: for any single flipped byte and any
 * truncation, every way of reading a CAR throws {@link CarFormatException} or
 * {@link CorruptBlockException} (never IndexOutOfBounds, NegativeArraySize, OutOfMemory…), and a
 * flip inside a block's bytes names that block's CID and offset.
 *
 * <p>Readers checked: {@link CarReader#index(String, java.io.InputStream, Cid)} (the CAR's CID
 * known, as a store knows it), {@link FileCarStore#open} and {@link FileCarStore#read}, and
 * {@link CarReader#index(String, java.io.InputStream)} with no CID to check against. The last one
 * cannot see one kind of damage: a section's CID switched between the dag-cbor and raw codecs
 * (0x71 ^ 0x55 = 0x24) still matches its bytes, whose digest is unchanged. For that flip alone it
 * must return an index that no longer names the original CID, so no wrong block can come of it.
 */
class CarCorruptionTest {
  private static final String NAME = "damaged.car";
  private static final int CODEC_SWAP = Cid.DAG_CBOR ^ Cid.RAW;

  private static Path dir;
  private static FileCarStore store;

  @BeforeContainer
  static void openStore() throws IOException {
    dir = Files.createTempDirectory("kiln-car-corruption");
    store = new FileCarStore(dir, false);
  }

  @AfterContainer
  static void removeStore() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  record Damage(EncodedCar car, int position, int xor) {}

  record Cut(EncodedCar car, int length) {}

  @Property(tries = 300)
  void anySingleFlippedByteIsAnError(@ForAll("flips") Damage damage) {
    checkFlip(damage.car(), damage.position(), damage.xor());
  }

  @Property(tries = 150)
  void anyTruncationIsAnError(@ForAll("cuts") Cut cut) {
    checkCut(cut.car(), cut.length());
  }

  /** Every byte of one small CAR, with xors that flip the low bit, the high bit, all bits, the codec. */
  @Example
  void everyPositionOfOneCarFlippedIsAnError() {
    EncodedCar car = fixedCar();
    for (int position = 0; position < car.bytes().length; position++) {
      for (int xor : new int[] {0x01, 0x80, 0xFF, CODEC_SWAP}) {
        checkFlip(car, position, xor);
      }
    }
  }

  @Example
  void everyTruncationOfOneCarIsAnError() {
    EncodedCar car = fixedCar();
    for (int length = 0; length < car.bytes().length; length++) {
      checkCut(car, length);
    }
  }

  @Example
  void aTruncatedCarWithNoBlocksIsAnError() {
    EncodedCar car = CarWriter.encode(List.of(), List.of());
    for (int length = 0; length < car.bytes().length; length++) {
      checkCut(car, length);
    }
  }

  private static void checkFlip(EncodedCar car, int position, int xor) {
    byte[] bad = flip(car.bytes(), position, xor);
    Cid carCid = car.index().car();
    Map.Entry<Cid, BlockLocation> hit = blockContaining(car.index(), position);

    RuntimeException verified = failure(() -> CarReader.index(NAME, new ByteArrayInputStream(bad), carCid));
    assertReported(verified, NAME, hit, position, xor);

    Path file = store.pathOf(carCid);
    write(file, bad);
    try {
      RuntimeException opened = failure(() -> store.open(carCid));
      assertReported(opened, file.toString(), hit, position, xor);
      if (hit != null) {
        RuntimeException read = failure(() -> store.read(carCid, hit.getKey(), hit.getValue()));
        assertThat(read).isInstanceOf(CorruptBlockException.class)
            .hasMessageContaining(file.toString())
            .hasMessageContaining(hit.getKey().toString())
            .hasMessageContaining("offset " + hit.getValue().offset());
      }
    } finally {
      store.delete(carCid);
    }

    CarIndex plain;
    try {
      plain = CarReader.index(NAME, new ByteArrayInputStream(bad));
    } catch (CarFormatException | CorruptBlockException e) {
      assertReported(e, NAME, hit, position, xor);
      return;
    } catch (RuntimeException e) {
      throw new AssertionError("flip of byte " + position + " by " + xor + ": wrong exception type " + e, e);
    }
    Cid original = codecSwappedAt(car.index(), position, xor);
    if (original == null) {
      fail("flip of byte %d by 0x%x was read as a good CAR: %s", position, xor, plain);
    }
    assertThat(plain.contains(original)).as("the index no longer names the damaged section's CID").isFalse();
    plain.forEachBlock((cid, at) -> assertThat(Cid.of(cid.codec(),
            Arrays.copyOfRange(bad, (int) at.offset(), (int) (at.offset() + at.length()))))
        .as("every block the index names is the block its CID addresses").isEqualTo(cid));
  }

  private static void checkCut(EncodedCar car, int length) {
    byte[] cut = Arrays.copyOf(car.bytes(), length);
    Cid carCid = car.index().car();

    assertThat(failure(() -> CarReader.index(NAME, new ByteArrayInputStream(cut))))
        .as("truncated to %d bytes, no CID known", length)
        .isInstanceOfAny(CarFormatException.class, CorruptBlockException.class).hasMessageContaining(NAME);
    assertThat(failure(() -> CarReader.index(NAME, new ByteArrayInputStream(cut), carCid)))
        .as("truncated to %d bytes, CID known", length)
        .isInstanceOfAny(CarFormatException.class, CorruptBlockException.class).hasMessageContaining(NAME);

    Path file = store.pathOf(carCid);
    write(file, cut);
    try {
      assertThat(failure(() -> store.open(carCid)))
          .as("store file truncated to %d bytes", length)
          .isInstanceOfAny(CarFormatException.class, CorruptBlockException.class)
          .hasMessageContaining(file.toString());
      // A block that lost bytes to the cut is reported, never read short. (An empty block needs no
      // bytes, so it still reads correctly wherever the file ends.)
      car.index().forEachBlock((cid, at) -> {
        if (at.length() > 0 && at.offset() + at.length() > length) {
          assertThat(failure(() -> store.read(carCid, cid, at)))
              .isInstanceOfAny(CarFormatException.class, CorruptBlockException.class)
              .hasMessageContaining(file.toString())
              .hasMessageContaining(cid.toString());
        }
      });
    } finally {
      store.delete(carCid);
    }
  }

  /** The error is typed, names the file, and for a flip inside a block names that block and offset. */
  private static void assertReported(
      RuntimeException e, String file, Map.Entry<Cid, BlockLocation> hit, int position, int xor) {
    assertThat(e).as("flip of byte %d by 0x%x", position, xor)
        .isInstanceOfAny(CarFormatException.class, CorruptBlockException.class)
        .hasMessageContaining(file);
    assertThat(e).hasMessageContaining("offset ");
    if (e instanceof CarFormatException format) {
      assertThat(format.offset()).isBetween(0L, (long) Integer.MAX_VALUE);
      assertThat(e).hasMessageContaining("offset " + format.offset());
    }
    if (hit != null) {
      assertThat(e).isInstanceOf(CorruptBlockException.class)
          .hasMessageContaining(hit.getKey().toString())
          .hasMessageContaining("offset " + hit.getValue().offset());
      assertThat(((CorruptBlockException) e).cid()).isEqualTo(hit.getKey());
    }
  }

  @FunctionalInterface
  private interface Read {
    Object run();
  }

  /** The exception a read of a damaged CAR throws; anything else (a result, an Error) fails the test. */
  private static RuntimeException failure(Read read) {
    Object result;
    try {
      result = read.run();
    } catch (RuntimeException e) {
      return e;
    } catch (Error e) {
      throw new AssertionError("reading a damaged CAR threw " + e, e);
    }
    throw new AssertionError("reading a damaged CAR succeeded: " + result);
  }

  private static Map.Entry<Cid, BlockLocation> blockContaining(CarIndex index, int position) {
    List<Map.Entry<Cid, BlockLocation>> hits = new ArrayList<>();
    index.forEachBlock((cid, at) -> {
      if (position >= at.offset() && position < at.offset() + at.length()) {
        hits.add(Map.entry(cid, at));
      }
    });
    return hits.isEmpty() ? null : hits.get(0);
  }

  /** The block whose section CID has its codec byte at {@code position}, if the flip swaps codecs. */
  private static Cid codecSwappedAt(CarIndex index, int position, int xor) {
    if (xor != CODEC_SWAP) {
      return null;
    }
    List<Cid> swapped = new ArrayList<>();
    index.forEachBlock((cid, at) -> {
      // Section: varint, then the CID (version, codec, hash, length, digest), then the block.
      if (position == at.offset() - cid.byteLength() + 1) {
        swapped.add(cid);
      }
    });
    return swapped.isEmpty() ? null : swapped.get(0);
  }

  private static void write(Path file, byte[] bytes) {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static EncodedCar fixedCar() {
    List<Block> blocks = List.of(
        Block.raw(new byte[0]),
        Block.encode(Map.of("a", 1L)),
        Block.raw(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
        Block.encode(Map.of("list", List.of("x", "y"), "n", 200L)),
        Block.raw(new byte[100])); // 136-byte section: a 2-byte length varint
    return CarWriter.encode(List.of(blocks.get(3).cid(), blocks.get(1).cid()), blocks);
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<Damage> flips() {
    return cars().flatMap(car -> Combinators.combine(
            Arbitraries.integers().between(0, car.bytes().length - 1),
            Arbitraries.integers().between(1, 255))
        .as((position, xor) -> new Damage(car, position, xor)));
  }

  @Provide
  Arbitrary<Cut> cuts() {
    return cars().flatMap(car -> Arbitraries.integers().between(0, car.bytes().length - 1)
        .map(length -> new Cut(car, length)));
  }

  /** Small CARs, so the header and section framing are a large share of the bytes flipped. */
  private static Arbitrary<EncodedCar> cars() {
    Arbitrary<Block> raw = Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(Block::raw);
    Arbitrary<Block> cbor = Arbitraries.strings().ofMaxLength(12)
        .map(s -> Block.encode(Map.of("s", s)));
    return Arbitraries.oneOf(raw, cbor).list().ofMaxSize(6).flatMap(blocks -> {
      Map<Cid, Block> distinct = new LinkedHashMap<>();
      blocks.forEach(b -> distinct.putIfAbsent(b.cid(), b));
      List<Cid> cids = new ArrayList<>(distinct.keySet());
      if (cids.isEmpty()) {
        return Arbitraries.just(CarWriter.encode(List.of(), blocks));
      }
      return Arbitraries.integers().between(0, cids.size() - 1).set().ofMinSize(1).ofMaxSize(3)
          .map(picks -> CarWriter.encode(picks.stream().map(cids::get).toList(), blocks));
    });
  }
}
