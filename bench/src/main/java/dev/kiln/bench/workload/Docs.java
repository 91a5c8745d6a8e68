package dev.kiln.bench.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The workloads' documents: about 100 bytes of JSON each, ids {@code doc-0000000} in write order. */
final class Docs {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] KINDS = {"note", "task", "event", "contact"};
  private static final char[] LETTERS = "abcdefghijklmnopqrstuvwxyz     ".toCharArray();

  private Docs() {}

  static String id(long n) {
    return String.format("doc-%07d", n);
  }

  /** Document {@code n}; {@code version} changes its text so an update stores a new block. */
  static ObjectNode doc(long n, int version) {
    Random r = new Random(n * 31 + version);
    StringBuilder text = new StringBuilder(40);
    for (int i = 0; i < 40; i++) {
      text.append(LETTERS[r.nextInt(LETTERS.length)]);
    }
    ObjectNode d = JSON.createObjectNode();
    d.put("_id", id(n));
    d.put("n", n);
    d.put("kind", KINDS[(int) (n % KINDS.length)]);
    d.put("v", version);
    d.put("done", n % 2 == 0);
    d.put("text", text.toString());
    return d;
  }

  static List<ObjectNode> range(long from, long count, int version) {
    List<ObjectNode> docs = new ArrayList<>((int) count);
    for (long n = from; n < from + count; n++) {
      docs.add(doc(n, version));
    }
    return docs;
  }

  /** Size of the document as compact JSON, for the result lines. */
  static int jsonBytes(ObjectNode d) {
    try {
      return JSON.writeValueAsBytes(d).length;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
