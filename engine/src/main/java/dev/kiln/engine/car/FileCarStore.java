package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.InvalidCidException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * CAR files in one directory, each named {@code <car-cid>.car}.
 *
 * <p>A write streams the CAR to a temp file in the same directory ({@code .<random>.car.tmp}; its
 * CID is known only once every byte is hashed), fsyncs it, renames it atomically to its final
 * name and fsyncs the directory. A write that fails is cleaned up; one cut short by a crash leaves
 * only a temp file, which {@link #list} ignores and {@link #removeTempFiles} deletes at start-up.
 * So a file under a CAR's name is always complete.
 *
 * <p>Each CAR has its block index in a file next to it, {@code <car-cid>.idx} ({@link IndexFiles},
 * {@link CarIndexFile}), written the same way (temp file, fsync, rename) before {@link #write}
 * returns, so before any event can name the CAR. {@link #open} reads that file's header, checked
 * for size and checksum against the CAR as it is now, and reads none of the CAR's bytes; lookups
 * read one page of it each. An index file that is missing or fails a check (the header on open, a
 * page when a lookup reads it) is rebuilt from the CAR (which reads and verifies every byte) and
 * written again. Every block read is still checked against its CID, so a CAR damaged after its
 * index was written is reported by the first read of a damaged block, and by {@link #check}.
 *
 * <p>Reads are positional reads on cached channels ({@link ChannelCache}), safe from many threads.
 */
public final class FileCarStore implements CarStore {
  static final String CAR_SUFFIX = ".car";
  static final String TEMP_SUFFIX = ".car.tmp";
  private static final int DEFAULT_MAX_OPEN_CHANNELS = 256;
  /**
   * A written CAR with more blocks than this is answered with the index read through its file (one
   * page a lookup) rather than the one built on the heap while writing: bulk loads and compactions
   * would otherwise keep about 50 bytes a block on the heap for as long as the CAR is in the log
   * (50 MB for a compacted million-document database). Smaller ones, the single commits, keep the
   * heap one: lookups in the newest CARs are the most frequent.
   */
  static final int HEAP_INDEX_MAX_BLOCKS = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final boolean fsync;
  private final WriteHooks hooks;
  private final ReadHooks readHooks;
  private final ChannelCache channels;
  private final IndexFiles indexFiles;
  private final Set<Path> writesInFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param dir created if missing
   * @param fsync fsync files and the directory on write (off only for tests)
   */
  public FileCarStore(Path dir, boolean fsync) {
    this(dir, fsync, WriteHooks.NONE, DEFAULT_MAX_OPEN_CHANNELS);
  }

  FileCarStore(Path dir, boolean fsync, WriteHooks hooks, int maxOpenChannels) {
    this(dir, fsync, hooks, maxOpenChannels, ReadHooks.NONE);
  }

  FileCarStore(Path dir, boolean fsync, WriteHooks hooks, int maxOpenChannels, ReadHooks readHooks) {
    this.dir = dir.toAbsolutePath();
    this.fsync = fsync;
    this.hooks = hooks;
    this.readHooks = readHooks;
    this.channels = new ChannelCache(maxOpenChannels, readHooks);
    this.indexFiles = new IndexFiles(this.dir, fsync, channels, writesInFlight, this::fsyncDirectory);
    try {
      createDirectoriesDurably(this.dir);
    } catch (IOException e) {
      throw new CarStoreException(this.dir.toString(), "cannot create the CAR directory", e);
    }
  }

  /** Creates the missing directories top-down, fsyncing the parent of each, so they survive a crash. */
  private void createDirectoriesDurably(Path target) throws IOException {
    java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
    for (Path p = target; p != null && !Files.isDirectory(p); p = p.getParent()) {
      missing.push(p);
    }
    for (Path p : missing) {
      try {
        Files.createDirectory(p);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (!Files.isDirectory(p)) {
          throw e;
        } // made by someone else meanwhile: its entry still needs the fsync below
      }
      if (fsync && p.getParent() != null) {
        fsyncDirectory(p.getParent());
      }
    }
  }

  public Path dir() {
    return dir;
  }

  /** The file that holds (or would hold) this CAR. */
  public Path pathOf(Cid car) {
    return dir.resolve(car + CAR_SUFFIX);
  }

  /** The file that holds (or would hold) this CAR's block index. */
  public Path indexPathOf(Cid car) {
    return indexFiles.pathOf(car);
  }

  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    checkOpen();
    Path temp = dir.resolve("." + HexFormat.of().formatHex(randomBytes()) + TEMP_SUFFIX);
    writesInFlight.add(temp);
    boolean done = false;
    String step = "cannot write the temp file for a new CAR";
    Path file = temp;
    try {
      CarIndex index;
      try (FileChannel channel = hooks.opened(temp,
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
        // CarWriter buffers and writes in large pieces: another buffer here would only copy.
        OutputStream out = hooks.tempOpened(temp, Channels.newOutputStream(channel));
        index = CarWriter.write(roots, blocks, out);
        out.flush();
        if (fsync) {
          step = "cannot fsync the temp file for a new CAR";
          channel.force(true);
        }
      }
      Path target = pathOf(index.car());
      step = "cannot rename " + temp.getFileName() + " to its CAR name";
      file = target;
      hooks.beforeMove(temp, target);
      if (Files.exists(target)) {
        // Same name, same content: the CAR is already here.
        Files.delete(temp);
      } else {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      }
      hooks.afterMove(temp, target);
      step = "cannot write the index file of " + target.getFileName();
      file = indexPathOf(index.car());
      indexFiles.write(index);
      if (fsync) {
        step = "cannot fsync the CAR directory after writing " + target.getFileName();
        file = dir;
        fsyncDirectory();
      }
      done = true;
      return pagedIfLarge(index);
    } catch (IOException e) {
      if (e instanceof ClosedByInterruptException) {
        Thread.currentThread().interrupt();
      }
      throw new CarStoreException(file.toString(), step, e);
    } finally {
      if (!done) {
        deleteQuietly(temp);
      }
      writesInFlight.remove(temp);
    }
  }

  /**
   * Opens the CAR's index file when its header checks out against the CAR as it is now, without
   * reading the CAR; otherwise rebuilds the index from the CAR as {@link #check} does and writes the
   * index file again (best effort: when that write fails, the next open rebuilds again).
   */
  @Override
  public CarIndex open(Cid car) {
    checkOpen();
    long size = size(car);
    try {
      return indexFiles.open(car, size, () -> rebuild(car));
    } catch (CarIndexFile.Invalid | IOException e) {
      // Missing, damaged or stale: the CAR is the truth.
    }
    return pagedIfLarge(rebuild(car));
  }

  /**
   * The index of a CAR just written or rebuilt: over {@link #HEAP_INDEX_MAX_BLOCKS} blocks, read
   * through the index file just written (whose pages stay readable after this store closes); the
   * heap one when that fails, which the next open checks again.
   */
  private CarIndex pagedIfLarge(CarIndex written) {
    if (written.blockCount() <= HEAP_INDEX_MAX_BLOCKS) {
      return written;
    }
    try {
      return indexFiles.open(written.car(), written.byteSize(), () -> rebuild(written.car())); // a repair stays on the heap
    } catch (CarIndexFile.Invalid | IOException e) {
      return written;
    }
  }

  private CarIndex rebuild(Cid car) {
    CarIndex index = check(car);
    indexFiles.writeQuietly(index);
    return index;
  }

  /** Reads every byte of the CAR, verifies every block and the whole file against {@code car}, builds its index. */
  @Override
  public CarIndex check(Cid car) {
    checkOpen();
    Path path = pathOf(car);
    try (InputStream in = counted(path, Files.newInputStream(path))) {
      long size = Files.size(path);
      return CarReader.index(path.toString(), in, size, car);
    } catch (NoSuchFileException e) {
      throw new CarNotFoundException(car, path.toString());
    } catch (IOException e) {
      throw new CarStoreException(path.toString(), "cannot read CAR " + car, e);
    }
  }

  /**
   * What the CAR's index file says against {@code truth}, the index {@link #check} built from the
   * CAR: null when the file is there and right, else why not ("missing", or the problem).
   */
  public String indexFileProblem(Cid car, CarIndex truth) {
    checkOpen();
    return indexFiles.problem(car, truth);
  }

  @Override
  public String storedIndexProblem(Cid car, CarIndex truth) {
    String problem = indexFileProblem(car, truth);
    return problem == null || "missing".equals(problem) ? problem
        : "index file " + indexPathOf(car) + " is wrong: " + problem;
  }

  private InputStream counted(Path file, InputStream in) {
    if (readHooks == ReadHooks.NONE) {
      return in;
    }
    return new java.io.FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          readHooks.read(file, 1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          readHooks.read(file, n);
        }
        return n;
      }
    };
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    checkOpen();
    Path path = pathOf(car);
    byte[] bytes = new byte[at.length()];
    readInto(car, path, bytes, at, block);
    return Block.verified(block, bytes, "CAR file " + path + ", block bytes at offset " + at.offset());
  }

  /** Reads runs of blocks that lie close together with one read each ({@link SpanPlanner}). */
  @Override
  public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    checkOpen();
    Path path = pathOf(car);
    return SpanPlanner.readMany(blocks, at, (offset, length, first) -> {
      byte[] span = new byte[length];
      readInto(car, path, span, new BlockLocation(offset, length), first);
      return span;
    }, (block, loc) -> read(car, block, loc), "CAR file " + path);
  }

  /** Fills {@code bytes} from {@code at.offset()}, naming {@code block} in errors. */
  private void readInto(Cid car, Path path, byte[] bytes, BlockLocation at, Cid block) {
    try {
      channels.read(path, bytes, at.offset());
    } catch (NoSuchFileException e) {
      throw new CarNotFoundException(car, path.toString());
    } catch (EOFException e) {
      throw new CarFormatException(path.toString(), at.offset(), block, "block of " + bytes.length
          + " bytes runs past the end of the file (" + e.getMessage() + " bytes): the file is truncated");
    } catch (ClosedByInterruptException e) {
      throw new CarStoreException(path.toString(), at.offset(), block, "read interrupted", e);
    } catch (ClosedChannelException e) {
      checkOpen();
      throw new CarStoreException(path.toString(), at.offset(), block, "cannot read block", e);
    } catch (IOException e) {
      throw new CarStoreException(path.toString(), at.offset(), block, "cannot read block", e);
    }
  }

  @Override
  public boolean exists(Cid car) {
    checkOpen();
    return Files.isRegularFile(pathOf(car));
  }

  @Override
  public List<Cid> list() {
    checkOpen();
    List<Cid> cars = new ArrayList<>();
    for (Path file : files()) {
      String name = file.getFileName().toString();
      if (name.endsWith(CAR_SUFFIX) && !name.startsWith(".")) {
        try {
          cars.add(Cid.parse(name.substring(0, name.length() - CAR_SUFFIX.length())));
        } catch (InvalidCidException e) {
          // Not a file this store wrote; leave it alone.
        }
      }
    }
    cars.sort(null);
    return cars;
  }

  @Override
  public void delete(Cid car) {
    checkOpen();
    Path path = pathOf(car);
    try {
      // The index first: a crash in between leaves a CAR without one (rebuilt if it is ever
      // opened), never an index without its CAR. Each under its channel's lock, so no reader can
      // reopen the file between the close and the delete.
      indexFiles.delete(car);
      channels.closeWhile(path, () -> Files.deleteIfExists(path));
    } catch (IOException e) {
      throw new CarStoreException(path.toString(), "cannot delete CAR " + car, e);
    }
  }

  @Override
  public long size(Cid car) {
    checkOpen();
    Path path = pathOf(car);
    try {
      return Files.size(path);
    } catch (NoSuchFileException e) {
      throw new CarNotFoundException(car, path.toString());
    } catch (IOException e) {
      throw new CarStoreException(path.toString(), "cannot read the size of CAR " + car, e);
    }
  }

  /**
   * Deletes the temp files of writes that never finished (a crash mid-write), and index files whose
   * CAR is gone; call at start-up. Temp files of writes still running in this store are kept.
   *
   * @return how many were deleted
   */
  @Override
  public int removeTempFiles() {
    checkOpen();
    int removed = 0;
    for (Path file : files()) {
      String name = file.getFileName().toString();
      boolean temp = name.startsWith(".") && (name.endsWith(TEMP_SUFFIX) || name.endsWith(CarIndexFile.TEMP_SUFFIX));
      boolean orphanIndex = !name.startsWith(".") && name.endsWith(CarIndexFile.SUFFIX)
          && !Files.exists(dir.resolve(name.substring(0, name.length() - CarIndexFile.SUFFIX.length()) + CAR_SUFFIX));
      if ((temp || orphanIndex) && !writesInFlight.contains(file)) {
        try {
          if (Files.deleteIfExists(file)) {
            removed++;
          }
        } catch (IOException e) {
          throw new CarStoreException(file.toString(), "cannot delete a leftover temp file", e);
        }
      }
    }
    return removed;
  }

  @Override
  public void close() {
    closed = true;
    channels.close();
  }

  private void fsyncDirectory() throws IOException {
    fsyncDirectory(dir);
  }

  private void fsyncDirectory(Path d) throws IOException {
    try (FileChannel channel = hooks.opened(d, FileChannel.open(d, StandardOpenOption.READ))) {
      channel.force(true);
    }
    hooks.directorySynced(d);
  }

  private List<Path> files() {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    } catch (IOException e) {
      throw new CarStoreException(dir.toString(), "cannot list the CAR directory", e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new CarStoreException(dir.toString(), "the store is closed", null);
    }
  }

  static byte[] randomBytes() {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Best effort: a leftover temp file is ignored by list() and removed at start-up.
    }
  }

  /** Whether writes are fsynced (the file and then the directory). */
  public boolean fsync() {
    return fsync;
  }

  /** Test hook: sees every byte this store reads from a file (CARs and index files). */
  interface ReadHooks {
    ReadHooks NONE = (file, bytes) -> {};

    void read(Path file, long bytes);
  }

  /** Fault-injection and observation points for tests. */
  interface WriteHooks {
    WriteHooks NONE = new WriteHooks() {};

    /**
     * May wrap a channel the store opens to write: the temp file of a new CAR, and the directory it
     * fsyncs (a test records the writes and forces through it).
     */
    default FileChannel opened(Path file, FileChannel channel) throws IOException {
      return channel;
    }

    /** Runs once the temp file has its final name (or was found to be there already). */
    default void afterMove(Path temp, Path target) throws IOException {}

    /** May wrap the stream the CAR's bytes go to (e.g. to fail as a full disk would). */
    default OutputStream tempOpened(Path temp, OutputStream out) throws IOException {
      return out;
    }

    /** Runs after the temp file is complete (and fsynced) and before it takes its final name. */
    default void beforeMove(Path temp, Path target) throws IOException {}

    /** Runs after a directory was fsynced (so that a new entry in it survives a crash). */
    default void directorySynced(Path dir) {}
  }
}
