package dev.kiln.engine.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.Cid;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts between Jackson JSON trees and the IPLD data model that {@link DagCbor} encodes.
 * JSON integers become IPLD integers (64-bit range), other JSON numbers become 64-bit floats.
 * Going back, links and bytes (which JSON documents never hold) are shown in the DAG-JSON forms
 * {@code {"/": "bafy…"}} and {@code {"/": {"bytes": "…"}}}.
 */
public final class JsonIpld {
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(false);
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private JsonIpld() {}

  /** The IPLD value of a JSON tree. */
  public static Object toIpld(JsonNode node) {
    return toIpld(node, 0);
  }

  private static Object toIpld(JsonNode node, int depth) {
    if (depth > DagCbor.MAX_DEPTH) {
      throw new DagCborException("JSON nests deeper than " + DagCbor.MAX_DEPTH + " levels");
    }
    switch (node.getNodeType()) {
      case NULL:
      case MISSING:
        return null;
      case BOOLEAN:
        return node.booleanValue();
      case STRING:
        return node.textValue();
      case BINARY:
        try {
          return node.binaryValue();
        } catch (java.io.IOException e) {
          throw new DagCborException("unreadable binary JSON node", e);
        }
      case NUMBER:
        return number(node);
      case ARRAY: {
        List<Object> list = new ArrayList<>(node.size());
        for (JsonNode item : node) {
          list.add(toIpld(item, depth + 1));
        }
        return list;
      }
      case OBJECT: {
        Map<String, Object> map = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          map.put(e.getKey(), toIpld(e.getValue(), depth + 1));
        }
        return map;
      }
      default:
        throw new DagCborException("JSON node of type " + node.getNodeType() + " has no IPLD form");
    }
  }

  private static Object number(JsonNode node) {
    if (node.isIntegralNumber()) {
      BigInteger big = node.bigIntegerValue();
      if (big.compareTo(LONG_MIN) >= 0 && big.compareTo(LONG_MAX) <= 0) {
        return big.longValue();
      }
      return big; // DagCbor refuses it if it is beyond 64 bits, naming the number
    }
    double d = node.isBigDecimal() ? node.decimalValue().doubleValue() : node.doubleValue();
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new DagCborException("number out of range for a 64-bit float: " + node.asText());
    }
    return d;
  }

  /** The JSON tree of an IPLD value. */
  public static JsonNode toJson(Object value) {
    if (value == null) {
      return NODES.nullNode();
    } else if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    } else if (value instanceof Long l) {
      // The node a JSON parser would make for the same text: int when it fits.
      return l == l.intValue() ? NODES.numberNode(l.intValue()) : NODES.numberNode(l);
    } else if (value instanceof Integer i) {
      return NODES.numberNode(i);
    } else if (value instanceof BigInteger big) {
      return NODES.numberNode(big);
    } else if (value instanceof Double d) {
      return NODES.numberNode(d);
    } else if (value instanceof Float f) {
      return NODES.numberNode(f.doubleValue());
    } else if (value instanceof BigDecimal bd) {
      return NODES.numberNode(bd);
    } else if (value instanceof String s) {
      return NODES.textNode(s);
    } else if (value instanceof byte[] bytes) {
      ObjectNode inner = NODES.objectNode().put("bytes", Base64.getEncoder().withoutPadding().encodeToString(bytes));
      ObjectNode o = NODES.objectNode();
      o.set("/", inner);
      return o;
    } else if (value instanceof Cid cid) {
      return NODES.objectNode().put("/", cid.toString());
    } else if (value instanceof List<?> list) {
      ArrayNode a = NODES.arrayNode(list.size());
      for (Object item : list) {
        a.add(toJson(item));
      }
      return a;
    } else if (value instanceof Map<?, ?> map) {
      ObjectNode o = NODES.objectNode();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        o.set(String.valueOf(e.getKey()), toJson(e.getValue()));
      }
      return o;
    }
    throw new DagCborException("not an IPLD data model value: " + value.getClass().getName());
  }
}
