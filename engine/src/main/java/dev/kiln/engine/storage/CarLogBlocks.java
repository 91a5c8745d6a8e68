package dev.kiln.engine.storage;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import java.util.List;

/**
 * Reads blocks of one snapshot: from the shared cache, else from the newest CAR of the CarLog
 * that holds the block (every read from a file is checked against the CID by the store).
 * Blocks are immutable and addressed by content, so one cache serves every snapshot.
 */
public final class CarLogBlocks implements BlockSource {
  private static final Block EMPTY_TREE = ProllyTree.empty().newBlocks().get(0);

  private final CarStore store;
  private final Snapshot snapshot;
  private final Cache<Cid, Block> cache;
  private final boolean fillCache;
  /** The CAR of the last block read from a file; a plain field, as a stale value only costs a lookup. */
  private CarIndex lastHit;

  /**
   * @param fillCache false for a whole-database walk (compaction) so it does not push hot blocks
   *     out of the cache
   */
  public CarLogBlocks(CarStore store, Snapshot snapshot, Cache<Cid, Block> cache, boolean fillCache) {
    this.store = store;
    this.snapshot = snapshot;
    this.cache = cache;
    this.fillCache = fillCache;
  }

  @Override
  public Block get(Cid cid) {
    Block cached = cache.getIfPresent(cid);
    if (cached != null) {
      return cached;
    }
    List<CarIndex> log = snapshot.carLog();
    CarIndex.Key key = new CarIndex.Key(cid);
    // Blocks written together are read together (a tree walk, a compaction): try the CAR that held
    // the last block first. Any CAR holding a CID holds the same bytes, so the order is only speed.
    CarIndex hint = lastHit;
    if (hint != null) {
      BlockLocation at = hint.find(key);
      if (at != null) {
        return read(hint, cid, at);
      }
    }
    for (CarIndex car : log) {
      if (car == hint) {
        continue;
      }
      BlockLocation at = car.find(key);
      if (at != null) {
        lastHit = car;
        return read(car, cid, at);
      }
    }
    if (cid.equals(EMPTY_TREE.cid())) {
      return EMPTY_TREE; // a database with no commit still has its (empty) trees
    }
    throw new MissingBlockException(cid, "not in any of the " + log.size() + " CARs of generation "
        + snapshot.generation());
  }

  private Block read(CarIndex car, Cid cid, BlockLocation at) {
    Block block = store.read(car.car(), cid, at);
    if (fillCache) {
      cache.put(cid, block);
    }
    return block;
  }
}
