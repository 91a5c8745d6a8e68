package dev.kiln.engine.tree;

import java.util.Arrays;

/**
 * One key and its value. Equality compares the key's bytes and the values as IPLD data (so a
 * {@code byte[]} inside a value compares by content, and {@code 1} equals {@code 1L}).
 */
public record Entry(byte[] key, Object value) {
  public Entry {
    if (key == null) {
      throw new IllegalArgumentException("Entry key must not be null");
    }
    if (value == null) {
      throw new IllegalArgumentException("Entry value must not be null (key " + Keys.show(key) + ")");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e && Arrays.equals(key, e.key) && IpldValues.equal(value, e.value);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key) * 31 + IpldValues.hash(value);
  }

  @Override
  public String toString() {
    return "Entry[" + Keys.show(key) + " = " + IpldValues.show(value) + "]";
  }
}
