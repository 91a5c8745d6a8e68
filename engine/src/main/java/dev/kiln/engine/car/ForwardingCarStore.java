package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.List;
import java.util.Objects;

/**
 * A {@link CarStore} that passes every call to another; subclasses override the calls they watch,
 * delay or break (fault injection, crash points, schedule exploration). {@code readMany} goes to the
 * wrapped store's batch read: a subclass that intercepts {@code read} and wants batch reads to pass
 * through it too overrides {@code readMany} with {@link CarStore#readOneByOne}.
 */
public abstract class ForwardingCarStore implements CarStore {
  protected final CarStore inner;

  protected ForwardingCarStore(CarStore inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    return inner.write(roots, blocks);
  }

  @Override
  public CarIndex open(Cid car) {
    return inner.open(car);
  }

  @Override
  public CarIndex check(Cid car) {
    return inner.check(car);
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    return inner.read(car, block, at);
  }

  @Override
  public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    return inner.readMany(car, blocks, at);
  }

  @Override
  public boolean exists(Cid car) {
    return inner.exists(car);
  }

  @Override
  public List<Cid> list() {
    return inner.list();
  }

  @Override
  public void delete(Cid car) {
    inner.delete(car);
  }

  @Override
  public long size(Cid car) {
    return inner.size(car);
  }

  @Override
  public int removeTempFiles() {
    return inner.removeTempFiles();
  }

  @Override
  public void close() {
    inner.close();
  }
}
