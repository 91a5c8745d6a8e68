package dev.kiln.bench.workload;

import java.util.Locale;

/**
 * One result line: {@code name key=value … | baseline … | ratio … target … PASS/MISS}. Built in
 * pieces so every workload prints the same shape.
 */
final class Line {
  private final StringBuilder out = new StringBuilder();
  private final String name;

  Line(String name) {
    this.name = name;
    out.append(String.format(Locale.ROOT, "%-11s", name));
  }

  Line add(String key, String value) {
    out.append(' ').append(key).append('=').append(value);
    return this;
  }

  Line count(String key, long n) {
    return add(key, Long.toString(n));
  }

  Line ms(String key, double ms) {
    return add(key, fmt(ms) + "ms");
  }

  Line seconds(String key, double s) {
    return add(key, fmt(s) + "s");
  }

  Line rate(String key, double perSecond) {
    return add(key, fmt(perSecond) + "/s");
  }

  Line bytes(String key, long n) {
    return add(key, Long.toString(n) + "B");
  }

  Line number(String key, double x) {
    return add(key, fmt(x));
  }

  Line section(String title) {
    out.append(" | ").append(title).append(':');
    return this;
  }

  /** A ratio with no target. */
  Line ratio(String key, double x) {
    return add(key, fmt(x) + "x");
  }

  /** A ratio the issue sets a target for: at least {@code min}. */
  Line ratioAtLeast(String key, double x, double min) {
    add(key, fmt(x) + "x");
    out.append(" (target >=").append(fmt(min)).append("x ").append(x >= min ? "PASS" : "MISS").append(')');
    return this;
  }

  /** A ratio the issue sets a target for: at most {@code max}. */
  Line ratioAtMost(String key, double x, double max) {
    add(key, fmt(x) + "x");
    out.append(" (target <=").append(fmt(max)).append("x ").append(x <= max ? "PASS" : "MISS").append(')');
    return this;
  }

  /** A figure the issue bounds (not a ratio): at most {@code max}. */
  Line atMost(String key, double x, double max, String unit) {
    add(key, fmt(x) + unit);
    out.append(" (target <=").append(fmt(max)).append(unit).append(' ').append(x <= max ? "PASS" : "MISS").append(')');
    return this;
  }

  String name() {
    return name;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  /** Three significant digits, without exponent notation for the sizes seen here. */
  static String fmt(double x) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      return String.valueOf(x);
    }
    double a = Math.abs(x);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", x);
    } else if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", x);
    } else if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", x);
    }
    return String.format(Locale.ROOT, "%.3g", x);
  }
}
