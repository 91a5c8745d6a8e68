package dev.kiln.testkit.crash;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.protocol.Cid;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The crash child's CAR store: the real one, except that once {@link #arm() armed} every delete
 * prints {@code DELETING <cid>}, waits a moment and only then deletes (printing {@code DELETED <cid>}),
 * so the parent can send SIGKILL while replaced CARs are being removed, between one file and the next.
 */
final class AnnouncingCarStore implements CarStore {
  private final CarStore store;
  private final PrintStream out;
  private final long pauseNanos;
  private volatile boolean armed;

  AnnouncingCarStore(CarStore store, PrintStream out, long pauseMillis) {
    this.store = store;
    this.out = out;
    this.pauseNanos = TimeUnit.MILLISECONDS.toNanos(pauseMillis);
  }

  /** From now on deletes announce themselves (start-up's orphan removal happens before, unannounced). */
  void arm() {
    armed = true;
  }

  @Override
  public void delete(Cid car) {
    if (!armed) {
      store.delete(car);
      return;
    }
    out.println(new CrashLine.Deleting(car.toString()).format());
    // Room for the parent's SIGKILL to land while the file is still there; a test aid, not a timing check.
    long until = System.nanoTime() + pauseNanos;
    for (long left = pauseNanos; left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
    store.delete(car);
    out.println(new CrashLine.Deleted(car.toString()).format());
  }

  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    return store.write(roots, blocks);
  }

  @Override
  public CarIndex open(Cid car) {
    return store.open(car);
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    return store.read(car, block, at);
  }

  @Override
  public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    return store.readMany(car, blocks, at);
  }

  @Override
  public boolean exists(Cid car) {
    return store.exists(car);
  }

  @Override
  public List<Cid> list() {
    return store.list();
  }

  @Override
  public long size(Cid car) {
    return store.size(car);
  }

  @Override
  public int removeTempFiles() {
    return store.removeTempFiles();
  }

  @Override
  public void close() {
    store.close();
  }
}
