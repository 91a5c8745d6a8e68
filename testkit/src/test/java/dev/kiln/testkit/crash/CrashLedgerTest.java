package dev.kiln.testkit.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The check the crash harness runs after each restart, on databases made up in memory. */
class CrashLedgerTest {

  /** A made-up restarted database: documents with their last seq, and its CAR directory. */
  private static final class Db {
    final Map<String, DocRow> rows = new TreeMap<>();
    final Map<String, Long> seqs = new HashMap<>();
    int carLogLength = 2;
    int carFilesAtStart = 2;
    List<String> carFiles = new ArrayList<>(List.of("a.car", "b.car"));
    List<String> tempFiles = new ArrayList<>();

    Db live(String id, int version, long seq) {
      rows.put(id, new DocRow(id, false, CrashDocs.document(id, version)));
      seqs.put(id, seq);
      return this;
    }

    Db deleted(String id, long seq) {
      rows.put(id, new DocRow(id, true, null));
      seqs.put(id, seq);
      return this;
    }

    DatabaseImage image() {
      List<Change> changes = new ArrayList<>();
      Map<String, ObjectNode> gets = new HashMap<>();
      for (DocRow r : rows.values()) {
        changes.add(new Change(seqs.get(r.id()), r.id(), r.deleted(), r.doc()));
        gets.put(r.id(), r.doc());
      }
      changes.sort(Comparator.comparingLong(Change::seq));
      long lastSeq = changes.isEmpty() ? 0 : changes.get(changes.size() - 1).seq();
      long live = rows.values().stream().filter(r -> !r.deleted()).count();
      DatabaseStats stats = new DatabaseStats("crash", carLogLength, carFilesAtStart, 1000, live, 5, 1, lastSeq, "clock", 0, 0, 1000, 0, 1, 0, 1000);
      return new DatabaseImage(rows, gets, changes, stats, carFiles, tempFiles, List.of());
    }
  }

  private static void put(CrashLedger ledger, String id, int version, long seq) {
    ledger.record("SEND PUT " + id + " " + version, "test");
    ledger.record("ACK PUT " + id + " " + version + " " + seq, "test");
  }

  private static void delete(CrashLedger ledger, String id, long seq) {
    ledger.record("SEND DEL " + id, "test");
    ledger.record("ACK DEL " + id + " " + seq, "test");
  }

  /** a at version 2 (seq 3), b deleted (seq 4). */
  private static CrashLedger history() {
    CrashLedger ledger = new CrashLedger();
    put(ledger, "a", 1, 1);
    put(ledger, "b", 1, 2);
    put(ledger, "a", 2, 3);
    delete(ledger, "b", 4);
    return ledger;
  }

  @Test
  void aDatabaseHoldingEveryAcknowledgedWritePasses() {
    CrashLedger ledger = history();
    assertThat(ledger.check(new Db().live("a", 2, 3).deleted("b", 4).image())).isEmpty();
    assertThat(ledger.lastCounts().acks()).isEqualTo(4);
  }

  @Test
  void aLostAcknowledgedPutIsCaught() {
    CrashLedger ledger = history();
    put(ledger, "c", 1, 5);
    List<String> problems = ledger.check(new Db().live("a", 2, 3).deleted("b", 4).image());
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .contains("c: expected version 1", "acknowledged put of version 1 (seq 5)", "the database has nothing"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("seq 5 was acknowledged"));
  }

