package dev.kiln.testkit.torture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The torture checker's feed rules for a follower: a live feed that started after sequence
 * {@code since} and was read until it passed the last acknowledged write. Unlike a one-shot changes
 * read (where each document appears once), a follower sees a document again each time it changes,
 * so the rules are per change:
 * <ul>
 *   <li>sequences strictly increase: no change twice, none out of order ("unordered changes");</li>
 *   <li>each change is an acknowledged write: the same document, kind and value at that sequence
 *       ("phantom change", "wrong seq in changes");</li>
 *   <li>every write acknowledged after {@code since} is passed on, or superseded by a later write of
 *       the same document that is ("gap in changes"); so each document ends at its last write.</li>
 * </ul>
 * Writes here are acknowledged ones only: a test that has writes of unknown outcome cannot use it.
 */
public final class FollowerChecker {
  private FollowerChecker() {}

  /** An acknowledged write: a put of {@code value}, or a delete. */
  public record Write(long seq, String id, boolean deleted, long value) {}

  /** A change the follower received; {@code value} is ignored for a delete. */
  public record Received(long seq, String id, boolean deleted, long value) {}

  public static List<Anomaly> check(long since, List<Write> acknowledged, List<Received> received) {
    List<Anomaly> out = new ArrayList<>();
    Map<Long, Write> bySeq = new HashMap<>();
    for (Write w : acknowledged) {
      bySeq.put(w.seq(), w);
    }
    long previous = since;
    Map<String, Long> lastReceived = new HashMap<>();
    for (Received r : received) {
      if (r.seq() <= previous) {
        out.add(new Anomaly("unordered changes", r.id(), "seq " + r.seq() + " follows seq " + previous
            + (previous == since ? " (the since)" : ""), List.of()));
      }
      previous = Math.max(previous, r.seq());
      Write w = bySeq.get(r.seq());
      if (w == null || !w.id().equals(r.id())) {
        out.add(new Anomaly("phantom change", r.id(), "the feed lists " + r.id() + " at seq " + r.seq()
            + " but " + (w == null ? "no write" : "the write of " + w.id()) + " was acknowledged with it", List.of()));
      } else if (w.deleted() != r.deleted() || (!w.deleted() && w.value() != r.value())) {
        out.add(new Anomaly("wrong seq in changes", r.id(), "the feed lists " + describe(r.deleted(), r.value())
            + " at seq " + r.seq() + " but " + describe(w.deleted(), w.value()) + " was acknowledged with it", List.of()));
      }
      lastReceived.merge(r.id(), r.seq(), Math::max);
    }
    for (Write w : acknowledged) {
      if (w.seq() <= since) {
        continue;
      }
      Long listed = lastReceived.get(w.id());
      if (listed == null || listed < w.seq()) {
        out.add(new Anomaly("gap in changes", w.id(), "the follower since " + since + " never got "
            + describe(w.deleted(), w.value()) + " (seq " + w.seq() + ") nor a later change of " + w.id()
            + (listed == null ? "" : "; its last was seq " + listed), List.of()));
      }
    }
    return out;
  }

  private static String describe(boolean deleted, long value) {
    return deleted ? "a delete" : "v=" + value;
  }
}
