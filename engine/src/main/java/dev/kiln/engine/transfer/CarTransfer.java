package dev.kiln.engine.transfer;

import dev.kiln.engine.block.BlockGraph;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.CidSet;
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
import java.util.List;

/** A database as one CARv1 file, out and in. Blocking: run on the IO dispatcher. */
public final class CarTransfer {
  private static final Block EMPTY_TREE = dev.kiln.engine.tree.ProllyTree.empty().newBlocks().get(0);

  private CarTransfer() {}

  /**
   * What an import file holds once checked: the head commit, its roots, its block, and every block
   * below it, read from the file (or, for an export of format 1, built by the migration) only as
   * {@code blocks} is iterated. Neither the blocks' bytes nor the new trees are held, so a large
   * export is installed in bounded memory; iterating holds the CIDs met, one compact set.
   */
  public record Loaded(Cid root, CommitRoots roots, Block commit, Iterable<Block> blocks) {}

  /**
   * Writes every block reachable from {@code head} to {@code file}, the head commit as the CAR's
   * root and its last section (as Kiln writes its own CARs). Written to a temporary file, fsynced
   * and renamed, so a failed export leaves no partial file under the name.
   */
  public static Exported export(BlockSource src, Cid head, Path file) {
    if (head == null) {
      throw new KilnException(ErrorCode.NOT_FOUND, "the database has no commit yet: nothing to export");
    }
    // streamed: blocks go to the file as the walk reads them, and the walk keeps CIDs, not bytes
    long[] bytes = {0};
    Iterable<Block> walk = BlockGraph.walk(src, head, cid -> false, new CidSet());
    Iterable<Block> counted = () -> new java.util.Iterator<>() {
      private final java.util.Iterator<Block> blocks = walk.iterator();

      @Override
      public boolean hasNext() {
        return blocks.hasNext();
      }

      @Override
      public Block next() {
        Block b = blocks.next();
        bytes[0] += b.size();
        return b;
      }
    };
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    CarIndex written;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
           OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
        written = CarWriter.write(List.of(head), counted, out);
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new Exported(file.toString(), head.toString(), written.blockCount(), Files.size(file), bytes[0]);
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
   * Checks an export: one root, a Kiln commit block, every block verified against its CID as it is
   * read (one streaming pass by {@link CarReader}, keeping each block's place in the file, never its
   * bytes), then every block the commit reaches present (a walk from the commit, reading each block
   * again, that keeps only the CIDs it met). Blocks the commit does not reach are left out. The
   * blocks are read a third time, verified again, as the commit writes them (a file changed in
   * between fails that write, and nothing is stored). Anything else is an
   * {@link ErrorCode#INVALID_DOCUMENT} naming the file and what is wrong.
   */
  public static Loaded load(Path file) {
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
          if (roots.get(0).contains(cid)) {
            commitBlock[0] = block; // the one block kept: it decides the rest
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
    FileBlocks file1 = new FileBlocks(file, index, head);
    try {
      for (Block ignored : reachable(file1, root)) {
        // read and verified again; the walk fails on the first block missing
      }
      if (format1) {
        // an export of an older Kiln: imported in the current commit format. The migration's first
        // pass runs here (it reads the old trees once); its second runs as the blocks are written.
        FormatMigration.Migrated migrated = FormatMigration.migrate(file1, head);
        return new Loaded(migrated.commit().cid(), migrated.roots(), migrated.commit(),
            () -> file1.closingAtEnd(new WithFileBlocks(migrated.blocks().iterator(), file1)));
      }
    } catch (MissingBlockException e) {
      throw refused(name, "its graph is incomplete: no block " + e.cid() + " is linked from the commit but not in"
          + " the file", e);
    } catch (java.io.UncheckedIOException | CorruptBlockException | dev.kiln.engine.block.DagCborException e) {
      throw refused(name, e.getMessage(), e);
    } finally {
      file1.close();
    }
    return new Loaded(root, commit, head, () -> file1.closingAtEnd(reachable(file1, root).iterator()));
  }

  /**
   * Every block reachable from {@code root} in the file, each once, parents first, read one at a
   * time (an export's blocks may be large: {@link BlockGraph#walk} reads a batch at once). Holds one
   * block, the CIDs still to read and the CIDs met.
   */
  private static Iterable<Block> reachable(FileBlocks file, Cid root) {
    return () -> new java.util.Iterator<>() {
      private final CidSet seen = new CidSet();
      private final java.util.ArrayDeque<Cid> todo = new java.util.ArrayDeque<>();
      private final List<Cid> links = new ArrayList<>();

      {
        seen.add(root);
        todo.push(root);
      }

      @Override
      public boolean hasNext() {
        return !todo.isEmpty();
      }

      @Override
      public Block next() {
        if (todo.isEmpty()) {
          throw new java.util.NoSuchElementException();
        }
        Block block = file.get(todo.pop());
        if (BlockGraph.mayHaveLinks(block)) {
          links.clear();
          BlockGraph.collectLinks(block.decode(), links);
          for (int i = links.size() - 1; i >= 0; i--) {
            if (seen.add(links.get(i))) {
              todo.push(links.get(i));
            }
          }
        }
        return block;
      }
    };
  }

  /**
   * The migrated blocks, each preceded by the blocks it links to that the migration does not make:
   * the documents (with whatever they link to), read from the file. A block given twice (a node the
   * old and new trees share) is written once by the CAR writer.
   */
  private static final class WithFileBlocks implements java.util.Iterator<Block> {
    private final java.util.Iterator<Block> migrated;
    private final FileBlocks file;
    private final java.util.ArrayDeque<Block> ready = new java.util.ArrayDeque<>();
    private final List<Cid> links = new ArrayList<>();

    WithFileBlocks(java.util.Iterator<Block> migrated, FileBlocks file) {
      this.migrated = migrated;
      this.file = file;
    }

    @Override
    public boolean hasNext() {
      if (ready.isEmpty() && migrated.hasNext()) {
        Block block = migrated.next();
        if (BlockGraph.mayHaveLinks(block)) {
          links.clear();
          BlockGraph.collectLinks(block.decode(), links);
          for (Cid link : links) {
            if (file.stores(link)) {
              reachable(file, link).forEach(ready::add); // a document: one block, or a few
            }
          }
        }
        ready.add(block);
      }
      return !ready.isEmpty();
    }

    @Override
    public Block next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return ready.poll();
    }
  }

  /**
   * The blocks of a checked export, read from the file when asked for and verified again: the
   * file's blocks, the empty tree when the file left it out, and the commit. One channel stays open
   * across reads, closed at the end of each pass (and by the garbage collector when a pass is
   * abandoned).
   */
  private static final class FileBlocks implements BlockSource {
    private final Path file;
    private final CarIndex index;
    private final Block commit;
    private FileChannel ch;

    FileBlocks(Path file, CarIndex index, Block commit) {
      this.file = file;
      this.index = index;
      this.commit = commit;
    }

    /** Whether the file holds this block, or it is one a file may leave out. */
    boolean stores(Cid cid) {
      return index.contains(cid) || cid.equals(EMPTY_TREE.cid());
    }

    @Override
    public Block get(Cid cid) {
      if (commit != null && cid.equals(commit.cid())) {
        return commit;
      }
      if (!index.contains(cid)) {
        if (cid.equals(EMPTY_TREE.cid())) {
          return EMPTY_TREE; // an empty tree need not be stored: its one node is known
        }
        throw new MissingBlockException(cid, file.toString());
      }
      try {
        if (ch == null) {
          ch = FileChannel.open(file, StandardOpenOption.READ);
        }
        return read(cid);
      } catch (IOException e) {
        close();
        throw new java.io.UncheckedIOException("cannot read " + file + " again: " + e.getMessage(), e);
      }
    }

    private Block read(Cid cid) throws IOException {
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

    /** {@code blocks}, closing the file when they end or fail. */
    java.util.Iterator<Block> closingAtEnd(java.util.Iterator<Block> blocks) {
      return new java.util.Iterator<>() {
        @Override
        public boolean hasNext() {
          try {
            if (blocks.hasNext()) {
              return true;
            }
          } catch (RuntimeException e) {
            close();
            throw e;
          }
          close();
          return false;
        }

        @Override
        public Block next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return blocks.next();
        }
      };
    }

    void close() {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // read only: nothing is lost
        }
        ch = null;
      }
    }
  }

  private static KilnException refused(String name, String why, Throwable cause) {
    return new KilnException(ErrorCode.INVALID_DOCUMENT, "cannot import " + name + ": " + why
        + "; nothing was stored", cause);
  }
}
