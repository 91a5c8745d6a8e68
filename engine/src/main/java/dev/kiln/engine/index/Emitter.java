package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.JsonNode;

/** Receives the index entries a {@link MapFunction} produces for one document. */
public interface Emitter {
  /** Adds an entry with this key and no value. */
  default void emit(JsonNode key) {
    emit(key, null);
  }

  /**
   * Adds an entry with this key and value (null for none). Emitting the same key twice for one
   * document keeps one entry, with the later value.
   */
  void emit(JsonNode key, JsonNode value);
}
