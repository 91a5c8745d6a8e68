package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * The blocks with these CIDs, in the same order, each verified. A source may read them together
   * (fewer, larger reads); the default reads them one by one.
   *
   * @throws MissingBlockException if one of them cannot be reached
   * @throws CorruptBlockException if one's stored bytes do not match its CID
   */
  /**
   * Whether the source stores this block itself, not counting what a cache still holds: a snapshot
   * answers for its CARs. The default asks {@link #get}.
   */
  default boolean holds(Cid cid) {
    try {
      get(cid);
      return true;
    } catch (MissingBlockException e) {
      return false;
    }
  }

  default List<Block> getAll(List<Cid> cids) {
    List<Block> out = new ArrayList<>(cids.size());
    for (Cid cid : cids) {
      out.add(get(cid));
    }
    return out;
  }
}
