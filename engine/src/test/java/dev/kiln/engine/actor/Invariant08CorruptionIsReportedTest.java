package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 8: every block read is checked against its CID. A flipped byte in a CAR gives a
 * CORRUPT error naming the file and the CID, never a wrong document; a CAR truncated while the
 * database was down makes every call fail with CORRUPT naming that CAR.
 */
class Invariant08CorruptionIsReportedTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv08", dir.resolve("kit"));
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static InvariantKit.Client open(String name, FileCarStore store, Cache<Cid, Block> cache) {
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, cache, InvariantKit.settings(kit)), name + "-" + System.nanoTime());
    return new InvariantKit.Client(kit.system(), ref);
  }

  @Test
  void invariant8_aFlippedByteInAStoredDocumentIsReportedNeverReturnedAsAnotherDocument() throws Exception {
    String name = InvariantKit.uniqueName("flipped");
    FileCarStore store = new FileCarStore(dir.resolve(name), false);
    Cache<Cid, Block> cache = InvariantKit.cache();
    InvariantKit.Client db = open(name, store, cache);
    var victim = doc("victim", "aaaaaaaaaaaaaaaaaaaa");
    await(db.put(doc("before", 1)));
    await(db.put(victim));
    await(db.put(doc("after", 2)));

    // The victim's document block, and where its text sits in the CAR file.
    Block block = DocumentCodec.prepare(victim, Integer.MAX_VALUE).block();
    Cid car = null;
    BlockLocation at = null;
    for (Cid c : InvariantKit.carLog(journal, name)) {
      at = store.open(c).find(block.cid());
      if (at != null) {
        car = c;
        break;
      }
    }
    assertThat(car).as("the victim's CAR").isNotNull();
    int inBlock = indexOf(block.bytes(), "aaaaaaaaaaaaaaaaaaaa".getBytes(StandardCharsets.US_ASCII));
    // 'a' -> 'b': still valid DAG-CBOR, still a JSON object; only the CID check can tell.
    flip(store.pathOf(car), at.offset() + inBlock, 0x03);
    cache.invalidateAll();

    KilnException get = failure(db.get("victim"), ErrorCode.CORRUPT);
    assertThat(get.getMessage()).contains(car.toString()).contains(block.cid().toString());
    KilnException all = failure(db.allDocs(), ErrorCode.CORRUPT);
    assertThat(all.getMessage()).contains(car.toString()).contains(block.cid().toString());
    KilnException changes = failure(db.changes(0), ErrorCode.CORRUPT);
    assertThat(changes.getMessage()).contains(block.cid().toString());

    // Other documents, in other CARs, still read.
    assertThat(db.n("before")).isEqualTo(1);
    assertThat(db.n("after")).isEqualTo(2);
  }

  @Test
  void invariant8_aCarTruncatedWhileDownMakesEveryCallFailWithCorruptNamingIt() throws Exception {
    String name = InvariantKit.uniqueName("truncated");
    Path cars = dir.resolve(name);
    Cache<Cid, Block> cache = InvariantKit.cache();
    FileCarStore store = new FileCarStore(cars, false);
    InvariantKit.Client db = open(name, store, cache);
    for (int i = 0; i < 3; i++) {
      await(db.put(doc("d" + i, i)));
    }
    db.closeAndAwait(kit);
    List<Cid> log = InvariantKit.carLog(journal, name);
    Cid damaged = log.get(1);
    Path file = store.pathOf(damaged);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(file) / 2);
    }
    int events = journal.persistedInStorage(InvariantKit.persistenceId(name)).size();

    cache.invalidateAll();
    InvariantKit.Client reopened = open(name, new FileCarStore(cars, false), cache);
    List<CompletableFuture<?>> calls = List.of(
        reopened.get("d0"), reopened.allDocs(), reopened.changes(0), reopened.stats(),
        reopened.put(doc("new", 9)), reopened.delete("d1"), reopened.compact());
    for (CompletableFuture<?> call : calls) {
      KilnException e = failure(call, ErrorCode.CORRUPT);
      assertThat(e.getMessage()).as("names the damaged CAR").contains(damaged.toString());
    }
    assertThat(Files.exists(file)).as("a CAR the CarLog names is never removed, damaged or not").isTrue();
    assertThat(journal.persistedInStorage(InvariantKit.persistenceId(name))).as("nothing was stored").hasSize(events);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  private static void flip(Path file, long offset, int xor) throws Exception {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ xor));
      b.rewind();
      ch.write(b, offset);
    }
  }
}
