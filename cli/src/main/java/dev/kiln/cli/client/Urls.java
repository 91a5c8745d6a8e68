package dev.kiln.cli.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Path segments and query strings of the server's routes. A class of its own so that the quick path
 * ({@link QuickCommand}) builds URLs without initialising {@link KilnServer} and its Jackson mapper.
 */
public final class Urls {
  private Urls() {}

  /**
   * Whether the server takes {@code s} as one path segment: it refuses a segment that decodes to a dot
   * segment ({@code .}, {@code ..}, {@code ../…}, {@code …/..}) before any route sees it.
   */
  public static boolean namable(String s) {
    return !(s.equals(".") || s.equals("..") || s.startsWith("../") || s.endsWith("/.."));
  }

  /** One path segment, encoded: a JSON pointer's slashes stay inside the segment. */
  public static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** {@code ?a=1&b=x} of the entries whose value is not null (and not false: flags are present or absent). */
  public static String queryString(Map<String, ?> query) {
    StringBuilder q = new StringBuilder();
    for (Map.Entry<String, ?> e : query.entrySet()) {
      Object v = e.getValue();
      if (v == null || Boolean.FALSE.equals(v)) {
        continue;
      }
      q.append(q.length() == 0 ? '?' : '&').append(segment(e.getKey())).append('=').append(segment(String.valueOf(v)));
    }
    return q.toString();
  }

  /** A query built in order: {@code params("limit", 10, "descending", true)}. */
  public static Map<String, Object> params(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}
