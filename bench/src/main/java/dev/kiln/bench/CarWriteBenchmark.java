package dev.kiln.bench;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CAR write throughput against a raw sequential write of the very same bytes, both durable, in
 * the same run, so the disk's mood that day cancels out of the ratio {@code raw / carStore}
 * (of the times per op; the target is at least 0.8).
 *
 * <ul>
 *   <li>{@link #carStoreWrite}: {@link FileCarStore#write} of the blocks: encode and hash while
 *       streaming to a temp file, fsync it, rename it to its CID, fsync the directory.
 *   <li>{@link #rawWrite}: the CAR's bytes, encoded beforehand, written to a new file with one
 *       {@link FileChannel} write, fsynced, then the directory fsynced: the floor the store can
 *       approach.
 *   <li>{@link #rawAtomicWrite}: the same bytes through the store's durability protocol (temp
 *       file, fsync, rename, directory fsync) without encoding or hashing: the difference to
 *       {@link #rawWrite} is what the rename costs, the difference to {@link #carStoreWrite} is
 *       the CPU work of framing, hashing and indexing.
 * </ul>
 *
 * The file each invocation writes is deleted after it, outside the measured time. With
 * {@code -p fsync=false} both skip every fsync, which shows the CPU side of the store's work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CarWriteBenchmark {
  /** How many data blocks the CAR holds, each about {@link #blockBytes} bytes. */
  @Param("10000")
  public int blocks;

  @Param("400")
  public int blockBytes;

  /** Whether both sides fsync the file and the directory (a durable write); false isolates CPU cost. */
  @Param("true")
  public boolean fsync;

  private List<Cid> roots;
  private List<Block> carBlocks;
  private byte[] carBytes;
  private Path dir;
  private FileCarStore store;
  private Path rawFile;
  private Path rawTemp;
  private Cid written;

  @Setup(Level.Trial)
  public void setUp() {
    carBlocks = CarBlocks.generate(blocks, blockBytes);
    roots = List.of(carBlocks.get(carBlocks.size() - 1).cid());
    carBytes = CarWriter.encode(roots, carBlocks).bytes();

    dir = BenchFiles.newScratchDir("kiln-car-bench-");
    store = new FileCarStore(dir.resolve("cars"), fsync);
    rawFile = dir.resolve("cars").resolve("raw.car");
    rawTemp = dir.resolve("cars").resolve(".raw.car.tmp");
    System.out.printf("%n[CarWriteBenchmark] CAR of %d blocks, %d bytes (%.2f MiB), in %s%n",
        carBlocks.size(), carBytes.length, carBytes.length / 1048576.0, dir);
  }

  @Benchmark
  public CarIndex carStoreWrite() {
    CarIndex index = store.write(roots, carBlocks);
    written = index.car();
    return index;
  }

  @Benchmark
  public long rawWrite() throws IOException {
    long size;
    try (FileChannel channel = FileChannel.open(rawFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(carBytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (fsync) {
        channel.force(true);
      }
      size = channel.size();
    }
    if (fsync) {
      fsyncDirectory();
    }
    return size;
  }

  @Benchmark
  public long rawAtomicWrite() throws IOException {
    long size;
    try (FileChannel channel = FileChannel.open(rawTemp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(carBytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (fsync) {
        channel.force(true);
      }
      size = channel.size();
    }
    Files.move(rawTemp, rawFile, StandardCopyOption.ATOMIC_MOVE);
    if (fsync) {
      fsyncDirectory();
    }
    return size;
  }

  /** Next invocation writes a new file again (a CAR already present would be a no-op write). */
  @TearDown(Level.Invocation)
  public void deleteWritten() throws IOException {
    if (written != null) {
      store.delete(written);
      written = null;
    }
    Files.deleteIfExists(rawFile);
  }

  private void fsyncDirectory() throws IOException {
    try (FileChannel directory = FileChannel.open(rawFile.getParent(), StandardOpenOption.READ)) {
      directory.force(true);
    }
  }

  /** Bytes of the CAR each write produces. */
  long carSize() {
    return carBytes.length;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    store.close();
    BenchFiles.deleteTree(dir);
  }
}
