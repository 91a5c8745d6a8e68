package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The block index files ({@code <car-cid>.idx}, see {@link CarIndexFile}) of one
 * {@link FileCarStore} directory: where each lives, writing one durably, opening one into a
 * {@link CarIndex} that reads its pages from the file, and checking one whole for
 * {@code kiln verify}. A version 1 file, from before the paged layout, is read whole once and
 * written again in the current layout.
 */
final class IndexFiles {
  private final Path dir;
  private final boolean fsync;
  private final ChannelCache channels;
  /** Temp files of writes still running, which the start-up sweep must leave alone. */
  private final Set<Path> writesInFlight;
  private final ChannelCache.IoRunnable syncDirectory;

  IndexFiles(Path dir, boolean fsync, ChannelCache channels, Set<Path> writesInFlight,
      ChannelCache.IoRunnable syncDirectory) {
    this.dir = dir;
    this.fsync = fsync;
    this.channels = channels;
    this.writesInFlight = writesInFlight;
    this.syncDirectory = syncDirectory;
  }

  Path pathOf(Cid car) {
    return dir.resolve(car + CarIndexFile.SUFFIX);
  }

  /**
   * The CAR's index from its index file, which is checked against the CAR as it is now (name and
   * size) but whose pages are read only by lookups; {@code rebuild} runs when a page turns out
   * damaged.
   *
   * @throws CarIndexFile.Invalid when the file is damaged, stale or of another CAR
   * @throws IOException when it is missing or cannot be read
   */
  CarIndex open(Cid car, long carSize, Supplier<CarIndex> rebuild) throws IOException, CarIndexFile.Invalid {
    Object opened = header(car, carSize);
    if (opened instanceof CarIndex converted) {
      return converted;
    }
    CarIndexFile.Header header = (CarIndexFile.Header) opened;
    return paged(header, rebuild);
  }

  /**
   * What the index file says against {@code truth}, the index built from the CAR: null when the
   * file is there and right, else why not ("missing", or the problem). Reads every page and mends
   * nothing.
   */
  String problem(Cid car, CarIndex truth) {
    if (!Files.exists(pathOf(car))) {
      return "missing";
    }
    try {
      Object opened = header(car, truth.byteSize());
      CarIndex stored;
      if (opened instanceof CarIndex converted) {
        stored = converted;
      } else {
        CarIndexFile.Header header = (CarIndexFile.Header) opened;
        PagedEntries pages = entries(header, () -> {
          throw new IllegalStateException("a check does not rebuild");
        });
        String problem = pages.problem();
        if (problem != null) {
          return problem;
        }
        stored = paged(header, () -> truth);
      }
      return stored.equals(truth) ? null : "its entries differ from the CAR's blocks";
    } catch (CarIndexFile.Invalid e) {
      return e.getMessage();
    } catch (IOException e) {
      return "cannot be read: " + e;
    }
  }

  /** Temp file, fsync, atomic rename over any older one; the caller fsyncs the directory. */
  void write(CarIndex index) throws IOException {
    Path temp = dir.resolve("." + HexFormat.of().formatHex(FileCarStore.randomBytes()) + CarIndexFile.TEMP_SUFFIX);
    writesInFlight.add(temp);
    boolean done = false;
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        CarIndexFile.write(index, Channels.newOutputStream(channel));
        if (fsync) {
          channel.force(true);
        }
      }
      // Under the channel's lock: a reader must not go on reading the file this one replaces.
      Path target = pathOf(index.car());
      channels.closeWhile(target, () -> Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING));
      done = true;
    } finally {
      if (!done) {
        FileCarStore.deleteQuietly(temp);
      }
      writesInFlight.remove(temp);
    }
  }

  /** {@link #write} and the directory's fsync, best effort: when it fails, the next open rebuilds again. */
  void writeQuietly(CarIndex index) {
    try {
      write(index);
      if (fsync) {
        syncDirectory.run();
      }
    } catch (IOException e) {
      if (e instanceof ClosedByInterruptException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Removes the CAR's index file, closing a channel a reader has on it first. */
  void delete(Cid car) throws IOException {
    Path path = pathOf(car);
    channels.closeWhile(path, () -> Files.deleteIfExists(path));
  }

  /** The checked header of a current file, or the whole index of a version 1 file (written again as current). */
  private Object header(Cid car, long carSize) throws IOException, CarIndexFile.Invalid {
    Path path = pathOf(car);
    long fileSize = Files.size(path);
    byte[] prefix = new byte[(int) Math.min(fileSize, CarIndexFile.FIRST_READ)];
    channels.read(path, prefix, 0);
    if (CarIndexFile.isVersion1(prefix)) {
      byte[] whole = new byte[Math.toIntExact(fileSize)];
      channels.read(path, whole, 0);
      CarIndex index = CarIndexFileV1.read(new ByteArrayInputStream(whole), fileSize, car, carSize);
      writeQuietly(index);
      return index;
    }
    while (true) {
      CarIndexFile.Header header = CarIndexFile.header(prefix, fileSize, car, carSize);
      if (header != null && header.directory() != null) {
        return header;
      }
      long next = header == null ? Math.min(fileSize, 1 << 17) : header.headerBytes();
      if (next <= prefix.length) {
        throw new CarIndexFile.Invalid("the file ends early");
      }
      // Only the rest of the header: what opening reads is the header, once.
      byte[] longer = java.util.Arrays.copyOf(prefix, (int) next);
      byte[] rest = new byte[longer.length - prefix.length];
      channels.read(path, rest, prefix.length);
      System.arraycopy(rest, 0, longer, prefix.length, rest.length);
      prefix = longer;
    }
  }

  private CarIndex paged(CarIndexFile.Header header, Supplier<CarIndex> rebuild) throws CarIndexFile.Invalid {
    try {
      return CarIndex.withRootsChecked(header.car(), header.roots(), header.carSize(), entries(header, rebuild));
    } catch (IllegalArgumentException e) {
      throw new CarIndexFile.Invalid(e.getMessage());
    }
  }

  private PagedEntries entries(CarIndexFile.Header header, Supplier<CarIndex> rebuild) {
    Path path = pathOf(header.car());
    // Its pages read even after the store closed: a snapshot may hold the index longer than the store.
    return new PagedEntries(header, (into, offset) -> channels.readEvenIfClosed(path, into, offset), rebuild,
        path.toString());
  }
}
