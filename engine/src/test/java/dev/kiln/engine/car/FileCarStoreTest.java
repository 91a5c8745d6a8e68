package dev.kiln.engine.car;

import static dev.kiln.engine.car.CarFixtures.blocks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCarStoreTest extends CarStoreContract {
  @TempDir
  Path dir;

  /** A channel cache of 2 for 5+ CARs, so the contract's concurrent readers also race evictions. */
  @Override
  protected CarStore newStore() {
    return new FileCarStore(dir, false, FileCarStore.WriteHooks.NONE, 2);
  }

  @Override
  protected void corrupt(Cid car, long offset, int xor) {
    try (RandomAccessFile file = new RandomAccessFile(fileOf(car), "rw")) {
      file.seek(offset);
      int b = file.read();
      file.seek(offset);
      file.write(b ^ xor);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected void truncate(Cid car, long length) {
    try (RandomAccessFile file = new RandomAccessFile(fileOf(car), "rw")) {
      file.setLength(length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected String fileOf(Cid car) {
    return dir.resolve(car + ".car").toAbsolutePath().toString();
  }

  @Test
  void aCarIsAFileNamedByItsCidHoldingExactlyTheEncodedBytes() throws IOException {
    List<Block> blocks = blocks(31, 12);
    List<Cid> roots = List.of(blocks.get(4).cid());

    CarIndex index = store.write(roots, blocks);

    Path file = dir.resolve(index.car() + ".car");
    assertThat(Files.readAllBytes(file)).isEqualTo(CarWriter.encode(roots, blocks).bytes());
    try (InputStream in = Files.newInputStream(file)) {
      assertThat(CarReader.index(file.toString(), in)).isEqualTo(index);
    }
    assertThat(filesIn(dir)).containsExactlyInAnyOrder(file.getFileName().toString(), index.car() + ".idx");
  }

  @Test
  void aStoreWithFsyncOnWritesAndReadsTheSame() {
    List<Block> blocks = blocks(32, 10);
    try (FileCarStore durable = new FileCarStore(dir.resolve("durable"), true)) {
      CarIndex index = durable.write(List.of(blocks.get(0).cid()), blocks);

      assertThat(durable.open(index.car())).isEqualTo(index);
      assertThat(durable.read(index.car(), blocks.get(7).cid(), index.find(blocks.get(7).cid()))).isEqualTo(blocks.get(7));
      assertThat(durable.list()).containsExactly(index.car());
    }
  }

  @Test
  void aDurableWriteForcesTheFileBeforeTheRenameAndTheDirectoryAfterIt() {
    List<String> log = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    List<Block> blocks = blocks(34, 10);
    try (FileCarStore durable = RecordingFileCarStore.create(dir.resolve("recorded"), log)) {
      log.clear(); // creating the store's directory fsyncs its parent; only the write's steps count here
      CarIndex index = durable.write(List.of(blocks.get(0).cid()), blocks);

      // Only then may the caller name the CAR anywhere: its bytes and its name are on the device.
      assertThat(dev.kiln.engine.RecordingChannel.folded(log))
          .containsExactly("write temp", "force temp", "rename", "force dir");
      assertThat(durable.list()).containsExactly(index.car());
    }
  }

  @Test
  void aWriteThatFailsMidwayLeavesNoFileAtAll() {
    List<Block> blocks = blocks(33, 10);
    Iterable<Block> failing = () -> blocks.stream().map(b -> {
      if (b == blocks.get(6)) {
        throw new IllegalStateException("source failed at block 6");
      }
      return b;
    }).iterator();

    assertThatThrownBy(() -> store.write(List.of(blocks.get(0).cid()), failing))
        .hasMessageContaining("source failed at block 6");

    assertThat(filesIn(dir)).isEmpty();
  }

  @Test
  void aFullDiskFailsTheWriteWithATypedErrorNamingTheFileAndLeavesNothing() {
    List<Block> blocks = blocks(34, 30);
    FileCarStore.WriteHooks diskFull = new FileCarStore.WriteHooks() {
      @Override
      public OutputStream tempOpened(Path temp, OutputStream out) {
        return new FilterOutputStream(out) {
          private long written;

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            written += len;
            if (written > 1000) {
              throw new IOException("No space left on device");
            }
            out.write(b, off, len);
          }
        };
      }
    };
    try (FileCarStore full = new FileCarStore(dir, false, diskFull, 8)) {
      // A CAR over 64 KiB, so the store's buffer spills to the failing stream mid-write.
      List<Block> big = new ArrayList<>(blocks);
      big.add(Block.raw(new byte[100_000]));

      assertThatThrownBy(() -> full.write(List.of(blocks.get(0).cid()), big))
          .isInstanceOf(CarStoreException.class)
          .hasMessageContaining(dir.toString())
          .hasMessageContaining(".car.tmp")
          .hasMessageContaining("No space left on device");

      assertThat(filesIn(dir)).isEmpty();
      assertThat(full.list()).isEmpty();
    }
  }

  /**
   * A crash between writing the temp file and renaming it: the writer is held at that point (as
   * if the process had died there) while a new store on the same directory starts up.
   */
  @Test
  void aWriteCutShortByACrashLeavesNothingUnderTheFinalNameAndStartUpRemovesItsTempFile() throws Exception {
    List<Block> blocks = blocks(35, 10);
    List<Cid> roots = List.of(blocks.get(0).cid());
    Path finalName = dir.resolve(CarWriter.encode(roots, blocks).index().car() + ".car");
    CountDownLatch atRename = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    FileCarStore.WriteHooks holdBeforeRename = new FileCarStore.WriteHooks() {
      @Override
      public void beforeMove(Path temp, Path target) throws IOException {
        atRename.countDown();
        try {
          resume.await();
        } catch (InterruptedException e) {
          throw new IOException("interrupted", e);
        }
      }
    };

    ExecutorService writer = Executors.newSingleThreadExecutor();
    try (FileCarStore crashing = new FileCarStore(dir, false, holdBeforeRename, 8)) {
      Future<CarIndex> write = writer.submit(() -> crashing.write(roots, blocks));
      assertThat(atRename.await(30, TimeUnit.SECONDS)).isTrue();

      assertThat(finalName).doesNotExist();
      assertThat(filesIn(dir)).singleElement().satisfies(name -> assertThat(name).startsWith(".").endsWith(".car.tmp"));
      assertThat(crashing.list()).isEmpty();
      assertThat(crashing.removeTempFiles()).as("a write in flight keeps its temp file").isZero();
      try (FileCarStore restarted = new FileCarStore(dir, false)) {
        assertThat(restarted.list()).isEmpty();
        assertThat(restarted.removeTempFiles()).isEqualTo(1);
      }
      assertThat(filesIn(dir)).isEmpty();

      resume.countDown();
      assertThatThrownBy(() -> write.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(CarStoreException.class).hasMessageContaining(finalName.getFileName().toString());
      assertThat(finalName).doesNotExist();
    } finally {
      writer.shutdownNow();
    }
  }

  @Test
  void aLeftoverTempFileIsNotListedAndIsRemovedAtStartUpWhileOtherFilesAreLeftAlone() throws IOException {
    List<Block> blocks = blocks(36, 4);
    CarIndex kept = store.write(List.of(blocks.get(0).cid()), blocks);
    Path leftover = dir.resolve(".0123456789abcdef.car.tmp");
    Files.write(leftover, new byte[] {0x3a, (byte) 0xa2, 0x65});
    Path stranger = dir.resolve("notes.txt");
    Files.writeString(stranger, "not a CAR");
    Path badName = dir.resolve("not-a-cid.car");
    Files.writeString(badName, "not a CAR either");

    assertThat(store.list()).containsExactly(kept.car());

    assertThat(((FileCarStore) store).removeTempFiles()).isEqualTo(1);
    assertThat(leftover).doesNotExist();
    assertThat(stranger).exists();
    assertThat(badName).exists();
    assertThat(store.list()).containsExactly(kept.car());
  }

  /** An interrupt closes a FileChannel for every thread using it; the store must reopen it. */
  @Test
  void anInterruptedReaderFailsAloneAndOtherReadersCarryOn() throws Exception {
    List<Block> blocks = blocks(37, 6);
    CarIndex index = store.write(List.of(blocks.get(0).cid()), blocks);
    Block wanted = blocks.get(3);
    BlockLocation at = index.find(wanted.cid());
    assertThat(store.read(index.car(), wanted.cid(), at)).isEqualTo(wanted);

    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Throwable> interrupted = reader.submit(() -> {
        Thread.currentThread().interrupt();
        try {
          store.read(index.car(), wanted.cid(), at);
          return null;
        } catch (RuntimeException e) {
          return Thread.interrupted() ? e : new AssertionError("the interrupt flag was lost", e);
        }
      });

      assertThat(interrupted.get(30, TimeUnit.SECONDS))
          .isInstanceOf(CarStoreException.class).hasMessageContaining("interrupted");
      assertThat(store.read(index.car(), wanted.cid(), at)).isEqualTo(wanted);
    } finally {
      reader.shutdownNow();
    }
  }

  private static List<String> filesIn(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("durable")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
