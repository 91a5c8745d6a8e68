package dev.kiln.testkit.crash;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the parent knows about every document from the lines the children printed, and the check of
 * a restarted database against it.
 *
 * <p>For each id the ledger holds what the database must show (the outcome of its last
 * acknowledged write, or of the last state seen at a restart) and what it may show instead: the
 * outcome of a write sent after that and never acknowledged (in flight at the kill, or failed).
 * After a check passes, {@link #settle} takes what the database showed as the new truth, so a write
 * that was in flight and turned out stored must stay stored from then on.
 */
public final class CrashLedger {

  /** What a document is: one version of it, a tombstone, or nothing at all. */
  public sealed interface Fate {}

  public record Live(int version) implements Fate {
    @Override
    public String toString() {
      return "version " + version;
    }
  }

  public record Deleted() implements Fate {
    @Override
    public String toString() {
      return "a tombstone";
    }
  }

  public record Absent() implements Fate {
    @Override
    public String toString() {
      return "nothing";
    }
  }

  private static final Fate DELETED = new Deleted();
  private static final Fate ABSENT = new Absent();

  private static final class Expectation {
    Fate sure = ABSENT;
    long sureSeq; // 0: not known
    String sureWhy = "never acknowledged";
    final List<Fate> maybe = new ArrayList<>();
  }

  /**
   * The numbers of one check.
   *
   * @param ids documents checked
   * @param acks acknowledgements recorded since the check before
   * @param inFlight documents with a write that was sent and never acknowledged
   * @param inFlightStored of those, how many the database turned out to hold
   * @param inFlightLost and how many it did not
   */
  public record CheckCounts(int ids, int acks, int inFlight, int inFlightStored, int inFlightLost) {}

  private final Map<String, Expectation> ids = new LinkedHashMap<>();
  private final List<String> recordProblems = new ArrayList<>();
  private final Map<Long, String> ackedSeqs = new HashMap<>();
  private long floorSeq;
  private long maxAckedSeq;
  private int acksSinceSettle;
  private CheckCounts lastCounts = new CheckCounts(0, 0, 0, 0, 0);

  /** Takes one line of a child; {@code where} names the run, for messages. */
  public void record(CrashLine line, String where) {
    if (line instanceof CrashLine.Send s) {
      expectation(s.id()).maybe.add(s.delete() ? DELETED : new Live(s.version()));
    } else if (line instanceof CrashLine.Ack a) {
      Expectation e = expectation(a.id());
      e.sure = a.delete() ? DELETED : new Live(a.version());
      e.sureSeq = a.seq();
      e.sureWhy = "acknowledged " + (a.delete() ? "delete" : "put of version " + a.version())
          + (a.seq() > 0 ? " (seq " + a.seq() + ")" : "") + " in " + where;
      e.maybe.clear(); // a document has at most one write in flight: this was it
      acksSinceSettle++;
      if (a.seq() > 0) {
        maxAckedSeq = Math.max(maxAckedSeq, a.seq());
        if (a.seq() <= floorSeq) {
          recordProblems.add("acknowledged write of " + a.id() + " in " + where + " got seq " + a.seq()
              + ", not above " + floorSeq + ", the last seq the database held when it restarted: a sequence number was reused");
        }
        String other = ackedSeqs.put(a.seq(), a.id());
        if (other != null) {
          recordProblems.add("seq " + a.seq() + " was acknowledged twice in " + where + ": for " + other + " and for " + a.id());
        }
      }
    }
    // FAIL: the write may or may not be stored; its SEND already made it possible.
  }

  /** Records a line as text, as read from a child's stdout. */
  public void record(String line, String where) {
    record(CrashLine.parse(line), where);
  }

  private Expectation expectation(String id) {
    return ids.computeIfAbsent(id, k -> new Expectation());
  }

  /** Acknowledgements recorded since the last {@link #settle}. */
  public int acksSinceSettle() {
    return acksSinceSettle;
  }

  /** The counts of the last {@link #check}. */
  public CheckCounts lastCounts() {
    return lastCounts;
  }

  /**
   * Every way the database breaks what the children were promised; empty when it keeps every promise.
   * Also checks that all-docs, get, changes, stats and the files on disk agree with each other.
   */
  public List<String> check(DatabaseImage image) {
    List<String> problems = new ArrayList<>(recordProblems);
    Map<String, Change> changeById = new HashMap<>();
    for (Change c : image.changes()) {
      if (changeById.put(c.id(), c) != null) {
        problems.add("the changes feed lists " + c.id() + " twice");
      }
    }
    int inFlight = 0;
    int inFlightStored = 0;
    int inFlightLost = 0;
    for (Map.Entry<String, Expectation> entry : ids.entrySet()) {
      String id = entry.getKey();
      Expectation e = entry.getValue();
      Fate seen = fate(image, id, problems);
      boolean isSure = seen.equals(e.sure);
      boolean isMaybe = e.maybe.contains(seen);
      if (!e.maybe.isEmpty()) {
        inFlight++;
        if (isMaybe && !isSure) {
          inFlightStored++;
        } else {
          inFlightLost++;
        }
      }
      if (!isSure && !isMaybe) {
        problems.add(id + ": expected " + e.sure + " (" + e.sureWhy + ")"
            + (e.maybe.isEmpty() ? "" : " or, from writes never acknowledged, " + e.maybe)
            + ", but the database has " + seen);
        continue;
      }
      Change change = changeById.get(id);
      if (seen instanceof Absent) {
        if (change != null) {
          problems.add(id + ": the changes feed has seq " + change.seq() + " for a document the database does not hold");
        }
      } else if (change == null) {
        problems.add(id + ": the database holds " + seen + " but the changes feed has no entry for it");
      } else if (isSure && !isMaybe && e.sureSeq > 0 && change.seq() != e.sureSeq) {
        problems.add(id + ": the changes feed has seq " + change.seq() + " but its last write was " + e.sureWhy);
      } else if (!isSure && change.seq() <= floorSeq) {
        problems.add(id + ": a write in flight at the kill shows seq " + change.seq()
            + ", not above " + floorSeq + ", the last seq at the restart before it");
      }
    }
    for (String id : image.rows().keySet()) {
      if (!ids.containsKey(id)) {
        problems.add(id + ": the database holds " + fate(image, id, problems) + " for an id no child ever wrote");
      }
    }
    problems.addAll(consistency(image));
    if (image.stats().lastSeq() < maxAckedSeq) {
      problems.add("stats say the last seq is " + image.stats().lastSeq() + " but seq " + maxAckedSeq + " was acknowledged");
    }
    lastCounts = new CheckCounts(ids.size(), acksSinceSettle, inFlight, inFlightStored, inFlightLost);
    return problems;
  }

  /** What the database holds for {@code id}; a live document must be exactly its version's content. */
  private static Fate fate(DatabaseImage image, String id, List<String> problems) {
    DocRow row = image.rows().get(id);
    if (row == null) {
      return ABSENT;
    }
    if (row.deleted()) {
      return DELETED;
    }
    int version = CrashDocs.versionOf(row.doc());
    if (version < 1 || !CrashDocs.sameJson(row.doc(), CrashDocs.document(id, version))) {
      problems.add(id + ": the database holds a document no write of it had: " + abbreviate(row.doc()));
    }
    return new Live(version);
  }

  /** The read paths and the files on disk against each other. */
  static List<String> consistency(DatabaseImage image) {
    List<String> problems = new ArrayList<>();
    for (DocRow row : image.rows().values()) {
      ObjectNode got = image.gets().get(row.id());
      if (row.deleted() && got != null) {
        problems.add(row.id() + ": all-docs has a tombstone but get answers " + abbreviate(got));
      } else if (!row.deleted() && !CrashDocs.sameJson(got, row.doc())) {
        problems.add(row.id() + ": get answers " + (got == null ? "NOT_FOUND" : abbreviate(got))
            + " but all-docs has " + abbreviate(row.doc()));
      }
    }
    long previous = 0;
    Set<String> changed = new HashSet<>();
    for (Change c : image.changes()) {
      if (c.seq() <= previous) {
        problems.add("the changes feed is out of order: seq " + c.seq() + " (" + c.id() + ") after seq " + previous);
      }
      previous = c.seq();
      changed.add(c.id());
      DocRow row = image.rows().get(c.id());
      if (row == null) {
        problems.add(c.id() + ": the changes feed has it at seq " + c.seq() + " but all-docs does not");
      } else if (row.deleted() != c.deleted()) {
        problems.add(c.id() + ": the changes feed says " + (c.deleted() ? "deleted" : "live") + " but all-docs says "
            + (row.deleted() ? "deleted" : "live"));
      } else if (!c.deleted() && !CrashDocs.sameJson(c.doc(), row.doc())) {
        problems.add(c.id() + ": the changes feed has " + abbreviate(c.doc()) + " but all-docs has " + abbreviate(row.doc()));
      }
    }
    for (String id : image.rows().keySet()) {
      if (!changed.contains(id)) {
        problems.add(id + ": all-docs has it but the changes feed does not");
      }
    }
    var stats = image.stats();
    if (!image.changes().isEmpty() && previous != stats.lastSeq()) {
      problems.add("stats say the last seq is " + stats.lastSeq() + " but the changes feed ends at " + previous);
    }
    if (stats.documents() != image.liveCount()) {
      problems.add("stats count " + stats.documents() + " documents but all-docs has " + image.liveCount() + " live ones");
    }
    if (stats.carFiles() != stats.carLogLength()) {
      problems.add("after start-up the CAR directory holds " + stats.carFiles() + " CARs but the CarLog names "
          + stats.carLogLength() + ": " + (stats.carFiles() > stats.carLogLength() ? "orphans were left" : "CARs are missing"));
    }
    if (image.carFiles().size() != stats.carLogLength()) {
      problems.add("after Kiln closed the CAR directory holds " + image.carFiles().size() + " CARs but the CarLog names "
          + stats.carLogLength() + ": " + image.carFiles());
    }
    if (!image.tempFiles().isEmpty()) {
      problems.add("temp files left in the CAR directory after start-up: " + image.tempFiles());
    }
    if (!image.otherFiles().isEmpty()) {
      problems.add("files that are not CARs in the CAR directory: " + image.otherFiles());
    }
    return problems;
  }

  /** Takes what the database holds as the truth from now on (call after a check passed). */
  public void settle(DatabaseImage image) {
    Map<String, Long> seqs = new HashMap<>();
    for (Change c : image.changes()) {
      seqs.put(c.id(), c.seq());
    }
    Set<String> all = new HashSet<>(ids.keySet());
    all.addAll(image.rows().keySet());
    for (String id : all) {
      Expectation e = expectation(id);
      DocRow row = image.rows().get(id);
      e.sure = row == null ? ABSENT : row.deleted() ? DELETED : new Live(CrashDocs.versionOf(row.doc()));
      e.sureSeq = seqs.getOrDefault(id, 0L);
      e.sureWhy = "held at the last restart" + (e.sureSeq > 0 ? " with seq " + e.sureSeq : "");
      e.maybe.clear();
    }
    floorSeq = image.stats().lastSeq();
    maxAckedSeq = floorSeq;
    ackedSeqs.clear();
    recordProblems.clear();
    acksSinceSettle = 0;
  }

  private static String abbreviate(ObjectNode doc) {
    String s = String.valueOf(doc);
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }
}
