package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
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

  /**
   * The CAR's index, for reading its blocks. A store may load an index it persisted (a
   * {@link FileCarStore} does) rather than read the CAR; blocks are checked against their CIDs on
   * every read either way, and {@link #check} reads everything.
   */
  CarIndex open(Cid car);

  /**
   * Reads the whole CAR, verifies every block and the file against {@code car}, builds its index
   * from what it read. The default is {@link #open}, right for stores whose open does exactly this.
   */
  default CarIndex check(Cid car) {
    return open(car);
  }

  /** Reads one block at a known place, verified against its CID. */
  Block read(Cid car, Cid block, BlockLocation at);

  /**
   * Reads several blocks of one CAR, {@code blocks.get(i)} at {@code at.get(i)}, each verified
   * against its CID, returned in the order asked. A store may read nearby blocks with one read;
   * the default reads them one by one.
   */
  default List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    return readOneByOne(this, car, blocks, at);
  }

  /** {@code store.read} of each block in turn: for wrappers whose every block read must pass through {@code read}. */
  static List<Block> readOneByOne(CarStore store, Cid car, List<Cid> blocks, List<BlockLocation> at) {
    if (blocks.size() != at.size()) {
      throw new IllegalArgumentException(blocks.size() + " blocks but " + at.size() + " locations");
    }
    List<Block> out = new ArrayList<>(blocks.size());
    for (int i = 0; i < blocks.size(); i++) {
      out.add(store.read(car, blocks.get(i), at.get(i)));
    }
    return out;
  }

  /**
   * For {@code kiln verify}: what the index this store keeps of the CAR (the one {@link #open} loads
   * instead of reading the CAR) says against {@code truth}, the index {@link #check} built from the
   * CAR's bytes. Null when it is right, or when the store keeps none; {@code "missing"} when it is gone;
   * else a sentence naming where the stored index is and what is wrong with it.
   */
  default String storedIndexProblem(Cid car, CarIndex truth) {
    return null;
  }

  boolean exists(Cid car);

  /** Every CAR the store holds, in CID order (unfinished writes are not CARs). */
  List<Cid> list();

  /** Removes a CAR; removing one that is not there does nothing. */
  void delete(Cid car);

  /** The CAR's size in bytes. */
  long size(Cid car);

  /**
   * Removes what writes that never finished left behind (a crash mid-write); called at start-up
   * before anything else uses the store. Returns how many it removed.
   */
  default int removeTempFiles() {
    return 0;
  }

  @Override
  void close();
}
