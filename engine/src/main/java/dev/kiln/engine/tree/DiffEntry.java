package dev.kiln.engine.tree;

import java.util.Arrays;

/**
 * A key whose value differs between two trees: {@code before} is its value in the first tree (null
 * when the key was added), {@code after} its value in the second (null when it was removed).
 */
public record DiffEntry(byte[] key, Object before, Object after) {
  public DiffEntry {
    if (key == null) {
      throw new IllegalArgumentException("DiffEntry key must not be null");
    }
    if (before == null && after == null) {
      throw new IllegalArgumentException("DiffEntry for " + Keys.show(key) + " needs a before or an after value");
    }
  }

  public boolean isAdded() {
    return before == null;
  }

  public boolean isRemoved() {
    return after == null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DiffEntry d
        && Arrays.equals(key, d.key)
        && IpldValues.equal(before, d.before)
        && IpldValues.equal(after, d.after);
  }

  @Override
  public int hashCode() {
    return (Arrays.hashCode(key) * 31 + IpldValues.hash(before)) * 31 + IpldValues.hash(after);
  }

  @Override
  public String toString() {
    return "DiffEntry[" + Keys.show(key) + ": " + IpldValues.show(before) + " -> " + IpldValues.show(after) + "]";
  }
}
