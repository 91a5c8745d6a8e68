package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Documents the command line reads: exactly one JSON object, nothing after it, no key twice. A
 * lenient parser keeps the last of duplicate keys and ignores what follows the first value, so
 * {@code {"_id":"a"} trailing} would replace document {@code a} silently; here both are an
 * {@link ErrorCode#INVALID_DOCUMENT} that names the line and column.
 */
final class StrictJson {
  private static final JsonMapper STRICT = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private StrictJson() {}

  /** The object in {@code text}; {@code source} names where it came from in errors. */
  static ObjectNode document(String text, String source) {
    // picocli no longer expands @files (it split them at spaces); say what to use instead
    String hint = text.startsWith("@") ? " (to read a document from a file, use --file PATH, or - for stdin)" : "";
    try {
      return object(STRICT.readTree(text), source, hint);
    } catch (JsonProcessingException e) {
      throw invalid(source, e, hint);
    }
  }

  /** The object in a stream (a file or stdin), read without holding the text twice. */
  static ObjectNode document(InputStream in, String source) {
    try {
      return object(STRICT.readTree(in), source, "");
    } catch (JsonProcessingException e) {
      throw invalid(source, e, "");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  private static ObjectNode object(JsonNode node, String source, String hint) {
    if (node instanceof ObjectNode o) {
      return o;
    }
    throw new KilnException(ErrorCode.INVALID_DOCUMENT, source + " must be an object, got "
        + (node == null || node.isMissingNode() ? "nothing" : node.getNodeType()) + hint);
  }

  private static KilnException invalid(String source, JsonProcessingException e, String hint) {
    JsonLocation at = e.getLocation();
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    String why = e.getOriginalMessage();
    if (e instanceof JsonParseException && why.startsWith("Duplicate field")) {
      why = "duplicate key " + why.substring("Duplicate field ".length());
    }
    return new KilnException(ErrorCode.INVALID_DOCUMENT, source + " is not valid JSON" + where + ": " + why + hint, e);
  }
}
