package dev.kiln.engine.transfer;

import dev.kiln.engine.block.BlockGraph;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarException;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarReader;
import dev.kiln.engine.car.CarVisitor;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.FormatMigration;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.Exported;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A database as one CARv1 file, out and in. Blocking: run on the IO dispatcher. */
public final class CarTransfer {
  private static final Block EMPTY_TREE = dev.kiln.engine.tree.ProllyTree.empty().newBlocks().get(0);

  private CarTransfer() {}

  /**
   * What an import file holds once checked: the head commit, its roots, its block, and every block
   * below it (the commit last), read from the file as they are iterated. None of the blocks' bytes
   * are held: a large export is installed in bounded memory.
   */
  public record Loaded(Cid root, CommitRoots roots, Block commit, List<Block> blocks) {}

  /**
   * Writes every block reachable from {@code head} to {@code file}, the head commit as the CAR's
   * root and its last section (as Kiln writes its own CARs). Written to a temporary file, fsynced
   * and renamed, so a failed export leaves no partial file under the name.
   */
  public static Exported export(BlockSource src, Cid head, Path file) {
    if (head == null) {
      throw new KilnException(ErrorCode.NOT_FOUND, "the database has no commit yet: nothing to export");
    }
    List<Block> blocks = new ArrayList<>(BlockGraph.reachable(src, head));
    blocks.add(blocks.remove(0)); // reachable lists the root first
    long bytes = 0;
    for (Block b : blocks) {
      bytes += b.size();
    }
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
           OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
        CarWriter.write(List.of(head), blocks, out);
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new Exported(file.toString(), head.toString(), blocks.size(), Files.size(file), bytes);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the temporary file stays; it does not carry the export's name
      }
      throw new KilnException(ErrorCode.STORAGE, "cannot write the export " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Checks an export in one streaming pass: one root, a Kiln commit block, every block verified
   * against its CID as it is read (by {@link CarReader}), and every block the commit reaches present
   * (blocks it does not reach are left out). Only each block's CID, place in the file and links are
   * kept, never its bytes; the blocks are read again, one at a time and verified again, when the
   * commit writes them (a file changed in between fails that write, and nothing is stored). Anything
   * else is an {@link ErrorCode#INVALID_DOCUMENT} naming the file and what is wrong.
   */
  public static Loaded load(Path file) {
    Map<Cid, List<Cid>> links = new HashMap<>();
    List<Cid> order = new ArrayList<>();
    List<List<Cid>> roots = new ArrayList<>();
    Block[] commitBlock = {null};
    String name = file.toString();
    CarIndex index;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      index = CarReader.read(name, in, new CarVisitor() {
        @Override
        public void header(List<Cid> r) {
          roots.add(r);
        }

        @Override
        public void block(Cid cid, byte[] bytes, long offset) {
          Block block = Block.verified(cid, bytes, name + " at offset " + offset);
          order.add(cid);
          if (roots.get(0).contains(cid)) {
            commitBlock[0] = block; // the one block kept: it is read first and decides the rest
          }
          if (BlockGraph.mayHaveLinks(block)) {
            List<Cid> out = new ArrayList<>();
            BlockGraph.collectLinks(block.decode(), out);
            links.put(cid, out);
          }
        }
      });
    } catch (IOException e) {
      throw refused(name, "it cannot be read: " + e.getMessage(), e);
    } catch (CarException | CorruptBlockException | dev.kiln.engine.block.DagCborException e) {
      throw refused(name, e.getMessage(), e);
    }
    if (roots.isEmpty() || roots.get(0).size() != 1) {
      throw refused(name, "an export has exactly one root, the head commit; this one has "
          + (roots.isEmpty() ? "none" : roots.get(0).size()), null);
    }
    Cid root = roots.get(0).get(0);
    Block head = commitBlock[0];
    boolean format1 = head != null && FormatMigration.isFormat1(head);
    CommitRoots commit = null;
    try {
      if (!format1) {
        commit = CommitRoots.fromBlock(head);
      }
    } catch (RuntimeException e) { // a block that is no commit, or none: CorruptBlockException and others
      throw refused(name, "its root " + root + " is not a Kiln commit block", e);
    }
    // Everything the commit reaches, found from the links noted above: each must be in the file.
    java.util.Set<Cid> reachable = new java.util.HashSet<>();
    java.util.ArrayDeque<Cid> todo = new java.util.ArrayDeque<>();
    todo.push(root);
    reachable.add(root);
    boolean emptyTree = false;
    while (!todo.isEmpty()) {
      Cid cid = todo.pop();
      if (!index.contains(cid)) {
        if (cid.equals(EMPTY_TREE.cid())) {
          emptyTree = true; // an empty tree need not be stored: its one node is known
          continue;
        }
        throw refused(name, "its graph is incomplete: no block " + cid + " is linked from the commit but not in"
            + " the file", new MissingBlockException(cid, name));
      }
      for (Cid link : links.getOrDefault(cid, List.of())) {
        if (reachable.add(link)) {
          todo.push(link);
        }
      }
    }
    List<Cid> install = new ArrayList<>(reachable.size());
    for (Cid cid : order) {
      if (!cid.equals(root) && reachable.remove(cid)) { // in file order, each once
        install.add(cid);
      }
    }
    FileBlocks blocks = new FileBlocks(file, index, install, emptyTree, head);
    if (format1) {
      // an export of an older Kiln: imported in the current commit format, its blocks read from the file
      FormatMigration.Migrated migrated = FormatMigration.migrate(blocks::read, head);
      // held in memory, as an import's blocks are installed as one list (a streaming import is not built yet)
      List<Block> migratedBlocks = new ArrayList<>();
      migrated.blocks().forEach(migratedBlocks::add);
      return new Loaded(migrated.commit().cid(), migrated.roots(), migrated.commit(), migratedBlocks);
    }
    return new Loaded(root, commit, head, blocks);
  }

  /**
   * The blocks of a checked export, read from the file when asked for, each verified again: the
   * file's blocks in file order, then the empty tree when the file left it out, then the commit.
   * Not {@link java.util.RandomAccess}: a commit holding these does not keep them in its cache.
   */
  private static final class FileBlocks extends java.util.AbstractList<Block> {
    private final Path file;
    private final CarIndex index;
    private final List<Cid> inFile;
    private final boolean emptyTree;
    private final Block commit;

    FileBlocks(Path file, CarIndex index, List<Cid> inFile, boolean emptyTree, Block commit) {
      this.file = file;
      this.index = index;
      this.inFile = inFile;
      this.emptyTree = emptyTree;
      this.commit = commit;
    }

    @Override
    public int size() {
      return inFile.size() + (emptyTree ? 1 : 0) + 1;
    }

    @Override
    public Block get(int i) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        return get(i, ch);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot read " + file + " again: " + e.getMessage(), e);
      }
    }

