package dev.kiln.engine.transfer;

import dev.kiln.engine.block.BlockGraph;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarException;
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

  /** What an import file holds once checked: the head commit, its roots and every block below it (the commit last). */
  public record Loaded(Cid root, CommitRoots roots, List<Block> blocks) {}

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
   * Reads an export: one root, a Kiln commit block, every block verified against its CID, and every
   * block the commit reaches present (blocks it does not reach are left out). Anything else is an
   * {@link ErrorCode#INVALID_DOCUMENT} naming the file and what is wrong.
   */
  public static Loaded load(Path file) {
    Map<Cid, Block> all = new HashMap<>();
    List<List<Cid>> roots = new ArrayList<>();
    String name = file.toString();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CarReader.read(name, in, new CarVisitor() {
        @Override
        public void header(List<Cid> r) {
          roots.add(r);
        }

        @Override
        public void block(Cid cid, byte[] bytes, long offset) {
          all.put(cid, Block.verified(cid, bytes, name + " at offset " + offset));
        }
      });
    } catch (IOException e) {
      throw refused(name, "it cannot be read: " + e.getMessage(), e);
    } catch (CarException | CorruptBlockException e) {
      throw refused(name, e.getMessage(), e);
    }
    if (roots.isEmpty() || roots.get(0).size() != 1) {
      throw refused(name, "an export has exactly one root, the head commit; this one has "
          + (roots.isEmpty() ? "none" : roots.get(0).size()), null);
    }
    Cid root = roots.get(0).get(0);
    Block head = all.get(root);
    CommitRoots commit = null;
    boolean format1 = head != null && FormatMigration.isFormat1(head);
    try {
      if (!format1) {
        commit = CommitRoots.fromBlock(head);
      }
    } catch (CorruptBlockException e) {
      throw refused(name, "its root " + root + " is not a Kiln commit block", e);
    }
    BlockSource inFile = cid -> {
      Block b = all.get(cid);
      if (b == null && cid.equals(EMPTY_TREE.cid())) {
        return EMPTY_TREE; // an empty tree need not be stored: its one node is known
      }
      if (b == null) {
        throw new MissingBlockException(cid, name);
      }
      return b;
    };
    List<Block> blocks;
    try {
      blocks = new ArrayList<>(BlockGraph.reachable(inFile, root));
    } catch (MissingBlockException e) {
      throw refused(name, "its graph is incomplete: " + e.getMessage().replace("missing block: ", "no block ")
          + " is linked from the commit but not in the file", e);
    }
    if (format1) {
      // an export of an older Kiln: imported in the current commit format
      FormatMigration.Migrated migrated = FormatMigration.migrate(inFile, head);
      return new Loaded(migrated.commit().cid(), migrated.roots(), migrated.blocks());
    }
    blocks.add(blocks.remove(0));
    return new Loaded(root, commit, blocks);
  }

  private static KilnException refused(String name, String why, Throwable cause) {
    return new KilnException(ErrorCode.INVALID_DOCUMENT, "cannot import " + name + ": " + why
        + "; nothing was stored", cause);
  }
}
