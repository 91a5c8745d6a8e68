package dev.kiln.engine.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/** Test helpers for IPLD values: fixture descriptions, deep comparison, jqwik generators. */
public final class IpldValues {
  static final HexFormat HEX = HexFormat.of();
  private static final BigInteger TWO_63 = BigInteger.ONE.shiftLeft(63);
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  private IpldValues() {}

  /** Reads a JSON resource from the test classpath; the fixtures are made by tools/interop. */
  public static JsonNode fixture(String resource) {
    try (InputStream in = IpldValues.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing; see tools/interop/README.md");
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Builds the Java value of a typed description written by make-fixtures.mjs:
   * {@code {null} {bool} {int:"decimal"} {float, bits} {string} {bytes:"hex"} {list} {map:[[k, v]…]}
   * {link}}. Integers in the long range become Long, others BigInteger, as DagCbor decodes them.
   * Maps keep the fixture's key order, which is not the canonical one, so encoding must sort.
   */
  public static Object fromDescription(JsonNode d) {
    if (d.has("null")) {
      return null;
    } else if (d.has("bool")) {
      return d.get("bool").booleanValue();
    } else if (d.has("int")) {
      return integer(new BigInteger(d.get("int").asText()));
    } else if (d.has("float")) {
      return Double.longBitsToDouble(Long.parseUnsignedLong(d.get("bits").asText(), 16));
    } else if (d.has("string")) {
      return d.get("string").textValue();
    } else if (d.has("bytes")) {
      return HEX.parseHex(d.get("bytes").asText());
    } else if (d.has("list")) {
      List<Object> list = new ArrayList<>();
      d.get("list").forEach(item -> list.add(fromDescription(item)));
      return list;
    } else if (d.has("map")) {
      Map<String, Object> map = new LinkedHashMap<>();
      d.get("map").forEach(pair -> map.put(pair.get(0).textValue(), fromDescription(pair.get(1))));
      return map;
    } else if (d.has("link")) {
      return Cid.parse(d.get("link").asText());
    }
    throw new IllegalArgumentException("unknown value description: " + d);
  }

  private static Object integer(BigInteger big) {
    return big.bitLength() < 64 ? (Object) big.longValue() : big;
  }

  /** Bytes compared by content, for deep equality of IPLD values. */
  record Bytes(String hex) {}

  /**
   * A form of an IPLD value whose {@code equals} is IPLD equality: byte arrays by content,
   * integers by value whatever their Java type, floats by their bits (so -0.0 is not 0.0).
   */
  static Object comparable(Object v) {
    if (v instanceof byte[] b) {
      return new Bytes(HEX.formatHex(b));
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    } else if (v instanceof BigInteger big) {
      return integer(big);
    } else if (v instanceof Float f) {
      return f.doubleValue();
    } else if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(item -> out.add(comparable(item)));
      return out;
    } else if (v instanceof Map<?, ?> map) {
      Map<Object, Object> out = new HashMap<>();
      map.forEach((k, val) -> out.put(k, comparable(val)));
      return out;
    }
    return v; // null, Boolean, Double (equals compares bits), String, Cid
  }

  // ------------------------------------------------------------------ generators

  /** Any IPLD value Kiln can encode, nested at most {@code depth} levels. */
  public static Arbitrary<Object> values(int depth) {
    if (depth == 0) {
      return leaves();
    }
    Arbitrary<Object> inner = values(depth - 1);
    return Arbitraries.frequencyOf(
        Tuple.of(3, leaves()),
        Tuple.of(1, inner.list().ofMaxSize(4).map(l -> (Object) l)),
        Tuple.of(1, Arbitraries.maps(keys(), inner).ofMaxSize(4).map(m -> (Object) m)));
  }

  static Arbitrary<Map<String, Object>> maps(int depth) {
    return Arbitraries.maps(keys(), values(depth - 1)).ofMinSize(1).ofMaxSize(8);
  }

  static Arbitrary<Object> leaves() {
    return Arbitraries.oneOf(
            Arbitraries.of(true, false).map(b -> (Object) b),
            Arbitraries.longs().map(l -> (Object) l),
            Arbitraries.oneOf(
                    Arbitraries.bigIntegers().between(TWO_63, TWO_64.subtract(BigInteger.ONE)),
                    Arbitraries.bigIntegers().between(TWO_64.negate(), TWO_63.negate().subtract(BigInteger.ONE)))
                .map(b -> (Object) b),
            Arbitraries.oneOf(
                    Arbitraries.doubles(),
                    Arbitraries.of(0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1e300))
                .map(d -> (Object) d),
            strings().map(s -> (Object) s),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(b -> (Object) b),
            cids().map(c -> (Object) c))
        .injectNull(0.05);
  }

  /** Unicode text without lone surrogates (DAG-CBOR strings are UTF-8), outside the BMP too. */
  static Arbitrary<String> strings() {
    Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.integers().between(0x20, 0x7e)),
        Tuple.of(1, Arbitraries.integers().between(0, 0x10ffff).filter(cp -> cp < 0xd800 || cp > 0xdfff)));
    return codePoint.list().ofMaxSize(12).map(cps -> {
      StringBuilder sb = new StringBuilder();
      cps.forEach(sb::appendCodePoint);
      return sb.toString();
    });
  }

  /** Short keys from a small alphabet, so maps mix lengths and share prefixes. */
  static Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withChars("abAé").ofMaxLength(3),
        strings());
  }

  static Arbitrary<Cid> cids() {
    return Combinators.combine(
            Arbitraries.of(Cid.DAG_CBOR, Cid.RAW),
            Arbitraries.bytes().array(byte[].class).ofSize(Cid.SHA2_256_LENGTH))
        .as(Cid::fromDigest);
  }
}
