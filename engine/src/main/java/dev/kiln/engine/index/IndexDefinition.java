package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.Objects;

/**
 * What one index holds. A field index emits the value at a {@link FieldPath} (when the document has
 * one; {@code null} values included) and is named by that path; its definition is stored with the
 * index, so every process maintains it. A map index runs a {@link MapFunction} registered in code
 * under a name; only processes that register it (same name, same version) can keep it current.
 *
 * @param name the index's name, unique in its database
 * @param fingerprint what the commit stores to recognise the definition: {@code field:<path>},
 *     {@code each:<path>} (array elements) or {@code map:<version>}; a registration whose fingerprint differs from the stored one rebuilds
 *     the index
 */
public record IndexDefinition(String name, String fingerprint, MapFunction function) {

  public static final int MAX_NAME_LENGTH = 512;
  static final String FIELD = "field:";
  static final String EACH = "each:";
  static final String MAP = "map:";

  public IndexDefinition {
    validateName(name);
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(function, "function");
  }

  /** An index on the value at {@code path}, named by the path. */
  public static IndexDefinition field(String path) {
    return field(path, false);
  }

  /**
   * An index on the value at {@code path}, named by the path; with {@code each}, an array there
   * emits each of its elements (a document tagged {@code ["a","b"]} is found by key {@code "a"}),
   * and any other value emits itself. One path has one index: whole values or elements.
   */
  public static IndexDefinition field(String path, boolean each) {
    FieldPath p = FieldPath.parse(path);
    return new IndexDefinition(path, (each ? EACH : FIELD) + path, new FieldFunction(p, each));
  }

  /** A map index; change {@code version} when the function's output changes, to rebuild the index. */
  public static IndexDefinition map(String name, String version, MapFunction function) {
    if (version == null || version.isEmpty()) {
      throw new IllegalArgumentException("a map index needs a non-empty version");
    }
    return new IndexDefinition(name, MAP + version, function);
  }

  /** A map index at version "1". */
  public static IndexDefinition map(String name, MapFunction function) {
    return map(name, "1", function);
  }

  /** A field index (whole values or elements): stored with its definition, it needs no code. */
  public boolean isField() {
    return isField(fingerprint);
  }

  static boolean isField(String fingerprint) {
    return fingerprint.startsWith(FIELD) || fingerprint.startsWith(EACH);
  }

  /** What a stored fingerprint is, in a word: {@code field}, {@code each} or {@code map}. */
  public static String kindOf(String fingerprint) {
    return fingerprint.substring(0, Math.max(fingerprint.indexOf(':'), 0));
  }

  /** The definition a stored fingerprint stands for, when it needs no code (a field index); else null. */
  public static IndexDefinition fromStored(String name, String fingerprint) {
    if (isField(fingerprint) && fingerprint.substring(fingerprint.indexOf(':') + 1).equals(name)) {
      return field(name, fingerprint.startsWith(EACH));
    }
    return null;
  }

  /** Checks an index name: 1 to 512 characters, no control characters. */
  public static String validateName(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "an index name must have 1 to " + MAX_NAME_LENGTH
          + " characters, got " + (name == null ? "none" : name.length()));
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "index name '" + name
            + "' has a control character at index " + i);
      }
    }
    return name;
  }

  private record FieldFunction(FieldPath path, boolean each) implements MapFunction {
    @Override
    public void map(ObjectNode doc, Emitter emit) {
      JsonNode v = path.find(doc);
      if (v != null && each && v.isArray()) {
        v.forEach(emit::emit); // an element twice keeps one entry
      } else if (v != null) {
        emit.emit(v);
      }
    }
  }
}
