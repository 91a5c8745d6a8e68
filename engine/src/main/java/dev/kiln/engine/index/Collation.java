package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.tree.ScanOptions;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * The collation of JSON index keys and its order-preserving byte encoding; see the package
 * documentation for the order and the byte layout. For any accepted values {@code a} and {@code b},
 * {@code Arrays.compareUnsigned(encode(a), encode(b))} has the sign of {@code compare(a, b)}.
 */
public final class Collation {

  static final byte END = 0x00;
  static final byte NULL = 0x10;
  static final byte FALSE = 0x20;
  static final byte TRUE = 0x30;
  static final byte NUMBER = 0x40;
  static final byte STRING = 0x50;
  static final byte ARRAY = 0x60;
  static final byte OBJECT = 0x70;

  private static final byte NEGATIVE = 0x01;
  private static final byte ZERO = 0x02;
  private static final byte POSITIVE = 0x03;
  private static final int EXPONENT_BIAS = 0x8000;
  /** Never the first byte of a string body (UTF-8 never uses 0xFF), so it sorts after every doc id. */
  private static final byte AFTER = (byte) 0xFF;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Collation() {}

  /** An index entry's key split into the emitted key and the document id. */
  public record IndexKey(JsonNode key, String docId) {}

  // ---------------------------------------------------------------- comparison (the reference)

