package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import dev.kiln.protocol.InvalidCidException;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict DAG-CBOR codec over the IPLD data model, held in plain Java values:
 *
 * <table>
 *   <tr><th>IPLD kind</th><th>Java (encode accepts)</th><th>Java (decode returns)</th></tr>
 *   <tr><td>null</td><td>{@code null}</td><td>{@code null}</td></tr>
 *   <tr><td>boolean</td><td>{@link Boolean}</td><td>{@link Boolean}</td></tr>
 *   <tr><td>integer</td><td>{@link Long}, {@link Integer}, {@link Short}, {@link Byte}, {@link BigInteger} in
 *       [-2^64, 2^64-1]</td><td>{@link Long}, or {@link BigInteger} outside the long range</td></tr>
 *   <tr><td>float</td><td>{@link Double}, {@link Float} (finite)</td><td>{@link Double}</td></tr>
 *   <tr><td>string</td><td>{@link String}</td><td>{@link String}</td></tr>
 *   <tr><td>bytes</td><td>{@code byte[]}</td><td>{@code byte[]}</td></tr>
 *   <tr><td>list</td><td>{@link List}</td><td>unmodifiable {@link List}</td></tr>
 *   <tr><td>map</td><td>{@link Map} with {@link String} keys</td><td>unmodifiable {@link Map} in
 *       canonical key order</td></tr>
 *   <tr><td>link</td><td>{@link Cid}</td><td>{@link Cid}</td></tr>
 * </table>
 *
 * <p>Encoding follows the DAG-CBOR rules, so equal data always gives equal bytes: map keys sorted
 * by length then bytes, the shortest integer and length forms, every float as 64 bits, links as
 * tag 42 over {@code 0x00 ++ cid}. Decoding refuses anything outside those rules (indefinite
 * lengths, other tags, undefined, NaN and infinities, shorter floats, non-minimal integers,
 * unsorted or duplicate keys, invalid UTF-8, trailing bytes), so a decoded block re-encodes to
 * exactly the bytes it came from.
 *
 * <p>It is written here rather than on Jackson's CBOR module because the decoder must reject
 * every non-canonical form, which a general CBOR parser accepts silently.
 */
public final class DagCbor {
  /** Nesting deeper than this is refused, so hostile input cannot exhaust the stack. */
  public static final int MAX_DEPTH = 512;

  static final int TAG_CID = 42;
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
  private static final BigInteger MIN_INT = TWO_64.negate();
  private static final BigInteger MAX_UINT = TWO_64.subtract(BigInteger.ONE);

  /** DAG-CBOR map key order: shorter UTF-8 first, then bytewise. */
  public static final java.util.Comparator<byte[]> KEY_ORDER =
      (a, b) -> a.length != b.length ? Integer.compare(a.length, b.length) : Arrays.compareUnsigned(a, b);

  private DagCbor() {}

  // ------------------------------------------------------------------ encode

  public static byte[] encode(Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    encode(value, out, 0);
    return out.toByteArray();
  }

