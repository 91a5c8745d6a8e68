package dev.kiln.testkit.torture;

import dev.kiln.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a torture history. Each document is a register written by puts (each with a unique
 * {@code v}) and deletes:
 * <ul>
 *   <li>a read returns a value that was acknowledged or in flight at the time, and never one older
 *       than a write acknowledged before the read was invoked;</li>
 *   <li>an all-docs scan or changes read at commit {@code clock} whose sequence S is known (from the
 *       acknowledgements carrying that clock) shows every document as its latest acknowledged write
 *       with sequence &lt;= S, and S is not older than any write acknowledged before the read began;</li>
 *   <li>the changes feed is ordered by sequence, names each document once, and lists every document
 *       changed after {@code since} (no gaps), each at the sequence its write was acknowledged with;</li>
 *   <li>no operation fails with an error the run did not provoke (CORRUPT, INTERNAL, a missing block).</li>
 * </ul>
 * A write whose outcome is unknown (a timeout, CLOSED while in flight, a journal failure) may or may
 * not have happened, at any time after its invocation: it only widens what a read may return. A write
 * refused with a typed error that says nothing was stored (STORAGE, FENCED, OVERLOADED, a validation error)
 * never happened: a read that sees it is an anomaly.
 */
public final class HistoryChecker {
  /**
   * Errors that mean the write never happened. STORAGE is one: the commit's CAR did not reach the
   * disk, so the engine drops the whole commit ("a commit failed, N writes not stored"); a write that
   * failed so and is seen later is an anomaly. FENCED is another: the store checks its claim inside the
   * CAR's transaction, before the CAR commits and so before any event can name it; the commit is dropped
   * whole as for STORAGE.
   */
  private static final Set<ErrorCode> NOT_APPLIED = EnumSet.of(ErrorCode.INVALID_DOCUMENT, ErrorCode.INVALID_ID,
      ErrorCode.DOCUMENT_TOO_LARGE, ErrorCode.OVERLOADED, ErrorCode.NOT_FOUND, ErrorCode.STORAGE, ErrorCode.FENCED);

  private final Set<ErrorCode> expected;

  /**
   * @param expected errors the run provokes and that are therefore no anomaly (e.g. STORAGE when
   *     faults are injected); CLOSED, TIMEOUT, OVERLOADED and NOT_FOUND are always expected
   */
  public HistoryChecker(Set<ErrorCode> expected) {
    this.expected = EnumSet.of(ErrorCode.CLOSED, ErrorCode.TIMEOUT, ErrorCode.OVERLOADED, ErrorCode.NOT_FOUND);
    this.expected.addAll(expected);
  }

  public static List<Anomaly> check(List<Op> history, boolean faults) {
    return new HistoryChecker(faults ? EnumSet.of(ErrorCode.STORAGE) : EnumSet.noneOf(ErrorCode.class)).check(history);
  }

  /** What is known about one document's writes. */
  private static final class Doc {
    final String id;
    final List<Op> writes = new ArrayList<>();
    Op[] ackedBySeq;
    Op[] ackedByComplete;
    int[] latestUpTo; // index into ackedByComplete of the highest seq among [0..i]
    Op[] ackedDeletesByInvoke;
    long[] maxDeleteSeqUpTo;
    long firstUncertainDeleteInvoke = Long.MAX_VALUE;
    boolean uncertain;

    Doc(String id) {
      this.id = id;
    }

