package dev.kiln.testkit.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.SplittableRandom;

/**
 * The documents of the crash workload. A document is a pure function of its id and version, so the
 * parent can check what it reads back against an {@code ACK} line alone, byte for byte.
 */
public final class CrashDocs {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

  private CrashDocs() {}

  /** Version {@code version} (the document's write counter, from 1) of the document {@code id}. */
  public static ObjectNode document(String id, int version) {
    SplittableRandom r = new SplittableRandom(id.hashCode() * 0x9E3779B97F4A7C15L + version);
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("_id", id);
    doc.put("v", version);
    ObjectNode body = doc.putObject("body");
    int len = r.nextInt(0, 400);
    StringBuilder text = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      text.append(LETTERS.charAt(r.nextInt(LETTERS.length())));
    }
    body.put("text", text.toString());
    ArrayNode nums = body.putArray("nums");
    int n = r.nextInt(0, 8);
    for (int i = 0; i < n; i++) {
      nums.add(r.nextInt(-1_000_000, 1_000_000));
    }
    body.put("even", version % 2 == 0);
    return doc;
  }

  /** The version a stored crash document says it is, or -1 when it has none. */
  public static int versionOf(JsonNode doc) {
    JsonNode v = doc == null ? null : doc.get("v");
    return v != null && v.canConvertToInt() ? v.asInt() : -1;
  }

  /** Whether two documents hold the same JSON, whatever node classes hold their numbers. */
  public static boolean sameJson(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    try {
      return MAPPER.readTree(a.toString()).equals(MAPPER.readTree(b.toString()));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot re-read JSON Jackson just wrote", e);
    }
  }
}
