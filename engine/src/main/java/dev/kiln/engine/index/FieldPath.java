package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.List;

/**
 * A path to one value inside a document: dotted ({@code address.city}) or a JSON pointer
 * ({@code /address/city}, with {@code ~1} for '/' and {@code ~0} for '~'). Only object members are
 * followed: the path of a field index never indexes into arrays, it emits the whole array as the key.
 */
public record FieldPath(String text, List<String> segments) {

  public static final int MAX_LENGTH = 512;

  public FieldPath {
    segments = List.copyOf(segments);
  }

  /** Parses a path, or throws {@link ErrorCode#INVALID_QUERY} saying what is wrong with it. */
  public static FieldPath parse(String text) {
    if (text == null || text.isEmpty()) {
      throw invalid(text, "it is empty");
    }
    if (text.length() > MAX_LENGTH) {
      throw invalid(text.substring(0, 40) + "…", "it is longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        throw invalid(text, "it has a control character at index " + i);
      }
    }
    List<String> segments = new ArrayList<>();
    if (text.startsWith("/")) {
      for (String raw : text.substring(1).split("/", -1)) {
        if (raw.matches(".*~([^01]|$).*")) {
          throw invalid(text, "'~' must be followed by 0 or 1 in a JSON pointer");
        }
        segments.add(raw.replace("~1", "/").replace("~0", "~"));
      }
    } else {
      for (String s : text.split("\\.", -1)) {
        if (s.isEmpty()) {
          throw invalid(text, "it has an empty segment (two dots, or a dot at an end)");
        }
        segments.add(s);
      }
    }
    return new FieldPath(text, segments);
  }

  /** The value at this path, or null when some member on the way is missing or not an object. */
  public JsonNode find(JsonNode doc) {
    JsonNode at = doc;
    for (String s : segments) {
      if (at == null || !at.isObject()) {
        return null;
      }
      at = at.get(s);
    }
    return at;
  }

  private static KilnException invalid(String text, String why) {
    return new KilnException(ErrorCode.INVALID_QUERY, "'" + text + "' is not a field path: " + why
        + " (use a dotted path such as address.city or a JSON pointer such as /address/city)");
  }
}
