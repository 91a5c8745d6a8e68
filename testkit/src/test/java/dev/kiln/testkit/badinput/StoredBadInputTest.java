package dev.kiln.testkit.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.actor.Events;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad stored input, on Kiln's real H2 journal and CAR files: a journal row whose event payload is
 * damaged, a journal row that names a CAR that is not there, a CAR replaced by random bytes, valid
 * CARs of unexpected content named by the journal (a root that is no commit, a commit whose trees are
 * missing), foreign files in a CAR directory. The damage is done while Kiln is closed. On reopening,
 * every call to the damaged database fails with a typed error that names what is wrong, another
 * database in the same Kiln keeps working, and nothing the damaged database stored changes.
 */
class StoredBadInputTest {
  static final long SEED = Long.getLong("kiln.badinput.seed", 20261126L);
  static final String VICTIM = "victim";
  static final String VICTIM_PID = "KilnDatabase|" + VICTIM;
  static final Map<String, Object> SETTINGS = Map.of("kiln.car.fsync", "off", "kiln.auto-compact", 0,
      "kiln.ask-timeout", "10s"); // a database that hangs shows up as TIMEOUT, not as a long wait

  @TempDir Path dir;
  Random random = new Random(SEED);

  @BeforeEach
  void storeSomething() {
    try (Kiln kiln = TestKiln.start(dir, SETTINGS)) {
      Database victim = kiln.open(VICTIM);
      for (int i = 0; i < 5; i++) {
        victim.put(doc("d" + i, i)).toCompletableFuture().join(); // five commits: five events, five CARs
      }
      kiln.open("bystander").put(doc("b0", 0)).toCompletableFuture().join();
    }
  }

  // ------------------------------------------------------------------ journal rows

  @Test
  void anEventPayloadOfRandomBytes() throws Exception {
    byte[] junk = new byte[40];
    random.nextBytes(junk);
    setLastPayload(junk);

    reopenExpectingTypedFailures(ErrorCode.JOURNAL, VICTIM, "cannot be replayed", "byte offset");
  }

  @Test
  void aTruncatedEventPayload() throws Exception {
    byte[] payload = lastEvent().payload();
    setLastPayload(Arrays.copyOf(payload, payload.length / 2));

    reopenExpectingTypedFailures(ErrorCode.JOURNAL, VICTIM, "cannot be replayed", "end-of-input");
  }

  @Test
  void anEventNamingACarThatIsNotThere() throws Exception {
    Cid missing = Block.raw(bytes(64)).cid();
    forgeLastEvent(e -> new Events.CarAppended(missing, e.commit(), e.seq()));

    reopenExpectingTypedFailures(ErrorCode.CORRUPT, missing.toString());
  }

  // ------------------------------------------------------------------ CAR files

  @Test
  void aCarTheJournalNamesReplacedByRandomBytesOfTheSameLength() throws Exception {
    Cid car = lastEvent().event().car();
    Path file = cars().pathOf(car);
    Files.write(file, bytes((int) Files.size(file)));

    reopenExpectingTypedFailures(ErrorCode.CORRUPT, car.toString(), "offset");
  }

  @Test
  void aCarWhoseFileHashIsRightButOneBlockDoesNotHashToItsCid() throws Exception {
    Cid original = lastEvent().event().car();
    byte[] bytes = Files.readAllBytes(cars().pathOf(original));
    bytes[bytes.length - 3] ^= 0x5A; // inside the last block's data
    Cid renamed = Block.raw(bytes).cid(); // a CAR is named by the hash of its file: this one passes that check
    Files.write(cars().dir().resolve(renamed + ".car"), bytes);
    forgeLastEvent(e -> new Events.CarAppended(renamed, e.commit(), e.seq()));

    reopenExpectingTypedFailures(ErrorCode.CORRUPT, renamed.toString(), "do not match their CID", "offset");
  }

  @Test
  void aValidCarWhoseRootIsNoCommitBlock() throws Exception {
    Block notACommit = Block.encode(Map.of("hello", "world", "n", 42L));
    CarIndex car = cars().write(List.of(notACommit.cid()), List.of(notACommit));
    forgeLastEvent(e -> new Events.CarAppended(car.car(), notACommit.cid(), e.seq()));

    reopenExpectingTypedFailures(ErrorCode.CORRUPT, notACommit.cid().toString());
  }

  @Test
  void aValidCarWithACommitWhoseTreesAreMissing() throws Exception {
    Cid missingTree = Block.raw(bytes(32)).cid();
    Block commit = new CommitRoots(missingTree, missingTree, 5, 5).toBlock();
    CarIndex car = cars().write(List.of(commit.cid()), List.of(commit));
    forgeLastEvent(e -> new Events.CarAppended(car.car(), commit.cid(), e.seq()));

    reopenExpectingTypedFailures(ErrorCode.CORRUPT, missingTree.toString());
  }

  @Test
  void foreignFilesInTheCarDirectoryAreLeftAloneAndTheDatabaseWorks() throws Exception {
    Path cars = cars().dir();
    Files.write(cars.resolve("junk.car"), bytes(300));
    Files.write(cars.resolve("notes.txt"), "not a CAR".getBytes());
    Files.createDirectories(cars.resolve("sub"));
    StoredState before = StoredState.read(dir);

    try (Kiln kiln = TestKiln.start(dir, SETTINGS)) {
      Database victim = kiln.open(VICTIM);
      assertThat(victim.get("d4").toCompletableFuture().join().get("v").asInt()).isEqualTo(4);
      assertThat(victim.allDocs().toCompletableFuture().join().rows()).hasSize(5);
    }
    assertUnchanged(before, StoredState.read(dir));
  }

