package dev.kiln.engine.tree;

import dev.kiln.engine.block.DagCbor;
import dev.kiln.engine.block.DagCborException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Equality of IPLD data model values as Java objects, matching what their DAG-CBOR encodings
 * would say: integers by numeric value whatever their boxed type, floats by their 64-bit pattern,
 * byte arrays by content, maps regardless of entry order. Used to tell whether a value changed.
 */
final class IpldValues {
  private IpldValues() {}

  static boolean equal(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null) {
      return false;
    }
    if (a instanceof byte[] x) {
      return b instanceof byte[] y && Arrays.equals(x, y);
    }
    if (isInteger(a)) {
      return isInteger(b) && bigInteger(a).equals(bigInteger(b));
    }
    if (a instanceof Double || a instanceof Float) {
      return (b instanceof Double || b instanceof Float)
          && Double.doubleToRawLongBits(((Number) a).doubleValue())
              == Double.doubleToRawLongBits(((Number) b).doubleValue());
    }
    if (a instanceof List<?> x) {
      if (!(b instanceof List<?> y) || x.size() != y.size()) {
        return false;
      }
      var i = x.iterator();
      var j = y.iterator();
      while (i.hasNext()) {
        if (!equal(i.next(), j.next())) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> x) {
      if (!(b instanceof Map<?, ?> y) || x.size() != y.size()) {
        return false;
      }
      for (Map.Entry<?, ?> e : x.entrySet()) {
        if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  /** A hash consistent with {@link #equal}: the hash of the canonical encoding. */
  static int hash(Object value) {
    if (value == null) {
      return 0;
    }
    try {
      return Arrays.hashCode(DagCbor.encode(value));
    } catch (DagCborException e) {
      return value.hashCode();
    }
  }

  static String show(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof byte[] b) {
      return Keys.show(b);
    }
    String s = String.valueOf(value);
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }

  private static boolean isInteger(Object o) {
    return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte
        || o instanceof BigInteger;
  }

  private static BigInteger bigInteger(Object o) {
    return o instanceof BigInteger b ? b : BigInteger.valueOf(((Number) o).longValue());
  }
}
