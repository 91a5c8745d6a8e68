package dev.kiln.engine.car;

/**
 * Where a block's bytes sit inside one CAR file: {@code length} bytes starting at {@code offset}
 * (the block's own bytes, after the section's length varint and CID).
 */
public record BlockLocation(long offset, int length) {
  public BlockLocation {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("block location must not be negative: offset " + offset + ", length " + length);
    }
  }
}
