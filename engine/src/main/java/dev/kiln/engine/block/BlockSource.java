package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;

/** Where blocks are read from: a snapshot of CAR files, a cache, or an in-memory map in tests. */
@FunctionalInterface
public interface BlockSource {
  /**
   * The block with this CID, verified against it.
   *
   * @throws MissingBlockException if no block with this CID can be reached
   * @throws CorruptBlockException if the stored bytes do not match the CID
   */
  Block get(Cid cid);
}
