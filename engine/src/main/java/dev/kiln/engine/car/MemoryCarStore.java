package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link CarStore} in memory, for tests: the same contract as {@link FileCarStore}, including
 * verification on every read. {@link #corrupt} and {@link #truncate} damage a stored CAR the way a
 * disk could, so tests can check that damage is reported.
 */
public final class MemoryCarStore implements CarStore {
  private final ConcurrentHashMap<Cid, byte[]> cars = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public MemoryCarStore() {}

  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    checkOpen();
    EncodedCar car = CarWriter.encode(roots, blocks);
    cars.putIfAbsent(car.index().car(), car.bytes());
    return car.index();
  }

  @Override
  public CarIndex open(Cid car) {
    byte[] bytes = bytes(car);
    return CarReader.index(name(car), new ByteArrayInputStream(bytes), bytes.length, car);
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    byte[] bytes = bytes(car);
    if (at.offset() + at.length() > bytes.length) {
      throw new CarFormatException(name(car), at.offset(), block, "block of " + at.length()
          + " bytes runs past the end of the file (" + bytes.length + " bytes)");
    }
    byte[] data = Arrays.copyOfRange(bytes, (int) at.offset(), (int) at.offset() + at.length());
    return Block.verified(block, data, "CAR file " + name(car) + ", block bytes at offset " + at.offset());
  }

  @Override
  public boolean exists(Cid car) {
    checkOpen();
    return cars.containsKey(car);
  }

  @Override
  public List<Cid> list() {
    checkOpen();
    List<Cid> all = new ArrayList<>(cars.keySet());
    all.sort(null);
    return all;
  }

  @Override
  public void delete(Cid car) {
    checkOpen();
    cars.remove(car);
  }

  @Override
  public long size(Cid car) {
    return bytes(car).length;
  }

  @Override
  public void close() {
    closed = true;
    cars.clear();
  }

  /** Flips bits ({@code xor}, non-zero) of one stored byte: a fault for tests. */
  public void corrupt(Cid car, long offset, int xor) {
    if ((xor & 0xFF) == 0) {
      throw new IllegalArgumentException("xor must change the byte: " + xor);
    }
    bytes(car);
    cars.computeIfPresent(car, (k, bytes) -> {
      byte[] copy = bytes.clone();
      copy[Math.toIntExact(offset)] ^= (byte) xor;
      return copy;
    });
  }

  /** Cuts a stored CAR to its first {@code length} bytes: a fault for tests. */
  public void truncate(Cid car, long length) {
    bytes(car);
    cars.computeIfPresent(car, (k, bytes) -> Arrays.copyOf(bytes, Math.toIntExact(Math.min(length, bytes.length))));
  }

  private byte[] bytes(Cid car) {
    checkOpen();
    byte[] bytes = cars.get(car);
    if (bytes == null) {
      throw new CarNotFoundException(car, name(car));
    }
    return bytes;
  }

  private static String name(Cid car) {
    return "memory:" + car + ".car";
  }

  private void checkOpen() {
    if (closed) {
      throw new CarStoreException("memory", "the store is closed", null);
    }
  }
}
