package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.util.List;

/**
 * Where a database's CAR files live. A CAR is named by its own CID (raw codec, sha2-256 of the
 * file), so writing the same content twice yields one CAR. Implementations are thread-safe; reads
 * in particular run from many threads at once.
 *
 * <p>Errors: {@link CarNotFoundException} for a CAR the store does not hold,
 * {@link CarFormatException} and {@link CorruptBlockException} for damaged files,
 * {@link CarStoreException} for IO failures; each names the file.
 */
public interface CarStore extends AutoCloseable {
  /**
   * Writes a CAR (see {@link CarWriter} for the layout: each root must be one of the blocks, a
   * duplicate CID is written once) and returns its index. The CAR is durable when this returns.
   * A write that fails or never finishes leaves nothing under the CAR's name.
   */
  CarIndex write(List<Cid> roots, Iterable<Block> blocks);

  /** Reads the whole CAR, verifies every block and the file against {@code car}, builds its index. */
  CarIndex open(Cid car);

  /** Reads one block at a known place, verified against its CID. */
  Block read(Cid car, Cid block, BlockLocation at);

  boolean exists(Cid car);

  /** Every CAR the store holds, in CID order (unfinished writes are not CARs). */
  List<Cid> list();

  /** Removes a CAR; removing one that is not there does nothing. */
  void delete(Cid car);

  /** The CAR's size in bytes. */
  long size(Cid car);

  @Override
  void close();
}
