package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.util.List;

/**
 * Receives a CAR as {@link CarReader#read} streams it: the header's roots first, then every section
 * in file order (duplicates included), each block already verified against its CID. A later
 * section, or the checks at the end of the file, can still fail the read: treat what was received
 * as valid only once {@code read} returns.
 */
@FunctionalInterface
public interface CarVisitor {
  default void header(List<Cid> roots) {}

  /**
   * One block.
   *
   * @param bytes the block's bytes, a fresh array the visitor may keep
   * @param offset where those bytes start in the file
   */
  void block(Cid cid, byte[] bytes, long offset);
}