  @Test
  void anUndoneAcknowledgedDeleteIsCaught() {
    List<String> problems = history().check(new Db().live("a", 2, 3).live("b", 1, 2).image());
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .contains("b: expected a tombstone", "acknowledged delete (seq 4)", "the database has version 1"));
  }

  @Test
  void anOlderVersionThanTheAcknowledgedOneIsCaught() {
    List<String> problems = history().check(new Db().live("a", 1, 1).deleted("b", 4).image());
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("a: expected version 2", "the database has version 1"));
  }

  @Test
  void contentNoWriteHadIsCaught() {
    Db db = new Db().live("a", 2, 3).deleted("b", 4);
    ObjectNode tampered = CrashDocs.document("a", 2);
    ((ObjectNode) tampered.get("body")).put("text", "not what was written");
    db.rows.put("a", new DocRow("a", false, tampered));
    assertThat(history().check(db.image())).anySatisfy(p -> assertThat(p).contains("a: the database holds a document no write of it had"));
  }

  @Test
  void aWriteInFlightAtTheKillMayBeStoredOrNot() {
    CrashLedger stored = history();
    stored.record("SEND PUT d 1", "test");
    stored.record("SEND PUT a 3", "test");
    assertThat(stored.check(new Db().live("a", 3, 6).deleted("b", 4).live("d", 1, 5).image())).isEmpty();
    assertThat(stored.lastCounts().inFlightStored()).isEqualTo(2);

    CrashLedger lost = history();
    lost.record("SEND PUT d 1", "test");
    lost.record("SEND PUT a 3", "test");
    assertThat(lost.check(new Db().live("a", 2, 3).deleted("b", 4).image())).isEmpty();
    assertThat(lost.lastCounts().inFlightLost()).isEqualTo(2);
  }

  @Test
  void aFailedWriteMayBeStoredOrNot() {
    CrashLedger ledger = history();
    ledger.record("SEND DEL a", "test");
    ledger.record("FAIL DEL a TIMEOUT", "test");
    assertThat(ledger.check(new Db().deleted("a", 5).deleted("b", 4).image())).isEmpty();
    assertThat(ledger.check(new Db().live("a", 2, 3).deleted("b", 4).image())).isEmpty();
  }

  @Test
  void anInFlightWriteThatWasStoredMustStayStored() {
    CrashLedger ledger = history();
    ledger.record("SEND PUT d 1", "test");
    DatabaseImage afterFirstKill = new Db().live("a", 2, 3).deleted("b", 4).live("d", 1, 5).image();
    assertThat(ledger.check(afterFirstKill)).isEmpty();
    ledger.settle(afterFirstKill);

    List<String> problems = ledger.check(new Db().live("a", 2, 3).deleted("b", 4).image());
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("d: expected version 1", "held at the last restart with seq 5"));
  }

  @Test
  void theChangesFeedMustShowTheAcknowledgedSeq() {
    List<String> problems = history().check(new Db().live("a", 2, 7).deleted("b", 4).image());
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("a: the changes feed has seq 7", "(seq 3)"));
  }

  @Test
  void aSequenceNumberReusedAfterARestartIsCaught() {
    CrashLedger ledger = history();
    DatabaseImage restart = new Db().live("a", 2, 3).deleted("b", 4).image();
    ledger.settle(restart);
    put(ledger, "e", 1, 4);
    assertThat(ledger.check(new Db().live("a", 2, 3).deleted("b", 4).live("e", 1, 4).image()))
        .anySatisfy(p -> assertThat(p).contains("got seq 4, not above 4", "reused"));
  }

  @Test
  void anIdNoChildWroteIsCaught() {
    assertThat(history().check(new Db().live("a", 2, 3).deleted("b", 4).live("z", 1, 5).image()))
        .anySatisfy(p -> assertThat(p).contains("z: the database holds version 1 for an id no child ever wrote"));
  }

  @Test
  void orphanCarsAndTempFilesAreCaught() {
    Db db = new Db().live("a", 2, 3).deleted("b", 4);
    db.carFilesAtStart = 3;
    db.carFiles.add("orphan.car");
    db.tempFiles.add(".123.car.tmp");
    List<String> problems = history().check(db.image());
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("holds 3 CARs but the CarLog names 2", "orphans were left"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("after Kiln closed the CAR directory holds 3 CARs"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("temp files left", ".123.car.tmp"));
  }

  @Test
  void readPathsThatDisagreeAreCaught() {
    Db db = new Db().live("a", 2, 3).deleted("b", 4);
    DatabaseImage image = db.image();
    Map<String, ObjectNode> gets = new HashMap<>(image.gets());
    gets.put("a", null);
    DatabaseImage getLost = new DatabaseImage(image.rows(), gets, image.changes(), image.stats(), image.carFiles(),
        image.tempFiles(), image.otherFiles());
    assertThat(history().check(getLost)).anySatisfy(p -> assertThat(p).contains("a: get answers NOT_FOUND"));

    DatabaseImage changeLost = new DatabaseImage(image.rows(), image.gets(), image.changes().subList(1, 2), image.stats(),
        image.carFiles(), image.tempFiles(), image.otherFiles());
    assertThat(history().check(changeLost)).anySatisfy(p -> assertThat(p).contains("a: the database holds version 2 but the changes feed has no entry"));
  }

  @Test
  void linesReadBackAsPrinted() {
    List<CrashLine> lines = List.of(new CrashLine.Ready(12, 3), new CrashLine.Send(false, "r1-w0-1", 2),
        new CrashLine.Send(true, "r1-w0-1", 0), new CrashLine.Ack(false, "r1-w0-1", 2, 17),
        new CrashLine.Ack(true, "r1-w0-1", 0, 18), new CrashLine.Fail(false, "x", "OVERLOADED"),
        new CrashLine.Compacting(3), new CrashLine.Compacted(3, 9, 2), new CrashLine.CompactFailed(4, "CLOSED"));
    for (CrashLine line : lines) {
      assertThat(CrashLine.parse(line.format())).isEqualTo(line);
    }
  }

  @Test
  void aLineOutsideTheProtocolIsRefusedByName() {
    assertThatThrownBy(() -> CrashLine.parse("ACK PUT x notanumber 3")).hasMessageContaining("'ACK PUT x notanumber 3'");
    assertThatThrownBy(() -> CrashLine.parse("04:01:02 INFO hello")).hasMessageContaining("not a crash-child line");
    assertThatThrownBy(() -> CrashLine.parse("ACK MOVE x 1")).hasMessageContaining("needs PUT or DEL");
  }
}