    void index() {
      List<Op> acked = new ArrayList<>();
      List<Op> deletes = new ArrayList<>();
      for (Op w : writes) {
        if (w.acked()) {
          acked.add(w);
          if (w.kind() == OpKind.DELETE) {
            deletes.add(w);
          }
        } else if (!refused(w)) {
          uncertain = true;
          if (w.kind() == OpKind.DELETE) {
            firstUncertainDeleteInvoke = Math.min(firstUncertainDeleteInvoke, w.invoke());
          }
        }
      }
      ackedBySeq = acked.stream().sorted(Comparator.comparingLong(Op::seq)).toArray(Op[]::new);
      ackedByComplete = acked.stream().sorted(Comparator.comparingLong(Op::complete)).toArray(Op[]::new);
      latestUpTo = new int[ackedByComplete.length];
      for (int i = 0; i < ackedByComplete.length; i++) {
        latestUpTo[i] = i > 0 && ackedByComplete[latestUpTo[i - 1]].seq() > ackedByComplete[i].seq() ? latestUpTo[i - 1] : i;
      }
      ackedDeletesByInvoke = deletes.stream().sorted(Comparator.comparingLong(Op::invoke)).toArray(Op[]::new);
      maxDeleteSeqUpTo = new long[ackedDeletesByInvoke.length];
      for (int i = 0; i < ackedDeletesByInvoke.length; i++) {
        maxDeleteSeqUpTo[i] = Math.max(i > 0 ? maxDeleteSeqUpTo[i - 1] : 0, ackedDeletesByInvoke[i].seq());
      }
    }

    /** The acknowledged write with the highest sequence among those acknowledged before {@code time}. */
    Op latestAckedBefore(long time) {
      int lo = 0;
      int hi = ackedByComplete.length; // first index with complete >= time
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ackedByComplete[mid].complete() < time) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo == 0 ? null : ackedByComplete[latestUpTo[lo - 1]];
    }

