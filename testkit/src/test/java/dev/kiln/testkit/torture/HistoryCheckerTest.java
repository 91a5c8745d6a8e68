package dev.kiln.testkit.torture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The checker on small hand-written histories: what it must flag, and what it must let pass. */
class HistoryCheckerTest {

  /** Builds a history; times are plain numbers (think milliseconds). */
  static final class H {
    final List<Op> ops = new ArrayList<>();

    Op add(String process, OpKind kind, String doc, long value, long since, long invoke, long complete, Outcome outcome) {
      Op op = new Op(ops.size() + 1, process, kind, doc, value, since, invoke, complete, outcome);
      ops.add(op);
      return op;
    }

    H put(String doc, long v, long invoke, long complete, long seq, String clock) {
      add("w", OpKind.PUT, doc, v, 0, invoke, complete, new Outcome.Ok(new Reply.Written(seq, clock)));
      return this;
    }

    H putUnknown(String doc, long v, long invoke) {
      add("w", OpKind.PUT, doc, v, 0, invoke, invoke + 5, new Outcome.Unknown("TIMEOUT"));
      return this;
    }

    H delete(String doc, long invoke, long complete, long seq, String clock) {
      add("d", OpKind.DELETE, doc, 0, 0, invoke, complete, new Outcome.Ok(new Reply.Written(seq, clock)));
      return this;
    }

    H get(String doc, Long value, long invoke, long complete) {
      add("r", OpKind.GET, doc, 0, 0, invoke, complete, new Outcome.Ok(new Reply.Read(value)));
      return this;
    }

    H scan(String clock, long invoke, long complete, Reply.Row... rows) {
      add("r", OpKind.ALL_DOCS, null, 0, 0, invoke, complete, new Outcome.Ok(new Reply.Scanned(Arrays.asList(rows), clock)));
      return this;
    }

    H putBy(String writer, String doc, long v, long invoke, long complete, long seq, String clock) {
      add(writer, OpKind.PUT, doc, v, 0, invoke, complete, new Outcome.Ok(new Reply.Written(seq, clock)));
      return this;
    }

    H query(String writer, String clock, long invoke, long complete, Reply.Row... rows) {
      add("r", OpKind.QUERY, writer, 0, 0, invoke, complete,
          new Outcome.Ok(new Reply.Queried(writer, Arrays.asList(rows), clock)));
      return this;
    }

    H changes(long since, long lastSeq, String clock, long invoke, long complete, Reply.Change... changes) {
      add("r", OpKind.CHANGES, null, 0, since, invoke, complete,
          new Outcome.Ok(new Reply.Fed(Arrays.asList(changes), lastSeq, clock)));
      return this;
    }

    H failed(OpKind kind, String doc, ErrorCode code, String message, long invoke, long complete) {
      add("r", kind, doc, 0, 0, invoke, complete, new Outcome.Failed(code, message));
      return this;
    }

    List<Anomaly> check() {
      return HistoryChecker.check(ops, false);
    }
  }

  static Reply.Row row(String id, long v) {
    return new Reply.Row(id, v);
  }

  static Reply.Change change(long seq, String id, Long v) {
    return new Reply.Change(seq, id, v == null, v == null ? 0 : v);
  }

  static List<String> kinds(List<Anomaly> anomalies) {
    return anomalies.stream().map(Anomaly::kind).toList();
  }

