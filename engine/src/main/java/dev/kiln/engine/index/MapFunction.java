package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The code of a map index: called with every live document (a private copy, {@code _id} included)
 * and emits zero or more entries. It must be deterministic and depend on nothing but the document:
 * Kiln calls it when the document is written and never again, so an index stays what the function
 * made of each document. A function that throws, or emits a key the collation refuses, leaves that
 * document out of the index (with a warning in the log), as CouchDB does; the write still succeeds.
 */
@FunctionalInterface
public interface MapFunction {
  void map(ObjectNode doc, Emitter emit);
}