    /** The acknowledged write with the highest sequence &lt;= s. */
    Op latestAckedAtOrBelow(long s) {
      int lo = 0;
      int hi = ackedBySeq.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ackedBySeq[mid].seq() <= s) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo == 0 ? null : ackedBySeq[lo - 1];
    }

    /** Whether a delete invoked before {@code time} may have come after the write with sequence {@code seq}. */
    boolean deleteMayFollow(long seq, long time) {
      if (firstUncertainDeleteInvoke < time) {
        return true;
      }
      int lo = 0;
      int hi = ackedDeletesByInvoke.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ackedDeletesByInvoke[mid].invoke() < time) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo > 0 && maxDeleteSeqUpTo[lo - 1] > seq;
    }
  }

  static boolean refused(Op w) {
    return w.outcome() instanceof Outcome.Failed f && NOT_APPLIED.contains(f.code());
  }

  private final Map<String, Doc> docs = new LinkedHashMap<>();
  private final Map<Long, Op> putByValue = new HashMap<>();
  private final Map<String, Long> seqOfClock = new HashMap<>();
  private Op[] ackedByComplete = new Op[0];
  private long[] maxSeqUpTo = new long[0];
  private List<Anomaly> anomalies;
  private final Set<String> reported = new HashSet<>();

  public List<Anomaly> check(List<Op> history) {
    anomalies = new ArrayList<>();
    index(history);
    for (Op op : history) {
      errors(op);
      if (!(op.outcome() instanceof Outcome.Ok ok)) {
        if (op.kind() == OpKind.DELETE && op.outcome() instanceof Outcome.Failed f && f.code() == ErrorCode.NOT_FOUND) {
          register(op, op.doc(), null, "a delete found nothing to delete");
        }
        continue;
      }
      Reply r = ok.reply();
      if (r instanceof Reply.Read read) {
        register(op, op.doc(), read.value(), null);
      } else if (r instanceof Reply.Scanned scan) {
        scan(op, scan);
      } else if (r instanceof Reply.Fed fed) {
        feed(op, fed);
      } else if (r instanceof Reply.Queried q) {
        query(op, q);
      }
    }
    return anomalies;
  }

  private void index(List<Op> history) {
    List<Op> acked = new ArrayList<>();
    for (Op op : history) {
      if (!op.kind().isWrite()) {
        continue;
      }
      docs.computeIfAbsent(op.doc(), Doc::new).writes.add(op);
      if (op.kind() == OpKind.PUT) {
        putByValue.put(op.value(), op);
      }
      if (op.acked()) {
        acked.add(op);
        seqOfClock.merge(op.clock(), op.seq(), Math::max);
      }
    }
    // A full changes feed names the head commit's sequence: its highest entry.
    for (Op op : history) {
      if (op.outcome() instanceof Outcome.Ok ok && ok.reply() instanceof Reply.Fed fed && op.since() == 0
          && !seqOfClock.containsKey(fed.clock()) && fed.clock() != null) {
        seqOfClock.put(fed.clock(), fed.lastSeq());
      }
    }
    docs.values().forEach(Doc::index);
    acked.sort(Comparator.comparingLong(Op::complete));
    ackedByComplete = acked.toArray(Op[]::new);
    maxSeqUpTo = new long[ackedByComplete.length];
    for (int i = 0; i < ackedByComplete.length; i++) {
      maxSeqUpTo[i] = Math.max(i > 0 ? maxSeqUpTo[i - 1] : 0, ackedByComplete[i].seq());
    }
  }

  /** Whether the operation failed with a missing block or an error the run did not provoke. */
  public boolean unexpected(Op op) {
    return op.outcome() instanceof Outcome.Failed f
        && ((f.message() != null && f.message().contains("missing block")) || !expected.contains(f.code()));
  }

  private void errors(Op op) {
    if (op.outcome() instanceof Outcome.Failed f) {
      if (f.message() != null && f.message().contains("missing block")) {
        flag("missing block", op.doc(), op.kind() + " failed: " + f.message(), op);
      } else if (!expected.contains(f.code())) {
        flag("unexpected error", op.doc(), op.kind() + " failed with " + f.code() + ": " + f.message(), op);
      }
    }
  }

  /** One read of one document: {@code value} (null: absent) seen by {@code read}. */
  private void register(Op read, String id, Long value, String how) {
    Doc doc = docs.get(id);
    long rc = read.complete();
    Op latest = doc == null ? null : doc.latestAckedBefore(read.invoke());
    if (value == null) {
      if (latest == null || latest.kind() == OpKind.DELETE || doc.deleteMayFollow(latest.seq(), rc)) {
        return;
      }
      flag("lost write", id, (how == null ? "read found no document" : how) + " although put v=" + latest.value()
          + " (seq " + latest.seq() + ") was acknowledged before the read began and no delete could follow it",
          latest, read);
      return;
    }
    Op w = putByValue.get(value);
    if (w == null || !w.doc().equals(id)) {
      flag("phantom value", id, "read v=" + value + ", which no put of " + id + " wrote", read);
      return;
    }
    if (refused(w)) {
      flag("failed write visible", id, "read v=" + value + " whose put failed with "
          + ((Outcome.Failed) w.outcome()).code(), w, read);
    } else if (w.invoke() > rc) {
      flag("read from the future", id, "read v=" + value + " before its put was invoked", read, w);
    } else if (w.acked() && latest != null && w.seq() < latest.seq()) {
      flag("stale read", id, "read v=" + value + " (seq " + w.seq() + ") although seq " + latest.seq()
          + " was acknowledged before the read began", w, latest, read);
    }
  }

  private void scan(Op op, Reply.Scanned scan) {
    Map<String, Long> seen = new LinkedHashMap<>();
    String previous = null;
    for (Reply.Row row : scan.rows()) {
      if (previous != null && previous.compareTo(row.id()) >= 0) {
        flag("unordered scan", row.id(), "all-docs returned " + row.id() + " after " + previous, op);
      }
      previous = row.id();
      seen.put(row.id(), row.value());
    }
    for (String id : allIds(seen.keySet())) {
      Long value = seen.get(id);
      register(op, id, value, value == null ? "all-docs left the document out" : null);
    }
    snapshot(op, scan.clock(), seen, null);
  }

  /**
   * A query of the index on "writer" for one writer: rows in id order, each a version that writer
   * put, each passing the register rules of a read; and when its commit is known, exactly the
   * documents whose latest acknowledged write up to that commit is a put by that writer.
   */
  private void query(Op op, Reply.Queried q) {
    Map<String, Long> seen = new LinkedHashMap<>();
    String previous = null;
    for (Reply.Row row : q.rows()) {
      if (previous != null && previous.compareTo(row.id()) >= 0) {
        flag("unordered query", row.id(), "the query for " + q.writer() + " returned " + row.id() + " after " + previous, op);
      }
      previous = row.id();
      seen.put(row.id(), row.value());
      Op w = putByValue.get(row.value());
      if (w != null && !w.process().equals(q.writer())) {
        flag("wrong query row", row.id(), "the query for " + q.writer() + " returned v=" + row.value()
            + ", which " + w.process() + " wrote", w, op);
        continue;
      }
      register(op, row.id(), row.value(), null);
    }
    Long s = q.clock() == null ? null : seqOfClock.get(q.clock());
    if (s == null) {
      return;
    }
    Op newest = newestAckedBefore(op.invoke());
    if (newest != null && newest.seq() > s) {
      flag("stale snapshot", newest.doc(), "the query shows commit seq " + s + " although seq " + newest.seq()
          + " was acknowledged before it began", newest, op);
    }
    for (Doc doc : docs.values()) {
      if (doc.uncertain) {
        continue; // a write of unknown outcome may be the version at that commit
      }
      Op expect = doc.latestAckedAtOrBelow(s);
      boolean shouldList = expect != null && expect.kind() == OpKind.PUT && expect.process().equals(q.writer());
      Long value = seen.get(doc.id);
      if (shouldList && value == null) {
        flag("inconsistent query", doc.id, "the query for " + q.writer() + " at commit seq " + s + " leaves out v="
            + expect.value() + ", put by " + q.writer() + " and acknowledged with seq " + expect.seq(), expect, op);
      } else if (shouldList && value != expect.value()) {
        flag("inconsistent query", doc.id, "the query at commit seq " + s + " shows v=" + value + " but v="
            + expect.value() + " (seq " + expect.seq() + ") is the document's latest up to that commit", expect, op);
      } else if (!shouldList && value != null) {
        flag("inconsistent query", doc.id, "the query for " + q.writer() + " at commit seq " + s + " lists v=" + value
            + " but the document's latest write up to that commit is " + (expect == null ? "none" : expect.kind()
            + " by " + expect.process() + " (seq " + expect.seq() + ")"), expect == null ? new Op[] {op} : new Op[] {expect, op});
      }
    }
  }

  private void feed(Op op, Reply.Fed fed) {
    Map<String, Reply.Change> seen = new LinkedHashMap<>();
    long lastSeq = op.since();
    for (Reply.Change c : fed.changes()) {
      if (seen.containsKey(c.id())) {
        flag("duplicate in changes", c.id(), "the feed names " + c.id() + " twice (seq " + seen.get(c.id()).seq()
            + " and " + c.seq() + ")", op);
      }
      if (c.seq() <= lastSeq) {
        flag("unordered changes", c.id(), "seq " + c.seq() + " follows seq " + lastSeq
            + (lastSeq == op.since() ? " (the since)" : ""), op);
      }
      lastSeq = Math.max(lastSeq, c.seq());
      seen.put(c.id(), c);
      Long value = c.state();
      Op w = value == null ? null : putByValue.get(value);
      if (w != null && w.acked() && w.seq() != c.seq()) {
        flag("wrong seq in changes", c.id(), "the feed lists v=" + value + " at seq " + c.seq()
            + " but its put was acknowledged with seq " + w.seq(), w, op);
      }
      register(op, c.id(), value, null);
    }
    if (op.since() == 0) {
      for (String id : allIds(seen.keySet())) {
        if (!seen.containsKey(id)) {
          register(op, id, null, "the changes feed left the document out");
        }
      }
    }
    Map<String, Long> values = new LinkedHashMap<>();
    seen.forEach((id, c) -> values.put(id, c.state()));
    snapshot(op, fed.clock(), values, seen);
  }

  private Set<String> allIds(Set<String> seen) {
    Set<String> ids = new TreeSet<>(docs.keySet());
    ids.addAll(seen);
    return ids;
  }

  /**
   * The snapshot rules, when the read's commit sequence is known. {@code changes} is null for a
   * scan; for a feed, a document it leaves out is only wrong when it changed after {@code since}.
   */
  private void snapshot(Op op, String clock, Map<String, Long> seen, Map<String, Reply.Change> changes) {
    Long s = clock == null ? null : seqOfClock.get(clock);
    if (s == null) {
      return;
    }
    Op newest = newestAckedBefore(op.invoke());
    if (newest != null && newest.seq() > s) {
      flag("stale snapshot", newest.doc(), "the read shows commit seq " + s + " although seq " + newest.seq()
          + " was acknowledged before it began", newest, op);
    }
    if (changes != null && op.since() == 0 && op.outcome() instanceof Outcome.Ok ok
        && ((Reply.Fed) ok.reply()).lastSeq() < s) {
      flag("gap in changes", null, "the full feed ends at seq " + ((Reply.Fed) ok.reply()).lastSeq()
          + " but its commit was acknowledged with seq " + s, op);
    }
    for (Doc doc : docs.values()) {
      Op expect = doc.latestAckedAtOrBelow(s);
      boolean listed = seen.containsKey(doc.id);
      Long value = seen.get(doc.id);
      if (changes != null) {
        if (expect == null || expect.seq() <= op.since()) {
          if (listed && !doc.uncertain) {
            flag("phantom change", doc.id, "the feed since " + op.since() + " at commit seq " + s + " lists " + doc.id
                + " at seq " + changes.get(doc.id).seq() + " but no write of it up to that commit is newer than since",
                expect == null ? new Op[] {op} : new Op[] {expect, op});
          }
          continue; // not changed after since, as far as anyone acknowledged
        }
        if (!listed) {
          flag("gap in changes", doc.id, "the feed since " + op.since() + " at commit seq " + s + " leaves out "
              + doc.id + ", acknowledged with seq " + expect.seq(), expect, op);
          continue;
        }
        Reply.Change c = changes.get(doc.id);
        if (c.seq() < expect.seq() || (c.seq() != expect.seq() && !doc.uncertain)) {
          flag("inconsistent changes", doc.id, "the feed at commit seq " + s + " lists " + doc.id + " at seq "
              + c.seq() + " but its latest write up to that commit was acknowledged with seq " + expect.seq(), expect, op);
          continue;
        }
      }
      Op w = value == null ? null : putByValue.get(value);
      if (value != null && w != null && w.acked() && w.seq() > s) {
        flag("inconsistent snapshot", doc.id, "the read at commit seq " + s + " shows v=" + value
            + ", acknowledged later with seq " + w.seq(), w, op);
      } else if (value != null && w != null && w.acked() && expect != null && w.seq() < expect.seq()) {
        flag("inconsistent snapshot", doc.id, "the read at commit seq " + s + " shows v=" + value + " (seq " + w.seq()
            + ") but seq " + expect.seq() + " <= " + s + " was acknowledged for it", w, expect, op);
      } else if (value == null && expect != null && expect.kind() == OpKind.PUT
          && doc.firstUncertainDeleteInvoke >= op.complete()) {
        flag("inconsistent snapshot", doc.id, "the read at commit seq " + s + " does not show v=" + expect.value()
            + ", acknowledged with seq " + expect.seq(), expect, op);
      } else if (value != null && w != null && !w.acked() && !doc.uncertain) {
        flag("inconsistent snapshot", doc.id, "the read shows v=" + value + " whose put was not acknowledged", w, op);
      }
    }
  }

  private Op newestAckedBefore(long time) {
    int lo = 0;
    int hi = ackedByComplete.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ackedByComplete[mid].complete() < time) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == 0) {
      return null;
    }
    long best = maxSeqUpTo[lo - 1];
    for (int i = lo - 1; i >= 0; i--) {
      if (ackedByComplete[i].seq() == best) {
        return ackedByComplete[i];
      }
    }
    return null;
  }

  private void flag(String kind, String doc, String description, Op... slice) {
    // One anomaly per kind, document and read: a broken scan would otherwise repeat itself per row.
    String key = kind + "|" + doc + "|" + slice[slice.length - 1].index();
    if (!reported.add(key)) {
      return;
    }
    List<Op> ops = new ArrayList<>(Arrays.asList(slice));
    ops.sort(Comparator.comparingLong(Op::invoke));
    anomalies.add(new Anomaly(kind, doc, description, List.copyOf(new java.util.LinkedHashSet<>(ops))));
  }
}
