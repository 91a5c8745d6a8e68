package dev.kiln.engine.snapshot;

import dev.kiln.engine.snapshot.Snapshot;
import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

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
  private final BooleanSupplier cancelled;
  /** The CAR of the last block read from a file; a plain field, as a stale value only costs a lookup. */
  private CarIndex lastHit;

  /**
   * @param fillCache false for a whole-database walk (compaction) so it does not push hot blocks
   *     out of the cache
   */
  public CarLogBlocks(CarStore store, Snapshot snapshot, Cache<Cid, Block> cache, boolean fillCache) {
    this(store, snapshot, cache, fillCache, () -> false);
  }

  /**
   * @param cancelled asked before every read from a file: once true, the read stops there with a
   *     TIMEOUT error (a read past its deadline gives its thread and its lease back)
   */
  public CarLogBlocks(CarStore store, Snapshot snapshot, Cache<Cid, Block> cache, boolean fillCache,
      BooleanSupplier cancelled) {
    this.store = store;
    this.snapshot = snapshot;
    this.cache = cache;
    this.fillCache = fillCache;
    this.cancelled = cancelled;
  }

  private void checkCancelled() {
    if (cancelled.getAsBoolean()) {
      throw new KilnException(ErrorCode.TIMEOUT, "the read was cancelled: it ran past its read-timeout");
    }
  }

  @Override
  public Block get(Cid cid) {
    Block cached = cache.getIfPresent(cid);
    if (cached != null) {
      return cached;
    }
    Located found = locate(cid);
    if (found == null) {
      return emptyTreeOrMissing(cid);
    }
    return read(found.car(), cid, found.at());
  }

  /** Reads the blocks that are not cached with one {@link CarStore#readMany} per CAR. */
  @Override
  public List<Block> getAll(List<Cid> cids) {
    Block[] out = new Block[cids.size()];
    Map<CarIndex, Batch> batches = new LinkedHashMap<>();
    for (int i = 0; i < out.length; i++) {
      Cid cid = cids.get(i);
      Block cached = cache.getIfPresent(cid);
      if (cached != null) {
        out[i] = cached;
        continue;
      }
      Located found = locate(cid);
      if (found == null) {
        out[i] = emptyTreeOrMissing(cid);
        continue;
      }
      batches.computeIfAbsent(found.car(), c -> new Batch()).add(i, cid, found.at());
    }
    for (Map.Entry<CarIndex, Batch> e : batches.entrySet()) {
      checkCancelled();
      Batch batch = e.getValue();
      List<Block> blocks = store.readMany(e.getKey().car(), batch.cids, batch.at);
      for (int k = 0; k < blocks.size(); k++) {
        Block block = blocks.get(k);
        if (fillCache) {
          cache.put(block.cid(), block);
        }
        out[batch.positions.get(k)] = block;
      }
    }
    return Arrays.asList(out);
  }

  /** The blocks of one CAR in a {@link #getAll}, and where each goes in the answer. */
  private static final class Batch {
    final List<Integer> positions = new ArrayList<>();
    final List<Cid> cids = new ArrayList<>();
    final List<BlockLocation> at = new ArrayList<>();

    void add(int position, Cid cid, BlockLocation location) {
      positions.add(position);
      cids.add(cid);
      at.add(location);
    }
  }

  private record Located(CarIndex car, BlockLocation at) {}

  @Override
  public boolean holds(Cid cid) {
    return locate(cid) != null;
  }

  /** A CAR of the log that holds the block and where, or null. */
  private Located locate(Cid cid) {
    CarIndex.Key key = new CarIndex.Key(cid);
    // Blocks written together are read together (a tree walk, a compaction): try the CAR that held
    // the last block first. Any CAR holding a CID holds the same bytes, so the order is only speed.
    CarIndex hint = lastHit;
    if (hint != null) {
      BlockLocation at = hint.find(key);
      if (at != null) {
        return new Located(hint, at);
      }
    }
    for (CarIndex car : snapshot.carLog()) {
      if (car == hint) {
        continue;
      }
      BlockLocation at = car.find(key);
      if (at != null) {
        lastHit = car;
        return new Located(car, at);
      }
    }
    return null;
  }

  private Block emptyTreeOrMissing(Cid cid) {
    if (cid.equals(EMPTY_TREE.cid())) {
      return EMPTY_TREE; // a database with no commit still has its (empty) trees
    }
    throw new MissingBlockException(cid, "not in any of the " + snapshot.carLog().size()
        + " CARs of generation " + snapshot.generation());
  }

  private Block read(CarIndex car, Cid cid, BlockLocation at) {
    checkCancelled();
    Block block = store.read(car.car(), cid, at);
    if (fillCache) {
      cache.put(cid, block);
    }
    return block;
  }
}
