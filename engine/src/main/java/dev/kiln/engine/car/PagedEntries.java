package dev.kiln.engine.car;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * A CAR's index entries left in its index file: the header (directory and Bloom filter) on the
 * heap, about 1.5 bytes a block; a lookup reads and checks the one page its key can be in.
 *
 * <p>A page that fails its checks means the file was damaged after it was opened: the index is
 * rebuilt from the CAR (which reads and verifies every byte, and writes the file again), once,
 * and every later lookup uses the rebuilt entries. A CAR that is damaged too fails that rebuild,
 * and the lookup reports it.
 */
final class PagedEntries implements CarIndex.Entries {
  /** Reads bytes of the index file at an offset. */
  interface Pages {
    void read(byte[] into, long offset) throws IOException;
  }

  private final CarIndexFile.Header header;
  private final Pages pages;
  private final Supplier<CarIndex> rebuild;
  private final String file;
  private volatile CarIndex rebuilt;

  PagedEntries(CarIndexFile.Header header, Pages pages, Supplier<CarIndex> rebuild, String file) {
    this.header = header;
    this.pages = pages;
    this.rebuild = rebuild;
    this.file = file;
  }

  @Override
  public int count() {
    return header.count();
  }

  @Override
  public BlockLocation find(byte[] key) {
    CarIndex repaired = rebuilt;
    if (repaired != null) {
      return repaired.find(keyOf(key));
    }
    if (!header.mayHold(key)) {
      return null;
    }
    int page = header.pageOf(key);
    if (page < 0) {
      return null;
    }
    byte[] bytes;
    try {
      bytes = page(page);
    } catch (CarIndexFile.Invalid e) {
      return repair().find(keyOf(key));
    }
    int i = CarIndex.search(bytes, 0, header.entriesIn(page), CarIndexFile.ENTRY_BYTES, key);
    return i < 0 ? null : location(bytes, i);
  }

  @Override
  public void forEach(CarIndex.EntryVisitor visitor) {
    int visited = 0;
    for (int page = 0; page < header.pages() && rebuilt == null; page++) {
      byte[] bytes;
      try {
        bytes = page(page);
      } catch (CarIndexFile.Invalid e) {
        repair();
        break;
      }
      for (int i = 0; i < header.entriesIn(page); i++) {
        BlockLocation at = location(bytes, i);
        visitor.visit(bytes, i * CarIndexFile.ENTRY_BYTES, at.offset(), at.length());
        visited++;
      }
    }
    CarIndex repaired = rebuilt;
    if (repaired != null) {
      // Same entries in the same order: go on from where the damaged page stopped the walk.
      int[] i = {0};
      int from = visited;
      repaired.forEachEntry((keys, at, offset, length) -> {
        if (i[0]++ >= from) {
          visitor.visit(keys, at, offset, length);
        }
      });
    }
  }

  /**
   * Reads every page without repairing anything: the first problem, or null. For
   * {@link FileCarStore#indexFileProblem}, which reports rather than mends.
   */
  String problem() {
    for (int page = 0; page < header.pages(); page++) {
      try {
        page(page);
      } catch (CarIndexFile.Invalid e) {
        return e.getMessage();
      }
    }
    return null;
  }

  @Override
  public long heapBytes() {
    return 64 + header.directory().length + header.bloom().length * 8L;
  }

  private byte[] page(int page) throws CarIndexFile.Invalid {
    byte[] bytes = new byte[header.entriesIn(page) * CarIndexFile.ENTRY_BYTES + 4];
    try {
      pages.read(bytes, header.pageStart(page));
    } catch (IOException e) {
      throw new CarStoreException(file, "cannot read page " + page + " of the index file", e);
    }
    return CarIndexFile.checkPage(header, page, bytes);
  }

  private synchronized CarIndex repair() {
    if (rebuilt == null) {
      rebuilt = rebuild.get();
    }
    return rebuilt;
  }

  private static BlockLocation location(byte[] page, int i) {
    int at = i * CarIndexFile.ENTRY_BYTES + CarIndex.KEY_BYTES;
    long offset = java.nio.ByteBuffer.wrap(page).getLong(at);
    int length = java.nio.ByteBuffer.wrap(page).getInt(at + 8);
    return new BlockLocation(offset, length);
  }

  private static CarIndex.Key keyOf(byte[] key) {
    return CarIndex.Key.ofBytes(key);
  }
}
