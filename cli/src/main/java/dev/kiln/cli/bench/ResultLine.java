package dev.kiln.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A workload's result line taken apart: {@code name k=v … | section: k=v (target <=3.00x PASS) …}.
 * Each {@code k=v} becomes a {@link Figure}: its section (empty for the first part), its number
 * and unit, and the target the line sets for it, if any.
 */
record ResultLine(String workload, String text, List<Figure> figures) {
  private static final Pattern FIGURE = Pattern.compile("(\\S+)=(\\S+)(?: \\(target (<=|>=)(\\S+) (PASS|MISS)\\))?");
  private static final Pattern NUMBER = Pattern.compile("(-?[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)(.*)");

  /** One figure; {@code value} is NaN when the text is not a number (a size such as {@code doc=109B} is one). */
  record Figure(String section, String key, double value, String unit, String text, String target, String verdict) {}

  static ResultLine parse(String line) {
    String trimmed = line.strip();
    int space = trimmed.indexOf(' ');
    String workload = space < 0 ? trimmed : trimmed.substring(0, space);
    List<Figure> figures = new ArrayList<>();
    String[] parts = (space < 0 ? "" : trimmed.substring(space + 1)).split(" \\| ");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i].strip();
      String section = "";
      if (i > 0) {
        int colon = part.indexOf(':');
        section = colon < 0 ? part : part.substring(0, colon).strip();
        part = colon < 0 ? "" : part.substring(colon + 1);
      }
      Matcher m = FIGURE.matcher(part);
      while (m.find()) {
        Matcher n = NUMBER.matcher(m.group(2));
        double value = n.matches() ? Double.parseDouble(n.group(1)) : Double.NaN;
        String unit = n.matches() ? n.group(2) : "";
        String target = m.group(3) == null ? "" : m.group(3) + m.group(4);
        figures.add(new Figure(section, m.group(1), value, unit, m.group(2), target, m.group(5) == null ? "" : m.group(5)));
      }
    }
    return new ResultLine(workload, trimmed, List.copyOf(figures));
  }

  /** Whether the workload ran (a line saying FAILED, STOPPED or NOT RUN did not). */
  boolean ran() {
    return !figures.isEmpty() && !text.contains(" FAILED: ");
  }
}