  private static void encode(Object value, ByteArrayOutputStream out, int depth) {
    if (depth > MAX_DEPTH) {
      throw new DagCborException("value nests deeper than " + MAX_DEPTH + " levels");
    }
    if (value == null) {
      out.write(0xf6);
    } else if (value instanceof Boolean b) {
      out.write(b ? 0xf5 : 0xf4);
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      long v = ((Number) value).longValue();
      if (v >= 0) {
        writeHead(0, v, out);
      } else {
        writeHead(1, -1 - v, out);
      }
    } else if (value instanceof BigInteger big) {
      writeBigInteger(big, out);
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new DagCborException("DAG-CBOR cannot hold NaN or infinity: " + d);
      }
      out.write(0xfb);
      writeLong(Double.doubleToRawLongBits(d), out);
    } else if (value instanceof String s) {
      byte[] utf8 = utf8(s);
      writeHead(3, utf8.length, out);
      out.writeBytes(utf8);
    } else if (value instanceof byte[] bytes) {
      writeHead(2, bytes.length, out);
      out.writeBytes(bytes);
    } else if (value instanceof Cid cid) {
      writeHead(6, TAG_CID, out);
      writeHead(2, cid.byteLength() + 1L, out);
      out.write(0x00);
      cid.writeTo(out);
    } else if (value instanceof List<?> list) {
      writeHead(4, list.size(), out);
      for (Object item : list) {
        encode(item, out, depth + 1);
      }
    } else if (value instanceof Map<?, ?> map) {
      encodeMap(map, out, depth);
    } else {
      throw new DagCborException("not an IPLD data model value: " + value.getClass().getName());
    }
  }

  private static void encodeMap(Map<?, ?> map, ByteArrayOutputStream out, int depth) {
    int n = map.size();
    byte[][] keys = new byte[n][];
    Object[] values = new Object[n];
    Integer[] order = new Integer[n];
    int i = 0;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw new DagCborException("DAG-CBOR map keys must be strings, got "
            + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
      }
      keys[i] = utf8(key);
      values[i] = e.getValue();
      order[i] = i;
      i++;
    }
    Arrays.sort(order, (a, b) -> KEY_ORDER.compare(keys[a], keys[b]));
    writeHead(5, n, out);
    for (int k = 0; k < n; k++) {
      int idx = order[k];
      if (k > 0 && Arrays.equals(keys[idx], keys[order[k - 1]])) {
        throw new DagCborException("duplicate map key: " + new String(keys[idx], StandardCharsets.UTF_8));
      }
      writeHead(3, keys[idx].length, out);
      out.writeBytes(keys[idx]);
      encode(values[idx], out, depth + 1);
    }
  }

  private static void writeBigInteger(BigInteger big, ByteArrayOutputStream out) {
    if (big.compareTo(MIN_INT) < 0 || big.compareTo(MAX_UINT) > 0) {
      throw new DagCborException("integer out of the 64-bit DAG-CBOR range: " + big);
    }
    if (big.signum() >= 0) {
      writeHead(0, big.longValue(), out); // bits as unsigned
    } else {
      writeHead(1, BigInteger.ONE.negate().subtract(big).longValue(), out);
    }
  }

  /** Writes a major type with its argument in the shortest form; {@code arg} is unsigned. */
  private static void writeHead(int major, long arg, ByteArrayOutputStream out) {
    int mt = major << 5;
    if (Long.compareUnsigned(arg, 24) < 0) {
      out.write(mt | (int) arg);
    } else if (Long.compareUnsigned(arg, 0xFF) <= 0) {
      out.write(mt | 24);
      out.write((int) arg);
    } else if (Long.compareUnsigned(arg, 0xFFFF) <= 0) {
      out.write(mt | 25);
      out.write((int) (arg >>> 8));
      out.write((int) arg);
    } else if (Long.compareUnsigned(arg, 0xFFFF_FFFFL) <= 0) {
      out.write(mt | 26);
      for (int shift = 24; shift >= 0; shift -= 8) {
        out.write((int) (arg >>> shift));
      }
    } else {
      out.write(mt | 27);
      writeLong(arg, out);
    }
  }

  private static void writeLong(long v, ByteArrayOutputStream out) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift));
    }
  }

  private static byte[] utf8(String s) {
    CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer bb = enc.encode(CharBuffer.wrap(s));
      byte[] out = new byte[bb.remaining()];
      bb.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new DagCborException("string is not valid Unicode (lone surrogate): " + abbreviate(s), e);
    }
  }

  // ------------------------------------------------------------------ decode

  /** Decodes exactly one value that fills all of {@code bytes}. */
  public static Object decode(byte[] bytes) {
    Reader r = new Reader(bytes);
    Object value = r.value(0);
    if (r.pos != bytes.length) {
      throw new DagCborException(
          "trailing bytes: one value ends at offset " + r.pos + " of " + bytes.length);
    }
    return value;
  }

  private static final class Reader {
    private final byte[] in;
    private int pos;

    Reader(byte[] in) {
      this.in = in;
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nesting deeper than " + MAX_DEPTH + " levels");
      }
      int start = pos;
      int ib = u8();
      int major = ib >>> 5;
      int info = ib & 0x1f;
      switch (major) {
        case 0: {
          long v = argument(info, start);
          return v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
        }
        case 1: {
          long v = argument(info, start);
          return v >= 0 ? (Object) (-1 - v) : BigInteger.ONE.negate().subtract(new BigInteger(Long.toUnsignedString(v)));
        }
        case 2:
          return take(length(info, start), start);
        case 3:
          return string(length(info, start), start);
        case 4: {
          int n = count(info, start);
          List<Object> list = new ArrayList<>(Math.min(n, 1024));
          for (int i = 0; i < n; i++) {
            list.add(value(depth + 1));
          }
          return Collections.unmodifiableList(list);
        }
        case 5:
          return map(count(info, start), depth);
        case 6: {
          long tag = argument(info, start);
          if (tag != TAG_CID) {
            throw errorAt(start, "tag " + Long.toUnsignedString(tag) + " is not allowed (only tag 42, a CID)");
          }
          return link(start);
        }
        default:
          return simple(info, start);
      }
    }

    private Object simple(int info, int start) {
      switch (info) {
        case 20:
          return Boolean.FALSE;
        case 21:
          return Boolean.TRUE;
        case 22:
          return null;
        case 23:
          throw errorAt(start, "undefined is not allowed");
        case 24:
          // name the simple value itself, not the additional information that introduces it
          throw errorAt(start, "simple value " + u8() + " is not allowed");
        case 25:
        case 26:
          throw errorAt(start, "floats must be 64-bit in DAG-CBOR, found a " + (info == 25 ? 16 : 32) + "-bit float");
        case 27: {
          double d = Double.longBitsToDouble(readN(8));
          if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw errorAt(start, "NaN and infinities are not allowed");
          }
          return d;
        }
        case 28:
        case 29:
        case 30:
          throw errorAt(start, "reserved additional information " + info);
        case 31:
          throw errorAt(start, "indefinite-length 'break' is not allowed");
        default:
          throw errorAt(start, "simple value " + info + " is not allowed");
      }
    }

    private Object map(int n, int depth) {
      Map<String, Object> map = new LinkedHashMap<>(Math.min(n, 1024) * 2);
      byte[] previous = null;
      for (int i = 0; i < n; i++) {
        int keyStart = pos;
        int ib = u8();
        if (ib >>> 5 != 3) {
          throw errorAt(keyStart, "map keys must be strings, found major type " + (ib >>> 5));
        }
        int len = length(ib & 0x1f, keyStart);
        int keyBytesStart = pos;
        String key = string(len, keyStart);
        byte[] keyBytes = Arrays.copyOfRange(in, keyBytesStart, pos);
        if (previous != null) {
          int c = KEY_ORDER.compare(previous, keyBytes);
          if (c == 0) {
            throw errorAt(keyStart, "duplicate map key '" + abbreviate(key) + "'");
          }
          if (c > 0) {
            throw errorAt(keyStart, "map keys out of order: '" + abbreviate(key) + "' after '"
                + abbreviate(new String(previous, StandardCharsets.UTF_8)) + "' (length first, then bytes)");
          }
        }
        previous = keyBytes;
        map.put(key, value(depth + 1));
      }
      return Collections.unmodifiableMap(map);
    }

    private Cid link(int start) {
      int bstart = pos;
      int ib = u8();
      if (ib >>> 5 != 2) {
        throw errorAt(bstart, "tag 42 must wrap a byte string");
      }
      int len = length(ib & 0x1f, bstart);
      byte[] b = take(len, bstart);
      if (len == 0 || b[0] != 0x00) {
        throw errorAt(start, "tag 42 bytes must start with the 0x00 multibase prefix");
      }
      try {
        return Cid.fromBytes(Arrays.copyOfRange(b, 1, b.length));
      } catch (InvalidCidException e) {
        throw new DagCborException("at offset " + start + ": bad CID in tag 42: " + e.getMessage(), e);
      }
    }

    private String string(int len, int start) {
      if (len > in.length - pos) {
        throw errorAt(start, "string of " + len + " bytes runs past the end (" + (in.length - pos) + " remain)");
      }
      CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      try {
        String s = dec.decode(ByteBuffer.wrap(in, pos, len)).toString();
        pos += len;
        return s;
      } catch (CharacterCodingException e) {
        throw errorAt(start, "string is not valid UTF-8");
      }
    }

    private byte[] take(int len, int start) {
      if (len > in.length - pos) {
        throw errorAt(start, "byte string of " + len + " bytes runs past the end (" + (in.length - pos) + " remain)");
      }
      byte[] b = Arrays.copyOfRange(in, pos, pos + len);
      pos += len;
      return b;
    }

    /** A length or count that must fit in the remaining input. */
    private int length(int info, int start) {
      long n = argument(info, start);
      if (n < 0 || n > in.length - pos) {
        throw errorAt(start, "length " + Long.toUnsignedString(n) + " runs past the end (" + (in.length - pos) + " bytes remain)");
      }
      return (int) n;
    }

    /** An item count: every item takes at least one byte, so it too must fit. */
    private int count(int info, int start) {
      return length(info, start);
    }

    private long argument(int info, int start) {
      if (info < 24) {
        return info;
      }
      long v;
      switch (info) {
        case 24:
          v = u8();
          if (v < 24) {
            throw errorAt(start, "integer or length " + v + " is not in its shortest form");
          }
          return v;
        case 25:
          v = readN(2);
          if (v <= 0xFF) {
            throw errorAt(start, "integer or length " + v + " is not in its shortest form");
          }
          return v;
        case 26:
          v = readN(4);
          if (v <= 0xFFFF) {
            throw errorAt(start, "integer or length " + v + " is not in its shortest form");
          }
          return v;
        case 27:
          v = readN(8);
          if (Long.compareUnsigned(v, 0xFFFF_FFFFL) <= 0) {
            throw errorAt(start, "integer or length " + v + " is not in its shortest form");
          }
          return v;
        case 31:
          throw errorAt(start, "indefinite lengths are not allowed");
        default:
          throw errorAt(start, "reserved additional information " + info);
      }
    }

    private long readN(int n) {
      if (in.length - pos < n) {
        throw errorAt(pos, "needs " + n + " more bytes, " + (in.length - pos) + " remain");
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        v = (v << 8) | (in[pos++] & 0xFF);
      }
      return v;
    }

    private int u8() {
      if (pos >= in.length) {
        throw errorAt(pos, "unexpected end of input");
      }
      return in[pos++] & 0xFF;
    }

    private DagCborException error(String message) {
      return errorAt(pos, message);
    }

    private DagCborException errorAt(int offset, String message) {
      return new DagCborException("invalid DAG-CBOR at offset " + offset + ": " + message);
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
