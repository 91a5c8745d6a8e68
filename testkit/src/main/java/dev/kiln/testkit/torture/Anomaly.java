package dev.kiln.testkit.torture;

import java.util.List;

/**
 * Something the history shows Kiln got wrong, with the few operations that show it.
 *
 * @param kind a short name, e.g. "stale read", "gap in changes", "missing block"
 * @param doc the document concerned, or null
 * @param slice the operations that prove it, oldest first
 */
public record Anomaly(String kind, String doc, String description, List<Op> slice) {

  public String render(long origin) {
    StringBuilder b = new StringBuilder();
    b.append(kind).append(doc == null ? "" : " on " + doc).append(": ").append(description);
    for (Op op : slice) {
      b.append("\n    ").append(op.render(origin, doc));
    }
    return b.toString();
  }
}
