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
  private static final Pattern TARGET = Pattern.compile(" \\(target (<=|>=)(\\S+) (PASS|MISS)\\)");
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
      // a target belongs to the figure before it: fold it into that figure's token
      part = TARGET.matcher(part).replaceAll("\u0001$1$2\u0001$3");
      String key = "";
      for (String token : part.strip().split(" +")) {
        int eq = token.indexOf('=');
        if (eq < 0) { // a key with spaces in it, such as "compaction/raw_write (median)"
          key = key.isEmpty() ? token : key + " " + token;
          continue;
        }
        key = key.isEmpty() ? token.substring(0, eq) : key + " " + token.substring(0, eq);
        String[] valueAndTarget = token.substring(eq + 1).split("\u0001", -1);
        String text = valueAndTarget[0];
        Matcher n = NUMBER.matcher(text);
        double value = n.matches() ? Double.parseDouble(n.group(1)) : Double.NaN;
        String unit = n.matches() ? n.group(2) : "";
        figures.add(new Figure(section, key, value, unit, text, valueAndTarget.length > 1 ? valueAndTarget[1] : "",
            valueAndTarget.length > 2 ? valueAndTarget[2] : ""));
        key = "";
      }
    }
    return new ResultLine(workload, trimmed, List.copyOf(figures));
  }

  /** Whether the workload ran (a line saying FAILED, STOPPED or NOT RUN did not). */
  boolean ran() {
    return !figures.isEmpty() && !text.contains(" FAILED: ");
  }
}