    /** The block with this CID, read from the file and verified (the file's blocks, the empty tree, the commit). */
    Block read(Cid cid) {
      if (cid.equals(commit.cid())) {
        return commit;
      }
      if (!index.contains(cid)) {
        if (cid.equals(EMPTY_TREE.cid())) {
          return EMPTY_TREE;
        }
        throw new MissingBlockException(cid, file.toString());
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        return read(cid, ch);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot read " + file + " again: " + e.getMessage(), e);
      }
    }

    private Block get(int i, FileChannel ch) throws IOException {
      if (i < 0 || i >= size()) {
        throw new IndexOutOfBoundsException(i);
      }
      if (i == size() - 1) {
        return commit;
      }
      if (i == inFile.size()) {
        return EMPTY_TREE;
      }
      return read(inFile.get(i), ch);
    }

    private Block read(Cid cid, FileChannel ch) throws IOException {
      dev.kiln.engine.car.BlockLocation at = index.find(cid);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(at.length());
      long pos = at.offset();
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new IOException(file + " ended at offset " + pos + ", inside block " + cid + ": it changed after it was checked");
        }
        pos += n;
      }
      return Block.verified(cid, buf.array(), file + " at offset " + at.offset());
    }

    /** One open file for a whole pass, closed at its end. */
    @Override
    public java.util.Iterator<Block> iterator() {
      return new java.util.Iterator<>() {
        private int next;
        private FileChannel ch;

        @Override
        public boolean hasNext() {
          if (next < size()) {
            return true;
          }
          close();
          return false;
        }

        @Override
        public Block next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          try {
            if (ch == null) {
              ch = FileChannel.open(file, StandardOpenOption.READ);
            }
            return get(next++, ch);
          } catch (IOException e) {
            close();
            throw new java.io.UncheckedIOException("cannot read " + file + " again: " + e.getMessage(), e);
          } catch (RuntimeException e) {
            close();
            throw e;
          }
        }

        private void close() {
          if (ch != null) {
            try {
              ch.close();
            } catch (IOException ignored) {
              // read only: nothing is lost
            }
            ch = null;
          }
        }
      };
    }
  }

  private static KilnException refused(String name, String why, Throwable cause) {
    return new KilnException(ErrorCode.INVALID_DOCUMENT, "cannot import " + name + ": " + why
        + "; nothing was stored", cause);
  }
}
