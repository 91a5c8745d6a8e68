package dev.kiln.engine.car;

import static dev.kiln.engine.car.CarFixtures.blocks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The per-CAR index file of {@link FileCarStore}: open loads it and reads no CAR byte; a missing,
 * damaged or stale one is rebuilt from the CAR; a damaged CAR is still reported by the first read
 * of a damaged block and by {@link FileCarStore#check}. Bytes are counted, never timed.
 */
class CarIndexFileTest {
  @TempDir
  Path dir;

  /** Bytes read per file name, as the store reports them through its read hook. */
  private final Map<String, AtomicLong> bytesRead = new ConcurrentHashMap<>();

  private FileCarStore counting() {
    return new FileCarStore(dir, false, FileCarStore.WriteHooks.NONE, 16,
        (file, n) -> bytesRead.computeIfAbsent(file.getFileName().toString(), k -> new AtomicLong()).addAndGet(n));
  }

  private long carBytesRead(Cid car) {
    AtomicLong n = bytesRead.get(car + ".car");
    return n == null ? 0 : n.get();
  }

  private long indexBytesRead(Cid car) {
    AtomicLong n = bytesRead.get(car + ".idx");
    return n == null ? 0 : n.get();
  }

  private CarIndex written(long seed, int blocks) {
    List<Block> bs = blocks(seed, blocks);
    try (FileCarStore writer = new FileCarStore(dir, false)) {
      return writer.write(List.of(bs.get(blocks - 1).cid()), bs);
    }
  }

  @Test
  void aWriteLeavesAnIndexFileAndOpeningReadsItsHeaderAndNoByteOfTheCar() throws IOException {
    CarIndex written = written(1, 5000);
    Path indexFile = dir.resolve(written.car() + ".idx");
    assertThat(indexFile).exists();

    try (FileCarStore store = counting()) {
      CarIndex opened = store.open(written.car());
      long onOpen = indexBytesRead(written.car());
      // The header (directory and Bloom filter, about 1.5 bytes a block) and the root's page.
      assertThat(onOpen).as("index bytes read on open").isLessThan(Files.size(indexFile) / 10);
      assertThat(carBytesRead(written.car())).as("CAR bytes read on open").isZero();

      List<Block> bs = blocks(1, 5000);
      for (int i = 0; i < 50; i++) {
        Cid cid = bs.get(i * 97).cid();
        long before = indexBytesRead(written.car());
        assertThat(opened.find(cid)).isEqualTo(written.find(cid));
        assertThat(indexBytesRead(written.car()) - before).as("a lookup reads one page")
            .isBetween(1L, (long) CarIndexFile.PAGE_BYTES);
      }
      long beforeMisses = indexBytesRead(written.car());
      List<Block> absent = blocks(1001, 1000);
      for (Block b : absent) {
        assertThat(opened.find(b.cid())).isNull();
      }
      // The Bloom filter answers most misses without a page (about 2 % false positives).
      assertThat(indexBytesRead(written.car()) - beforeMisses).as("index bytes read by 1,000 misses")
          .isLessThan(100L * CarIndexFile.PAGE_BYTES);
      assertThat(opened).isEqualTo(written);
      assertThat(carBytesRead(written.car())).as("CAR bytes read by lookups").isZero();
    }
    // About 45 bytes a block: a fraction of the CAR, which holds the blocks themselves.
    assertThat(Files.size(indexFile)).isLessThan(written.byteSize() / 2);
  }

  /**
   * Issue 12: a large written CAR keeps no entry of its own on the heap (a compacted million-document
   * CAR would keep 50 MB), and its index still answers after the store that wrote it closed (a
   * snapshot may hold the index longer than the store).
   */
  @Test
  void aLargeWrittenCarAnswersFromItsIndexFileEvenAfterItsStoreClosed() {
    int n = FileCarStore.HEAP_INDEX_MAX_BLOCKS + 1000;
    List<Block> bs = blocks(13, n);
    CarIndex index;
    try (FileCarStore writer = new FileCarStore(dir, false)) {
      index = writer.write(List.of(bs.get(n - 1).cid()), bs);
      assertThat(index.approximateHeapBytes()).as("heap of the written index").isLessThan(4L * n);
    }
    for (Block b : bs) {
      assertThat(index.find(b.cid())).as("after the store closed: %s", b.cid()).isNotNull();
    }
    assertThat(index.find(blocks(14, 1).get(0).cid())).isNull();
    int[] visited = {0};
    index.forEachBlock((cid, at) -> visited[0]++);
    assertThat(visited[0]).isEqualTo(n);
  }

  @Test
  void aPageDamagedAfterOpeningIsFoundByTheLookupThatReadsItAndRebuiltFromTheCar() throws IOException {
    CarIndex written = written(10, 300);
    Path indexFile = dir.resolve(written.car() + ".idx");
    List<Block> bs = blocks(10, 300);
    try (FileCarStore store = counting()) {
      CarIndex opened = store.open(written.car());
      assertThat(carBytesRead(written.car())).isZero();
      // A byte inside the last page's entries: the header still checks out.
      long at = Files.size(indexFile) - 30;
      try (RandomAccessFile f = new RandomAccessFile(indexFile.toFile(), "rw")) {
        f.seek(at);
        int b = f.read();
        f.seek(at);
        f.write(b ^ 0x08);
      }
      assertThat(store.indexFileProblem(written.car(), written)).contains("checksum mismatch in page");
      for (Block b : bs) {
        assertThat(opened.find(b.cid())).as("lookup of %s", b.cid()).isEqualTo(written.find(b.cid()));
      }
      assertThat(carBytesRead(written.car())).as("rebuilt from the CAR once").isEqualTo(written.byteSize());
      assertThat(store.indexFileProblem(written.car(), written)).as("written again").isNull();
    }
  }

  @Test
  void aPageDamagedInADamagedCarIsReportedByTheLookup() throws IOException {
    CarIndex written = written(11, 300);
    Path indexFile = dir.resolve(written.car() + ".idx");
    Block victim = blocks(11, 300).get(7);
    BlockLocation place = written.find(victim.cid());
    try (FileCarStore store = counting()) {
      CarIndex opened = store.open(written.car());
      for (long at : new long[] {Files.size(indexFile) - 30}) {
        try (RandomAccessFile f = new RandomAccessFile(indexFile.toFile(), "rw")) {
          f.seek(at);
          int b = f.read();
          f.seek(at);
          f.write(b ^ 0x08);
        }
      }
      try (RandomAccessFile f = new RandomAccessFile(dir.resolve(written.car() + ".car").toFile(), "rw")) {
        f.seek(place.offset() + place.length() / 2);
        int b = f.read();
        f.seek(place.offset() + place.length() / 2);
        f.write(b ^ 0x40);
      }
      // Every page is read by a walk, so the damaged one is met and the rebuild reads the CAR.
      assertThatThrownBy(() -> opened.forEachBlock((cid, loc) -> {}))
          .isInstanceOf(CorruptBlockException.class).hasMessageContaining(victim.cid().toString());
    }
  }

  @Test
  void aVersion1IndexFileIsAcceptedWithoutReadingTheCarAndWrittenAgainPaged() throws IOException {
    CarIndex written = written(12, 400);
    Path indexFile = dir.resolve(written.car() + ".idx");
    Version1IndexFiles.write(written, indexFile);
    try (FileCarStore store = counting()) {
      assertThat(store.indexFileProblem(written.car(), written)).isNull();
      bytesRead.clear();
      assertThat(store.open(written.car())).isEqualTo(written);
      assertThat(carBytesRead(written.car())).as("CAR bytes read").isZero();
      byte[] head = Files.readAllBytes(indexFile);
      assertThat(head[7]).as("version byte now").isEqualTo((byte) 2);

      bytesRead.clear();
      assertThat(store.open(written.car()).blockCount()).isEqualTo(400);
      assertThat(indexBytesRead(written.car())).as("the next open reads the header").isLessThan(Files.size(indexFile));
    }
  }

  @Test
  void aMissingIndexFileIsRebuiltFromTheCarAndWrittenAgain() {
    CarIndex written = written(2, 300);
    Path indexFile = dir.resolve(written.car() + ".idx");
    try (FileCarStore store = counting()) {
      Files.delete(indexFile);
      assertThat(store.indexFileProblem(written.car(), written)).isEqualTo("missing");

      assertThat(store.open(written.car())).isEqualTo(written);
      assertThat(carBytesRead(written.car())).as("the rebuild reads the whole CAR").isEqualTo(written.byteSize());
      assertThat(indexFile).exists();
      assertThat(store.indexFileProblem(written.car(), written)).isNull();

      bytesRead.clear();
      assertThat(store.open(written.car())).isEqualTo(written);
      assertThat(carBytesRead(written.car())).as("the next open uses the rebuilt file").isZero();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Positions as a fraction of the file: the header, the keys, the offsets, the lengths, the checksum. */
  @ParameterizedTest(name = "a byte flipped at {0}/1000 of the file")
  @ValueSource(ints = {3, 20, 60, 200, 400, 650, 780, 900, 999})
  void aDamagedIndexFileIsRebuiltFromTheCar(int perMille) throws IOException {
    CarIndex written = written(3, 200);
    Path indexFile = dir.resolve(written.car() + ".idx");
    long size = Files.size(indexFile);
    long at = Math.min(size - 1, size * perMille / 1000);
    try (RandomAccessFile f = new RandomAccessFile(indexFile.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
    try (FileCarStore store = counting()) {
      assertThat(store.indexFileProblem(written.car(), written)).isNotNull();
      assertThat(store.open(written.car())).isEqualTo(written);
      assertThat(carBytesRead(written.car())).isEqualTo(written.byteSize());
      assertThat(store.indexFileProblem(written.car(), written)).as("rewritten").isNull();
    }
  }

  @Test
  void aTruncatedIndexFileOrOneOfAnotherCarIsRebuilt() throws IOException {
    CarIndex a = written(4, 50);
    CarIndex b = written(5, 60);
    Path aIndex = dir.resolve(a.car() + ".idx");
    Path bIndex = dir.resolve(b.car() + ".idx");
    try (RandomAccessFile f = new RandomAccessFile(aIndex.toFile(), "rw")) {
      f.setLength(f.length() - 7);
    }
    Files.copy(aIndex, dir.resolve("scratch"));
    written(4, 50); // rewrites a's CAR and index file
    Files.write(bIndex, Files.readAllBytes(aIndex)); // a's (good) index under b's name
    try (FileCarStore store = counting()) {
      assertThat(store.indexFileProblem(b.car(), b)).contains("describes CAR " + a.car());
      assertThat(store.open(b.car())).isEqualTo(b);
      Files.write(aIndex, Files.readAllBytes(dir.resolve("scratch"))); // truncated again
      assertThat(store.indexFileProblem(a.car(), a)).isNotNull();
      assertThat(store.open(a.car())).isEqualTo(a);
    }
  }

  @Test
  void aCarTruncatedAfterItsIndexWasWrittenFailsToOpenAsTruncated() throws IOException {
    CarIndex written = written(6, 40);
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(written.car() + ".car").toFile(), "rw")) {
      f.setLength(f.length() - 10);
    }
    try (FileCarStore store = counting()) {
      assertThatThrownBy(() -> store.open(written.car()))
          .isInstanceOf(CarFormatException.class).hasMessageContaining("truncated");
    }
  }

  @Test
  void aCarDamagedAfterItsIndexWasWrittenOpensAndTheFirstReadOfTheBadBlockReportsIt() throws IOException {
    List<Block> bs = blocks(7, 30);
    CarIndex written;
    try (FileCarStore writer = new FileCarStore(dir, false)) {
      written = writer.write(List.of(bs.get(29).cid()), bs);
    }
    Block victim = bs.get(11);
    BlockLocation at = written.find(victim.cid());
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(written.car() + ".car").toFile(), "rw")) {
      f.seek(at.offset() + at.length() / 2);
      int b = f.read();
      f.seek(at.offset() + at.length() / 2);
      f.write(b ^ 0x40);
    }
    try (FileCarStore store = counting()) {
      CarIndex opened = store.open(written.car());
      assertThat(opened).isEqualTo(written);
      Block neighbour = bs.get(12);
      assertThat(store.read(written.car(), neighbour.cid(), opened.find(neighbour.cid()))).isEqualTo(neighbour);
      assertThatThrownBy(() -> store.read(written.car(), victim.cid(), opened.find(victim.cid())))
          .isInstanceOf(CorruptBlockException.class)
          .hasMessageContaining(victim.cid().toString())
          .hasMessageContaining("offset " + at.offset());
      assertThatThrownBy(() -> store.readMany(written.car(), List.of(neighbour.cid(), victim.cid()),
          List.of(opened.find(neighbour.cid()), opened.find(victim.cid()))))
          .isInstanceOf(CorruptBlockException.class)
          .hasMessageContaining(victim.cid().toString());
      assertThatThrownBy(() -> store.check(written.car()))
          .isInstanceOf(CorruptBlockException.class)
          .hasMessageContaining(victim.cid().toString());
    }
  }

  @Test
  void deleteRemovesTheIndexFileAndStartUpRemovesLeftoversAndOrphanIndexFiles() throws IOException {
    CarIndex gone = written(8, 10);
    CarIndex kept = written(9, 10);
    Path leftover = dir.resolve(".0011aabb.idx.tmp");
    Files.write(leftover, new byte[] {1, 2, 3});
    Path orphan = dir.resolve(gone.car() + ".idx");
    try (FileCarStore store = counting()) {
      store.delete(kept.car());
      assertThat(dir.resolve(kept.car() + ".idx")).doesNotExist();
      Files.delete(dir.resolve(gone.car() + ".car")); // as if a crash or a person removed only the CAR
      assertThat(orphan).exists();

      assertThat(store.removeTempFiles()).isEqualTo(2);
      assertThat(leftover).doesNotExist();
      assertThat(orphan).doesNotExist();
      assertThat(store.list()).isEmpty();
    }
  }
}
