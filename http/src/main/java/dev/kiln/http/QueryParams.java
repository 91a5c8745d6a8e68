package dev.kiln.http;

import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.Map;
import java.util.Set;

/** A route's query parameters, checked: unknown names and malformed values are INVALID_QUERY, not ignored. */
final class QueryParams {
  private final Map<String, String> values;

  QueryParams(Map<String, String> values, Set<String> allowed) {
    for (String name : values.keySet()) {
      if (!allowed.contains(name)) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "unknown query parameter '" + name + "'; this route takes "
            + (allowed.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(allowed))));
      }
    }
    this.values = values;
  }

  String string(String name) {
    return values.get(name);
  }

  /** Present without a value, or {@code true}: true; absent or {@code false}: false. */
  boolean flag(String name) {
    String v = values.get(name);
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.isEmpty() || v.equals("true")) {
      return true;
    }
    throw new KilnException(ErrorCode.INVALID_QUERY, "query parameter " + name + " is true or false, got '" + v + "'");
  }

  long number(String name, long otherwise) {
    String v = values.get(name);
    if (v == null) {
      return otherwise;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "query parameter " + name + " is a whole number of 0 or more, got '"
          + v + "'");
    }
  }

  int smallNumber(String name, int otherwise) {
    long n = number(name, otherwise);
    if (n > Integer.MAX_VALUE) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "query parameter " + name + " is at most " + Integer.MAX_VALUE);
    }
    return (int) n;
  }
}
