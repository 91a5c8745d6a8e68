package dev.kiln.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Request bodies: exactly one JSON value, nothing after it, no key twice (a lenient parser would keep
 * the last of two {@code _id}s and store the wrong document). Anything else is INVALID_DOCUMENT.
 */
final class JsonBodies {
  private static final JsonMapper STRICT = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private JsonBodies() {}

  static ObjectNode object(byte[] body) {
    JsonNode node = parse(body);
    if (node instanceof ObjectNode o) {
      return o;
    }
    throw new KilnException(ErrorCode.INVALID_DOCUMENT, "the body must be a JSON object, got " + kind(node));
  }

  static List<ObjectNode> objects(byte[] body) {
    JsonNode node = parse(body);
    if (!(node instanceof ArrayNode array)) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "a bulk body must be a JSON array of objects, got " + kind(node));
    }
    List<ObjectNode> docs = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.get(i) instanceof ObjectNode o)) {
        throw new KilnException(ErrorCode.INVALID_DOCUMENT, "element " + i + " of the bulk body is " + kind(array.get(i))
            + ", not an object; nothing was stored");
      }
      docs.add(o);
    }
    return docs;
  }

  private static JsonNode parse(byte[] body) {
    try {
      return STRICT.readTree(body);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "the body is not valid JSON" + where + ": "
          + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "the body cannot be read: " + e.getMessage(), e);
    }
  }

  private static String kind(JsonNode node) {
    return node == null || node.isMissingNode() ? "nothing" : node.getNodeType().toString().toLowerCase();
  }
}
