package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.HashSet;

/** Random keys, values and write histories for tree tests, all from a seed. */
final class TreeFixtures {
  /** A shape with 4 entries per node on average and a cap of 10, for deep trees from few entries. */
  static final Chunking SMALL = new Chunking(4, 10);
  /** Deep trees with a minimum node size: at least 3 entries, half the keys boundaries, a cap of 6. */
  static final Chunking SMALL_WITH_MINIMUM = new Chunking(3, 2, 6);

  private static final byte[] ALPHABET = {0x00, 0x01, 0x61, 0x62, 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff};

  private TreeFixtures() {}

  static TreeMap<byte[], Object> newModel() {
    return new TreeMap<>(ProllyTree.KEY_ORDER);
  }

  /**
   * A key: often short and from a small alphabet around the signed/unsigned edge (so keys share
   * prefixes, one key is often a prefix of another, and signed order would differ), otherwise
   * random bytes of up to 12.
   */
  static byte[] key(Random r) {
    if (r.nextInt(3) > 0) {
      byte[] k = new byte[r.nextInt(7)];
      for (int i = 0; i < k.length; i++) {
        k[i] = ALPHABET[r.nextInt(ALPHABET.length)];
      }
      return k;
    }
    byte[] k = new byte[1 + r.nextInt(12)];
    r.nextBytes(k);
    return k;
  }

  /** {@code n} distinct keys. */
  static List<byte[]> distinctKeys(Random r, int n) {
    TreeMap<byte[], Boolean> seen = new TreeMap<>(ProllyTree.KEY_ORDER);
    List<byte[]> keys = new ArrayList<>(n);
    while (keys.size() < n) {
      byte[] k = keys.size() % 2 == 0 ? key(r) : randomKey(r, 4 + r.nextInt(12));
      if (seen.put(k, Boolean.TRUE) == null) {
        keys.add(k);
      }
    }
    Collections.shuffle(keys, r);
    return keys;
  }

  static byte[] randomKey(Random r, int length) {
    byte[] k = new byte[length];
    r.nextBytes(k);
    return k;
  }

  /** A value of the kinds trees hold: a CID, a small map, a number, a string, bytes. */
  static Object value(Random r) {
    switch (r.nextInt(5)) {
      case 0:
        return Cid.dagCbor(randomKey(r, 8));
      case 1: {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rev", r.nextInt(5) + "-" + Integer.toHexString(r.nextInt()));
        m.put("seq", (long) r.nextInt(1000));
        return m;
      }
      case 2:
        return (long) r.nextInt(100);
      case 3:
        return "v" + r.nextInt(1000);
      default:
        return randomKey(r, r.nextInt(4));
    }
  }

  /** A model of {@code n} random entries. */
  static TreeMap<byte[], Object> randomModel(Random r, int n) {
    TreeMap<byte[], Object> model = newModel();
    for (byte[] k : distinctKeys(r, n)) {
      model.put(k, value(r));
    }
    return model;
  }

  static List<Entry> entries(NavigableMap<byte[], Object> model) {
    List<Entry> out = new ArrayList<>(model.size());
    model.forEach((k, v) -> out.add(new Entry(k, v)));
    return out;
  }

  static <T> List<T> list(Iterator<T> it) {
    List<T> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  /** Every node block reachable from the root. */
  static Set<Cid> reachable(MemoryBlocks src, Cid root) {
    Set<Cid> cids = new HashSet<>();
    ProllyTree.walk(src, root, b -> cids.add(b.cid()));
    return cids;
  }

  static Set<Cid> cids(List<Block> blocks) {
    Set<Cid> cids = new HashSet<>();
    blocks.forEach(b -> cids.add(b.cid()));
    return cids;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
