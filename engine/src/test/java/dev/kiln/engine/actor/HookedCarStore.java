package dev.kiln.engine.actor;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A CarStore in front of another that lets a test see and hold its operations: every finished
 * write and every delete is reported on a queue, and writes or block reads can be made to wait at
 * a gate until the test opens it.
 */
final class HookedCarStore extends ForwardingCarStore {
  /** CARs whose write finished (durable), in order. */
  final BlockingQueue<Cid> written = new LinkedBlockingQueue<>();
  /** CARs opened (their index read), in order. */
  final BlockingQueue<Cid> opened = new LinkedBlockingQueue<>();
  /** CARs deleted, in order. */
  final BlockingQueue<Cid> deleted = new LinkedBlockingQueue<>();
  /** CARs deleted while deletes were {@link #forbidDeletes() forbidden}: each one breaks a promise. */
  final BlockingQueue<Cid> deletedWhileForbidden = new LinkedBlockingQueue<>();
  /** Threads that reached a closed gate, one token each. */
  final BlockingQueue<String> waiting = new LinkedBlockingQueue<>();

  private final List<Gate> writeGates = new CopyOnWriteArrayList<>();
  private volatile Gate allWrites;
  private volatile CountDownLatch readGate;
  private volatile boolean deletesForbidden;
  private volatile boolean failReads;

  /** Holds the writes it matches until {@link #open}; a held write reports {@code label} on {@link #waiting}. */
  static final class Gate {
    private final String label;
    private final Predicate<List<Block>> which;
    private final CountDownLatch latch = new CountDownLatch(1);

    private Gate(String label, Predicate<List<Block>> which) {
      this.label = label;
      this.which = which;
    }

    void open() {
      latch.countDown();
    }
  }

  HookedCarStore(CarStore inner) {
    super(inner);
  }

  /** From now on writes wait (before anything is written) until {@link #openWrites}. */
  void holdWrites() {
    if (allWrites == null) { // held already: a second gate would replace the first, which openWrites then never opens
      allWrites = holdWrites("write", blocks -> true);
    }
  }

  void openWrites() {
    Gate g = allWrites;
    allWrites = null;
    if (g != null) {
      writeGates.remove(g);
      g.open();
    }
  }

  /** From now on the writes whose blocks match {@code which} wait until the gate opens. */
  Gate holdWrites(String label, Predicate<List<Block>> which) {
    Gate g = new Gate(label, which);
    writeGates.add(g);
    return g;
  }

  /** Holds the writes that include this block. */
  Gate holdWritesWith(String label, Cid block) {
    return holdWrites(label, blocks -> blocks.stream().anyMatch(b -> b.cid().equals(block)));
  }

  /**
   * From now on any delete is recorded in {@link #deletedWhileForbidden} until {@link #allowDeletes}:
   * a test checks at its end that nothing was deleted too early, instead of waiting a fixed time to see
   * that nothing happens.
   */
  void forbidDeletes() {
    deletesForbidden = true;
  }

  void allowDeletes() {
    deletesForbidden = false;
  }

  /** While on, every block read fails as a broken disk would. */
  void failReads(boolean on) {
    failReads = on;
  }

  /** From now on block reads wait until {@link #openReads}. */
  void holdReads() {
    readGate = new CountDownLatch(1);
  }

  void openReads() {
    CountDownLatch g = readGate;
    readGate = null;
    if (g != null) {
      g.countDown();
    }
  }

  /** Block reads that reached the store, in order. */
  final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
  private final List<BlockGate> blockGates = new CopyOnWriteArrayList<>();

  /** Holds the first {@code count} reads of one block (each reports {@code label}) until {@link BlockGate#open}. */
  static final class BlockGate {
    private final String label;
    private final Cid block;
    private final java.util.concurrent.atomic.AtomicInteger left;
    private final CountDownLatch latch = new CountDownLatch(1);

    private BlockGate(String label, Cid block, int count) {
      this.label = label;
      this.block = block;
      this.left = new java.util.concurrent.atomic.AtomicInteger(count);
    }

    void open() {
      latch.countDown();
    }
  }

  BlockGate holdReadsOf(String label, Cid block, int count) {
    BlockGate g = new BlockGate(label, block, count);
    blockGates.add(g);
    return g;
  }

  private void pass(CountDownLatch gate, String what) {
    if (gate == null || gate.getCount() == 0) {
      return;
    }
    waiting.add(what);
    try {
      if (!gate.await(InvariantKit.WAIT.toMillis() * 3, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("test gate for " + what + " never opened");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** When set, the next write fails as a full disk would, before anything is written. */
  volatile boolean failNextWrite;

  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    if (failNextWrite) {
      failNextWrite = false;
      throw new dev.kiln.engine.car.CarStoreException("hooked", "injected write failure", new java.io.IOException("disk full"));
    }
    List<Block> all = new ArrayList<>();
    blocks.forEach(all::add);
    for (Gate g : writeGates) {
      if (g.which.test(all)) {
        pass(g.latch, g.label);
      }
    }
    CarIndex car = inner.write(roots, all);
    written.add(car.car());
    return car;
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    pass(readGate, "read");
    if (failReads) {
      throw new dev.kiln.engine.car.CarStoreException(car.toString(), "injected read failure",
          new java.io.IOException("injected"));
    }
    for (BlockGate g : blockGates) {
      if (g.block.equals(block) && g.left.getAndDecrement() > 0) {
        pass(g.latch, g.label);
      }
    }
    reads.incrementAndGet();
    return inner.read(car, block, at);
  }

  @Override
  public CarIndex open(Cid car) {
    CarIndex index = inner.open(car);
    opened.add(car);
    return index;
  }

  @Override
  public void delete(Cid car) {
    if (deletesForbidden) {
      deletedWhileForbidden.add(car);
    }
    inner.delete(car);
    deleted.add(car);
  }

  /** Batch reads wait at the read gate too: one {@link #read} per block. */
  @Override
  public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    return CarStore.readOneByOne(this, car, blocks, at);
  }
}