  // ------------------------------------------------------------------ the check

  /**
   * Reopens Kiln: every call to the victim fails with {@code code} and a message naming {@code what};
   * the bystander reads and writes; nothing of the victim's changes.
   */
  private void reopenExpectingTypedFailures(ErrorCode code, String... what) {
    StoredState before = StoredState.read(dir);
    try (Kiln kiln = TestKiln.start(dir, SETTINGS)) {
      Database victim = kiln.open(VICTIM);
      List<CompletionStage<?>> calls = List.of(victim.get("d0"), victim.allDocs(), victim.stats(),
          victim.changes(0, 0), victim.put(doc("new", 9)), victim.delete("d1"), victim.compact());
      for (CompletionStage<?> call : calls) {
        KilnException e = failure(call);
        assertThat(e.code()).as("code of %s", e.getMessage()).isEqualTo(code);
        assertThat(e.getMessage()).as("the message names what is wrong").contains(what);
      }
      Database bystander = kiln.open("bystander");
      assertThat(bystander.get("b0").toCompletableFuture().join().get("v").asInt()).isZero();
      bystander.put(doc("b1", 1)).toCompletableFuture().join();
    }
    assertUnchanged(victimOnly(before), victimOnly(StoredState.read(dir)));
  }

  private static void assertUnchanged(StoredState before, StoredState after) {
    assertThat(after.files()).as("files").containsExactlyInAnyOrderEntriesOf(before.files());
    assertThat(after.journalRows()).as("journal rows").containsExactlyElementsOf(before.journalRows());
    assertThat(after.snapshotRows()).as("snapshot rows").containsExactlyElementsOf(before.snapshotRows());
  }

  private static StoredState victimOnly(StoredState s) {
    Predicate<String> victim = k -> k.startsWith(VICTIM + "/") || k.startsWith(VICTIM_PID + "|");
    return new StoredState(
        s.files().entrySet().stream().filter(e -> victim.test(e.getKey()))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
        s.journalRows().stream().filter(victim).toList(), s.snapshotRows().stream().filter(victim).toList());
  }

  private static KilnException failure(CompletionStage<?> call) {
    try {
      Object answer = call.toCompletableFuture().join();
      throw new AssertionError("expected a typed failure, got an answer: " + answer);
    } catch (CompletionException e) {
      assertThat(e.getCause()).as("the error of a call to a damaged database").isInstanceOf(KilnException.class);
      return (KilnException) e.getCause();
    }
  }

  // ------------------------------------------------------------------ damage

  private FileCarStore cars() {
    return new FileCarStore(dir.resolve(VICTIM).resolve("cars"), false);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private record Row(long seq, int serId, String manifest, byte[] payload, Events.CarAppended event) {}

  /** The victim's last journal row, decoded with Kiln's own serialization. */
  private Row lastEvent() throws Exception {
    try (Connection c = StoredState.journal(dir);
        PreparedStatement s = c.prepareStatement("SELECT \"sequence_number\", \"event_ser_id\", \"event_ser_manifest\", "
            + "\"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\" DESC LIMIT 1")) {
      s.setString(1, VICTIM_PID);
      try (ResultSet r = s.executeQuery()) {
        assertThat(r.next()).as("the victim has events").isTrue();
        long seq = r.getLong(1);
        int serId = r.getInt(2);
        String manifest = r.getString(3);
        byte[] payload = r.getBytes(4);
        Object event = withSerialization(ser -> ser.deserialize(payload, serId, manifest).get());
        return new Row(seq, serId, manifest, payload, (Events.CarAppended) event);
      }
    }
  }

  private void setLastPayload(byte[] payload) throws Exception {
    Row last = lastEvent();
    update(last.seq(), last.serId(), last.manifest(), payload);
  }

  /** Replaces the victim's last event by another, serialized as Kiln would. */
  private void forgeLastEvent(Function<Events.CarAppended, Events.Event> forge) throws Exception {
    Row last = lastEvent();
    Events.Event forged = forge.apply(last.event());
    Object[] serialized = withSerialization(ser -> {
      Serializer serializer = ser.findSerializerFor(forged);
      return new Object[] {serializer.identifier(), Serializers.manifestFor(serializer, forged), serializer.toBinary(forged)};
    });
    update(last.seq(), (Integer) serialized[0], (String) serialized[1], (byte[]) serialized[2]);
  }

  private void update(long seq, int serId, String manifest, byte[] payload) throws Exception {
    try (Connection c = StoredState.journal(dir);
        PreparedStatement s = c.prepareStatement("UPDATE \"event_journal\" SET \"event_ser_id\" = ?, "
            + "\"event_ser_manifest\" = ?, \"event_payload\" = ? WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
      s.setInt(1, serId);
      s.setString(2, manifest);
      s.setBytes(3, payload);
      s.setString(4, VICTIM_PID);
      s.setLong(5, seq);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }
  }

  /** Kiln's serialization setup, in an ActorSystem that never touches the journal (one for the class). */
  private static Serialization serialization;
  private static ActorSystem<Void> serializationSystem;

  @AfterAll
  static void stopSerialization() {
    if (serializationSystem != null) {
      serializationSystem.terminate();
      serializationSystem.getWhenTerminated().toCompletableFuture().join();
    }
  }

  private <T> T withSerialization(Function<Serialization, T> f) {
    if (serialization == null) {
      serializationSystem = ActorSystem.create(Behaviors.empty(), "forger", TestKiln.config(dir, SETTINGS));
      serialization = SerializationExtension.get(serializationSystem.classicSystem());
    }
    return f.apply(serialization);
  }

  private static ObjectNode doc(String id, int v) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("v", v);
  }

}
