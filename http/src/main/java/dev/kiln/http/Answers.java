package dev.kiln.http;

import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.util.LinkedHashMap;
import java.util.Map;

/** Answers as the HTTP API and the command line print them, so both print the same JSON. */
public final class Answers {
  private Answers() {}

  /** A write's answer: the version in its text form, what If-Match, if-version and --if-version take. */
  public static Map<String, Object> written(WriteResult w) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", w.id());
    out.put("seq", w.seq());
    out.put("version", w.version().toString());
    out.put("clock", w.clock());
    return out;
  }
}