  /**
   * Compares two JSON values by the collation, directly on the values.
   *
   * @throws IllegalArgumentException if either value holds something the collation refuses
   *     (NaN, an infinity, an integer beyond 64 bits, an unpaired surrogate, a non-JSON node)
   */
  public static int compare(JsonNode a, JsonNode b) {
    int ra = rank(a);
    int rb = rank(b);
    if (ra != rb) {
      return Integer.compare(ra, rb);
    }
    switch (ra) {
      case 3:
        return exactValue(a).compareTo(exactValue(b));
      case 4:
        return compareStrings(a.textValue(), b.textValue());
      case 5: {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
          int c = compare(a.get(i), b.get(i));
          if (c != 0) {
            return c;
          }
        }
        return Integer.compare(a.size(), b.size());
      }
      case 6: {
        Iterator<Map.Entry<String, JsonNode>> ia = a.fields();
        Iterator<Map.Entry<String, JsonNode>> ib = b.fields();
        while (ia.hasNext() && ib.hasNext()) {
          Map.Entry<String, JsonNode> ea = ia.next();
          Map.Entry<String, JsonNode> eb = ib.next();
          int c = compareStrings(ea.getKey(), eb.getKey());
          if (c == 0) {
            c = compare(ea.getValue(), eb.getValue());
          }
          if (c != 0) {
            return c;
          }
        }
        return Boolean.compare(ia.hasNext(), ib.hasNext());
      }
      default:
        return 0; // null, false, true: the rank is the whole value
    }
  }

  /** Code point order (the same as UTF-8 byte order), not UTF-16 unit order as String.compareTo. */
  static int compareStrings(String a, String b) {
    checkSurrogates(a);
    checkSurrogates(b);
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  private static int rank(JsonNode n) {
    Objects.requireNonNull(n, "JSON value");
    if (n.isNull()) {
      return 0;
    }
    if (n.isBoolean()) {
      return n.booleanValue() ? 2 : 1;
    }
    if (n.isNumber()) {
      return 3;
    }
    if (n.isTextual()) {
      return 4;
    }
    if (n.isArray()) {
      return 5;
    }
    if (n.isObject()) {
      return 6;
    }
    throw new IllegalArgumentException("not a JSON value an index key can hold: " + n.getNodeType());
  }

  /** The exact value of an accepted number; refuses what the collation cannot order exactly. */
  private static BigDecimal exactValue(JsonNode n) {
    Object v = acceptedNumber(n);
    return v instanceof Long l ? BigDecimal.valueOf(l) : new BigDecimal((Double) v);
  }

  /** A Long or a finite Double with the node's exact value, or an IllegalArgumentException. */
  private static Object acceptedNumber(JsonNode n) {
    if (n.isIntegralNumber()) {
      if (n.canConvertToLong()) {
        return n.longValue();
      }
      throw new IllegalArgumentException(
          "index key number " + n.asText() + " is an integer beyond 64 bits; keys hold 64-bit integers or doubles");
    }
    if (n.isFloat() || n.isDouble()) {
      double d = n.doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException(
            "index key number " + d + " is not finite; JSON has no NaN or Infinity");
      }
      return d;
    }
    BigDecimal bd = n.decimalValue();
    try {
      return bd.longValueExact();
    } catch (ArithmeticException notALong) {
      double d = bd.doubleValue();
      if (Double.isFinite(d) && new BigDecimal(d).compareTo(bd) == 0) {
        return d;
      }
      throw new IllegalArgumentException("index key number " + bd.toPlainString()
          + " is neither a 64-bit integer nor exactly a double");
    }
  }

  private static void checkSurrogates(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            "index key string has an unpaired surrogate U+" + Integer.toHexString(c).toUpperCase() + " at char " + i);
      }
    }
  }

  // ---------------------------------------------------------------- encoding

  /** The order-preserving encoding of one JSON value. */
  public static byte[] encode(JsonNode key) {
    Out out = new Out();
    write(out, key);
    return out.toArray();
  }

  private static void write(Out out, JsonNode n) {
    switch (rank(n)) {
      case 0 -> out.put(NULL);
      case 1 -> out.put(FALSE);
      case 2 -> out.put(TRUE);
      case 3 -> writeNumber(out, acceptedNumber(n));
      case 4 -> {
        out.put(STRING);
        writeStringBody(out, n.textValue());
      }
      case 5 -> {
        out.put(ARRAY);
        for (JsonNode e : n) {
          write(out, e);
        }
        out.put(END);
      }
      default -> {
        out.put(OBJECT);
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(STRING);
          writeStringBody(out, e.getKey());
          write(out, e.getValue());
        }
        out.put(END);
      }
    }
  }

  private static void writeNumber(Out out, Object v) {
    out.put(NUMBER);
    long magnitude; // unsigned
    int scale; // value = magnitude * 2^scale
    boolean negative;
    if (v instanceof Long l) {
      negative = l < 0;
      magnitude = negative ? -l : l; // Long.MIN_VALUE stays 2^63 read unsigned
      scale = 0;
    } else {
      double d = (Double) v;
      long bits = Double.doubleToRawLongBits(d);
      negative = bits < 0;
      int biased = (int) ((bits >>> 52) & 0x7FF);
      long mantissa = bits & ((1L << 52) - 1);
      magnitude = biased == 0 ? mantissa : mantissa | (1L << 52);
      scale = (biased == 0 ? 1 : biased) - 1075;
    }
    if (magnitude == 0) {
      out.put(ZERO); // covers 0, 0.0 and -0.0
      return;
    }
    int lead = 63 - Long.numberOfLeadingZeros(magnitude);
    int exponent = lead + scale;
    long fraction = lead == 0 ? 0 : magnitude << (64 - lead); // the bits after the leading 1, left-aligned
    int flip = negative ? 0xFF : 0;
    out.put(negative ? NEGATIVE : POSITIVE);
    int e = exponent + EXPONENT_BIAS;
    out.put((byte) ((e >>> 8) ^ flip));
    out.put((byte) (e ^ flip));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.put((byte) ((fraction >>> shift) ^ flip));
    }
  }

  /** Escaped UTF-8 (0x00 as 0x00 0xFF) and the terminator 0x00 0x00. */
  private static void writeStringBody(Out out, String s) {
    writeEscaped(out, s);
    out.put(END);
    out.put(END);
  }

  private static void writeEscaped(Out out, String s) {
    checkSurrogates(s);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      out.put(b);
      if (b == 0) {
        out.put(AFTER);
      }
    }
  }

  // ---------------------------------------------------------------- decoding

  /**
   * Decodes one encoded value. Numbers come back normalized: integral values within 64 bits as
   * int or long nodes (so {@code 1.0} decodes as {@code 1}), others as doubles.
   *
   * @throws IllegalArgumentException if the bytes are not exactly one value {@link #encode} writes
   */
  public static JsonNode decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    JsonNode value = read(in);
    if (in.hasRemaining()) {
      throw malformed(in.position(), "trailing bytes after the value");
    }
    requireCanonical(bytes, value);
    return value;
  }

  /** The key of an index entry: the emitted key, then the document id, sorting by key then id. */
  public static byte[] indexKey(JsonNode emitted, String docId) {
    Objects.requireNonNull(docId, "docId");
    Out out = new Out();
    write(out, emitted);
    writeStringBody(out, docId);
    return out.toArray();
  }

  /** Splits an index entry's key written by {@link #indexKey}. */
  public static IndexKey parseIndexKey(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    JsonNode key = read(in);
    String id = readStringBody(in);
    if (in.hasRemaining()) {
      throw malformed(in.position(), "trailing bytes after the document id");
    }
    requireCanonical(bytes, key, id);
    return new IndexKey(key, id);
  }

  private static void requireCanonical(byte[] bytes, JsonNode key, String... id) {
    byte[] again = id.length == 0 ? encode(key) : indexKey(key, id[0]);
    if (!Arrays.equals(bytes, again)) {
      throw new IllegalArgumentException(
          "index key bytes are not in canonical form (first difference at offset "
              + Arrays.mismatch(bytes, again) + ")");
    }
  }

  private static JsonNode read(ByteBuffer in) {
    int at = in.position();
    byte tag = next(in, "a type tag");
    switch (tag) {
      case NULL:
        return NODES.nullNode();
      case FALSE:
        return NODES.booleanNode(false);
      case TRUE:
        return NODES.booleanNode(true);
      case NUMBER:
        return readNumber(in);
      case STRING:
        return NODES.textNode(readStringBody(in));
      case ARRAY: {
        ArrayNode a = NODES.arrayNode();
        while (peek(in) != END) {
          a.add(read(in));
        }
        in.get();
        return a;
      }
      case OBJECT: {
        ObjectNode o = NODES.objectNode();
        while (peek(in) != END) {
          int keyAt = in.position();
          if (in.get() != STRING) {
            throw malformed(keyAt, "an object key that is not a string");
          }
          String k = readStringBody(in);
          if (o.has(k)) {
            throw malformed(keyAt, "a repeated object key \"" + k + "\"");
          }
          o.set(k, read(in));
        }
        in.get();
        return o;
      }
      default:
        throw malformed(at, String.format("unknown type tag 0x%02X", tag & 0xFF));
    }
  }

  private static JsonNode readNumber(ByteBuffer in) {
    int at = in.position();
    byte sign = next(in, "a number's sign");
    if (sign == ZERO) {
      return integer(0);
    }
    if (sign != NEGATIVE && sign != POSITIVE) {
      throw malformed(at, String.format("unknown number sign 0x%02X", sign & 0xFF));
    }
    if (in.remaining() < 10) {
      throw malformed(in.position(), "a truncated number");
    }
    boolean negative = sign == NEGATIVE;
    int flip = negative ? 0xFF : 0;
    int e = (((in.get() ^ flip) & 0xFF) << 8) | ((in.get() ^ flip) & 0xFF);
    int exponent = e - EXPONENT_BIAS;
    long fraction = 0;
    for (int i = 0; i < 8; i++) {
      fraction = (fraction << 8) | ((in.get() ^ flip) & 0xFF);
    }
    if (exponent >= 0 && exponent <= 63 && (exponent == 0 ? fraction : fraction << exponent) == 0) {
      long magnitude = (1L << exponent) | (exponent == 0 ? 0 : fraction >>> (64 - exponent)); // unsigned
      if (magnitude >= 0) {
        return integer(negative ? -magnitude : magnitude);
      }
      if (negative && magnitude == Long.MIN_VALUE) {
        return integer(Long.MIN_VALUE);
      }
    }
    // Not a 64-bit integer, so it was written from a double: 52 fraction bits at most.
    if ((fraction & 0xFFF) != 0 || exponent < -1074 || exponent > 1023) {
      throw malformed(at, "a number that is neither a 64-bit integer nor a double");
    }
    double d = Math.scalb((double) ((1L << 52) | (fraction >>> 12)), exponent - 52);
    return NODES.numberNode(negative ? -d : d);
  }

  /** An int node when the value fits, as Jackson's parser would give, else a long node. */
  private static JsonNode integer(long v) {
    return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
  }

  private static String readStringBody(ByteBuffer in) {
    int start = in.position();
    Out raw = new Out();
    while (true) {
      byte b = next(in, "a string's terminator");
      if (b != 0) {
        raw.put(b);
        continue;
      }
      byte escape = next(in, "a string's terminator");
      if (escape == END) {
        break;
      }
      if (escape != AFTER) {
        throw malformed(in.position() - 1, String.format("bad string escape 0x00 0x%02X", escape & 0xFF));
      }
      raw.put((byte) 0);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw.buf, 0, raw.size))
          .toString();
    } catch (CharacterCodingException e) {
      throw malformed(start, "a string that is not valid UTF-8");
    }
  }

  private static byte next(ByteBuffer in, String what) {
    if (!in.hasRemaining()) {
      throw malformed(in.position(), "end of input where " + what + " was expected");
    }
    return in.get();
  }

  private static byte peek(ByteBuffer in) {
    if (!in.hasRemaining()) {
      throw malformed(in.position(), "end of input inside an array or object");
    }
    return in.get(in.position());
  }

  private static IllegalArgumentException malformed(int offset, String what) {
    return new IllegalArgumentException("malformed index key at offset " + offset + ": " + what);
  }

  // ---------------------------------------------------------------- scan bounds

  /**
   * The bytes that begin exactly the index entries whose emitted key equals {@code emitted}
   * (encodings are self-delimiting, so no other key's entries share them).
   */
  public static byte[] prefixOf(JsonNode emitted) {
    return encode(emitted);
  }

  /** A bound every entry with key {@code <= key} sorts below, and every entry with key {@code > key} above. */
  public static byte[] after(JsonNode key) {
    byte[] e = encode(key);
    byte[] b = Arrays.copyOf(e, e.length + 1);
    b[e.length] = AFTER;
    return b;
  }

  /**
   * The bytes that begin exactly the entries whose key is a string starting with {@code prefix}
   * (by code points): the string tag and the escaped UTF-8, without the terminator.
   */
  public static byte[] stringPrefixOf(String prefix) {
    Out out = new Out();
    out.put(STRING);
    writeEscaped(out, prefix);
    return out.toArray();
  }

  /** Scan options for the entries whose key equals {@code key}, ascending by doc id. */
  public static ScanOptions keyEquals(JsonNode key) {
    return ScanOptions.withPrefix(prefixOf(key));
  }

  /** Scan options for the entries whose key is a string starting with {@code prefix}. */
  public static ScanOptions keyStartsWith(String prefix) {
    return ScanOptions.withPrefix(stringPrefixOf(prefix));
  }

  /**
   * Scan options for the entries whose key lies between {@code low} and {@code high} (each bound
   * inclusive or not; a Java {@code null} bound means unbounded, JSON null is {@code NullNode}), in
   * ascending or descending order. Descending scans start at the high bound, as ScanOptions expects.
   */
  public static ScanOptions keyRange(JsonNode low, boolean lowInclusive, JsonNode high, boolean highInclusive,
                                     boolean descending) {
    // Entries with key >= K start at encode(K); with key > K at after(K). Keys <= K end below after(K).
    byte[] lowBound = low == null ? null : lowInclusive ? encode(low) : after(low);
    byte[] highBound = high == null ? null : highInclusive ? after(high) : encode(high);
    return descending
        ? new ScanOptions(highBound, lowBound, null, 0, true, false, true)
        : new ScanOptions(lowBound, highBound, null, 0, false, true, false);
  }

  /** A growable byte buffer without the checked exceptions of ByteArrayOutputStream. */
  private static final class Out {
    byte[] buf = new byte[32];
    int size;

    void put(byte b) {
      if (size == buf.length) {
        buf = Arrays.copyOf(buf, size * 2);
      }
      buf[size++] = b;
    }

    byte[] toArray() {
      return Arrays.copyOf(buf, size);
    }
  }

}