  @Test
  void aCleanHistoryPasses() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("b", 2, 0, 10, 2, "c1")
        .get("a", 1L, 11, 12)
        .put("a", 3, 20, 30, 3, "c2")
        .get("a", 1L, 21, 25) // concurrent with the put of 3: the old value is still allowed
        .get("a", 3L, 26, 28) // and so is the new one, in flight
        .scan("c2", 31, 32, row("a", 3), row("b", 2))
        .delete("b", 40, 50, 4, "c3")
        .get("b", null, 51, 52)
        .changes(0, 4, "c3", 53, 54, change(3, "a", 3L), change(4, "b", null));
    assertThat(h.check()).isEmpty();
  }

  @Test
  void aScanOfACommitOlderThanAnAcknowledgedWriteIsAStaleSnapshot() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("b", 2, 20, 30, 2, "c2")
        .scan("c1", 31, 32, row("a", 1));
    assertThat(kinds(h.check())).contains("stale snapshot");
  }

  @Test
  void snapshotsThatMatchTheirCommitPass() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("b", 2, 0, 10, 2, "c1")
        .scan("c1", 5, 12, row("a", 1), row("b", 2))
        .put("a", 3, 20, 30, 3, "c2")
        .scan("c2", 31, 32, row("a", 3), row("b", 2))
        .changes(0, 3, "c2", 33, 34, change(2, "b", 2L), change(3, "a", 3L))
        .changes(2, 3, "c2", 33, 34, change(3, "a", 3L));
    assertThat(h.check()).isEmpty();
  }

  @Test
  void aReadOlderThanAnAcknowledgedWriteIsAStaleRead() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("a", 2, 20, 30, 2, "c2")
        .get("a", 1L, 40, 41);
    List<Anomaly> found = h.check();
    assertThat(kinds(found)).containsExactly("stale read");
    // The slice is the two writes and the read, not the whole history.
    assertThat(found.get(0).slice()).extracting(Op::index).containsExactly(1L, 2L, 3L);
    assertThat(found.get(0).render(0)).contains("a", "v=1", "v=2");
  }

  @Test
  void aDocumentMissingAfterItsPutWasAcknowledgedIsALostWrite() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .get("a", null, 20, 21);
    assertThat(kinds(h.check())).containsExactly("lost write");
  }

  @Test
  void aFeedThatLeavesOutAChangedDocumentHasAGap() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("b", 2, 0, 10, 2, "c1")
        .changes(0, 2, "c1", 20, 21, change(2, "b", 2L));
    assertThat(kinds(h.check())).contains("gap in changes");
  }

  @Test
  void aFeedThatNamesADocumentTwiceHasADuplicate() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("a", 2, 0, 10, 2, "c1")
        .changes(0, 2, "c1", 20, 21, change(1, "a", 1L), change(2, "a", 2L));
    assertThat(kinds(h.check())).contains("duplicate in changes");
  }

  @Test
  void aFeedListingADocumentThatDidNotChangeAfterSinceHasAPhantom() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("b", 2, 0, 10, 2, "c1")
        .changes(1, 2, "c1", 20, 21, change(1, "a", 1L), change(2, "b", 2L));
    assertThat(kinds(h.check())).contains("phantom change");
  }

  @Test
  void aScanMixingTwoCommitsIsAnInconsistentSnapshot() {
    // The scan claims commit c1 (seq 2) but shows b's value from c2 (seq 3).
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .put("b", 2, 0, 10, 2, "c1")
        .put("b", 3, 11, 20, 3, "c2")
        .scan("c1", 5, 25, row("a", 1), row("b", 3));
    assertThat(kinds(h.check())).containsExactly("inconsistent snapshot");
  }

  @Test
  void aWriteWhoseOutcomeIsUnknownMayOrMayNotBeSeen() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .putUnknown("a", 2, 20)
        .get("a", 1L, 25, 26) // not yet landed
        .get("a", 2L, 30, 31) // landed
        .scan("c1", 50, 51, row("a", 1))
        .changes(0, 1, "c1", 52, 53, change(1, "a", 1L));
    // Reads of a document with an unknown write are never flagged for it.
    assertThat(h.check()).isEmpty();
  }

  @Test
  void aWriteThatFailedWithStorageIsNeverSeen() {
    H h = new H().put("a", 1, 0, 10, 1, "c1");
    h.add("w", OpKind.PUT, "a", 2, 0, 20, 30, new Outcome.Failed(ErrorCode.STORAGE, "storage failed: disk full"));
    h.get("a", 2L, 40, 41);
    assertThat(kinds(HistoryChecker.check(h.ops, true))).containsExactly("failed write visible");
  }

  @Test
  void aWriteThatAFencedFormerOwnerRefusedIsNeverSeen() {
    H h = new H().put("a", 1, 0, 10, 1, "c1");
    h.add("w", OpKind.PUT, "a", 2, 0, 20, 30, new Outcome.Failed(ErrorCode.FENCED, "database t moved to another owner"));
    h.get("a", 2L, 40, 41);
    assertThat(kinds(new HistoryChecker(Set.of(ErrorCode.FENCED)).check(h.ops)))
        .containsExactly("failed write visible");
  }

  @Test
  void aMissingBlockOrAnUnexpectedErrorIsAFailure() {
    H h = new H()
        .put("a", 1, 0, 10, 1, "c1")
        .failed(OpKind.GET, "a", ErrorCode.INTERNAL, "bug: missing block: bafy… (docs tree)", 20, 21)
        .failed(OpKind.ALL_DOCS, null, ErrorCode.CORRUPT, "block does not match its CID", 22, 23)
        .failed(OpKind.GET, "a", ErrorCode.STORAGE, "storage failed", 24, 25)
        .failed(OpKind.GET, "a", ErrorCode.CLOSED, "database torture is closed", 26, 27);
    assertThat(kinds(h.check())).containsExactly("missing block", "unexpected error", "unexpected error");
    // With faults injected, STORAGE is what the run provoked; a missing block never is.
    assertThat(kinds(HistoryChecker.check(h.ops, true))).containsExactly("missing block", "unexpected error");
  }

  @Test
  void aQueryThatMatchesItsCommitPasses() {
    H h = new H()
        .putBy("w0", "a", 1, 0, 10, 1, "c1")
        .putBy("w1", "b", 2, 0, 10, 2, "c1")
        .putBy("w1", "a", 3, 20, 30, 3, "c2")
        .query("w0", "c1", 11, 12, row("a", 1))
        .query("w1", "c2", 31, 32, row("a", 3), row("b", 2))
        .query("w0", "c2", 31, 32);
    assertThat(h.check()).isEmpty();
  }

  @Test
  void aQueryThatLeavesOutOrKeepsAnOldVersionIsInconsistent() {
    List<Anomaly> missing = new H()
        .putBy("w0", "a", 1, 0, 10, 1, "c1")
        .putBy("w0", "b", 2, 0, 10, 2, "c1")
        .query("w0", "c1", 11, 12, row("b", 2))
        .check();
    assertThat(kinds(missing)).contains("inconsistent query");
    List<Anomaly> moved = new H()
        .putBy("w0", "a", 1, 0, 10, 1, "c1")
        .putBy("w1", "a", 2, 20, 30, 2, "c2")
        .query("w0", "c2", 31, 32, row("a", 1)) // a moved to w1's entries, but w0's old entry is still there
        .check();
    assertThat(kinds(moved)).contains("inconsistent query");
  }

  @Test
  void aQueryRowWrittenByAnotherWriterIsWrong() {
    List<Anomaly> wrong = new H()
        .putBy("w0", "a", 1, 0, 10, 1, "c1")
        .query("w1", "c1", 11, 12, row("a", 1))
        .check();
    assertThat(kinds(wrong)).contains("wrong query row");
  }
}
