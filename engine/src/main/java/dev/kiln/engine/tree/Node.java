package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.DagCbor;
import dev.kiln.engine.block.DagCborException;
import dev.kiln.protocol.Cid;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One decoded tree node and its block: {@code {"k": [key bytes…], "l": level, "v": [values…]}}.
 * A leaf (level 0) holds the tree's entries; a branch holds one entry per child, the child's first
 * key and its CID. Nodes are immutable.
 */
final class Node {
  static final String KEYS = "k";
  static final String LEVEL = "l";
  static final String VALUES = "v";
  /** Levels are hashed as one byte; a tree of nodes of 6 or more entries never gets near this. */
  static final int MAX_LEVEL = 255;

  final int level;
  final byte[][] keys;
  final Object[] values;
  final Block block;

  private Node(int level, byte[][] keys, Object[] values, Block block) {
    this.level = level;
    this.keys = keys;
    this.values = values;
    this.block = block;
  }

  Cid cid() {
    return block.cid();
  }

  int size() {
    return keys.length;
  }

  boolean isLeaf() {
    return level == 0;
  }

  Cid childCid(int i) {
    return (Cid) values[i];
  }

  /** Encodes a node; the caller has checked that keys ascend and values are not null. */
  static Node create(int level, List<byte[]> keys, List<Object> values) {
    byte[][] k = keys.toArray(new byte[0][]);
    Object[] v = values.toArray();
    Map<String, Object> map = new LinkedHashMap<>(4);
    map.put(KEYS, Arrays.asList((Object[]) k));
    map.put(LEVEL, (long) level);
    map.put(VALUES, Arrays.asList(v));
    Block block;
    try {
      block = Block.encode(map);
    } catch (DagCborException e) {
      throw blameValue(k, v, e);
    }
    return new Node(level, k, v, block);
  }

  /** Finds which value could not be encoded, so the error names its key. */
  private static IllegalArgumentException blameValue(byte[][] keys, Object[] values, DagCborException e) {
    for (int i = 0; i < values.length; i++) {
      try {
        DagCbor.encode(values[i]);
      } catch (DagCborException bad) {
        return new IllegalArgumentException(
            "value for key " + Keys.show(keys[i]) + " is not an IPLD data model value: " + bad.getMessage(), bad);
      }
    }
    return e;
  }

  /** Reads a block as a node, checking every rule of the format. */
  static Node decode(Block block, String where) {
    Cid cid = block.cid();
    if (cid.codec() != Cid.DAG_CBOR) {
      throw corrupt(cid, where, "a raw block, not a DAG-CBOR tree node");
    }
    Object decoded;
    try {
      decoded = DagCbor.decode(block.bytes());
    } catch (DagCborException e) {
      throw new CorruptTreeException(cid, "not a tree node: " + cid + " (" + where + "): " + e.getMessage(), e);
    }
    if (!(decoded instanceof Map<?, ?> map)) {
      throw corrupt(cid, where, "expected a map {k, l, v}, found " + kind(decoded));
    }
    if (map.size() != 3 || !map.containsKey(KEYS) || !map.containsKey(LEVEL) || !map.containsKey(VALUES)) {
      throw corrupt(cid, where, "expected exactly the fields k, l, v, found " + map.keySet());
    }
    if (!(map.get(LEVEL) instanceof Long l) || l < 0 || l > MAX_LEVEL) {
      throw corrupt(cid, where, "field l must be a level 0.." + MAX_LEVEL + ", found " + IpldValues.show(map.get(LEVEL)));
    }
    int level = l.intValue();
    if (!(map.get(KEYS) instanceof List<?> keyList)) {
      throw corrupt(cid, where, "field k must be a list, found " + kind(map.get(KEYS)));
    }
    if (!(map.get(VALUES) instanceof List<?> valueList)) {
      throw corrupt(cid, where, "field v must be a list, found " + kind(map.get(VALUES)));
    }
    if (keyList.size() != valueList.size()) {
      throw corrupt(cid, where, keyList.size() + " keys but " + valueList.size() + " values");
    }
    int n = keyList.size();
    if (level > 0 && n == 0) {
      throw corrupt(cid, where, "a branch (level " + level + ") with no children");
    }
    byte[][] keys = new byte[n][];
    Object[] values = valueList.toArray();
    for (int i = 0; i < n; i++) {
      if (!(keyList.get(i) instanceof byte[] key)) {
        throw corrupt(cid, where, "key " + i + " must be bytes, found " + kind(keyList.get(i)));
      }
      if (i > 0 && ProllyTree.KEY_ORDER.compare(keys[i - 1], key) >= 0) {
        throw corrupt(cid, where, "key " + i + " " + Keys.show(key) + " does not sort after key " + (i - 1)
            + " " + Keys.show(keys[i - 1]));
      }
      keys[i] = key;
      if (values[i] == null) {
        throw corrupt(cid, where, "value " + i + " is null");
      }
      if (level > 0 && !(values[i] instanceof Cid child && child.codec() == Cid.DAG_CBOR)) {
        throw corrupt(cid, where, "branch value " + i + " must be a link to a DAG-CBOR node, found "
            + IpldValues.show(values[i]));
      }
    }
    return new Node(level, keys, values, block);
  }

  static CorruptTreeException corrupt(Cid cid, String where, String what) {
    return new CorruptTreeException(cid, "not a valid tree node: " + cid + " (" + where + "): " + what);
  }

  private static String kind(Object o) {
    return o == null ? "null" : o instanceof byte[] ? "bytes" : o.getClass().getSimpleName();
  }

  /** Index of the key, or {@code -(insertion point) - 1}. */
  int search(byte[] key) {
    return Arrays.binarySearch(keys, key, ProllyTree.KEY_ORDER);
  }

  /** Index of the last key at or below {@code key}, or -1 when every key is above it. */
  int lastAtOrBelow(byte[] key) {
    int i = search(key);
    return i >= 0 ? i : -i - 2;
  }

  /** Index of the last key strictly below {@code key}, or -1. */
  int lastBelow(byte[] key) {
    int i = search(key);
    return i >= 0 ? i - 1 : -i - 2;
  }

  /** Index of the first key at or above {@code key} (size when none). */
  int firstAtOrAbove(byte[] key) {
    int i = search(key);
    return i >= 0 ? i : -i - 1;
  }

  /** Index of the first key strictly above {@code key} (size when none). */
  int firstAbove(byte[] key) {
    int i = search(key);
    return i >= 0 ? i + 1 : -i - 1;
  }

  /** The child to descend into for {@code key}: the last whose first key is at or below it, else the first. */
  int childFor(byte[] key) {
    return Math.max(0, lastAtOrBelow(key));
  }
}
