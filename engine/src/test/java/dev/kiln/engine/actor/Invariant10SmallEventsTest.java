package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.DatabaseProtocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 10: journal events stay small. {@code CarAppended} names one CAR and its commit block,
 * {@code Compacted} one CAR and a count, never the whole CarLog, so their serialized size does not
 * grow with the CarLog (Fireproof's headers do).
 */
class Invariant10SmallEventsTest {
  /** Two CIDs and a number as CBOR text fields, with room to spare; a CarLog of 200 would be ~12 KB. */
  static final int BOUND = 256;

  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv10", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private record Sized(Events.Event event, int carLogBefore, int bytes) {}

  @Test
  void invariant10_eventSizeIsBoundedAndDoesNotGrowWithTheCarLog() {
    String name = InvariantKit.uniqueName("events");
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, new MemoryCarStore(), InvariantKit.cache(), InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    for (int i = 0; i < 200; i++) {
      await(db.put(doc("d" + i, i))); // one at a time: one commit, one CAR each
    }
    assertThat(await(db.compact()).carLogBefore()).isEqualTo(200);
    for (int i = 0; i < 20; i++) {
      await(db.put(doc("e" + i, i)));
    }
    await(db.compact());

    Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
    List<Sized> sized = new ArrayList<>();
    Events.State state = Events.State.empty();
    for (Events.Event e : InvariantKit.journal(journal, name)) {
      Serializer serializer = serialization.findSerializerFor(e);
      assertThat(serializer.getClass().getSimpleName()).isEqualTo("JacksonCborSerializer");
      byte[] bytes = serializer.toBinary(e);
      assertThat(serialization.deserialize(bytes, serializer.identifier(), e.getClass().getName()).get())
          .isEqualTo(e);
      sized.add(new Sized(e, state.carLog().size(), bytes.length));
      state = state.apply(e);
    }
    List<Sized> appended = sized.stream().filter(s -> s.event() instanceof Events.CarAppended).toList();
    List<Sized> compacted = sized.stream().filter(s -> s.event() instanceof Events.Compacted).toList();
    assertThat(appended).hasSize(220);
    assertThat(compacted).hasSize(2);
    assertThat(sized).allSatisfy(s -> assertThat(s.bytes()).as("%s", s.event()).isLessThanOrEqualTo(BOUND));

    // The append onto a CarLog of 199 CARs is as small as the very first one (the sequence number
    // gains a few bytes at most).
    Sized first = appended.get(0);
    Sized longest = appended.stream().filter(s -> s.carLogBefore() == 199).findFirst().orElseThrow();
    assertThat(longest.bytes()).isLessThanOrEqualTo(first.bytes() + 4);
    // Replacing 200 CARs takes no more room than replacing 21.
    assertThat(compacted.get(0).carLogBefore()).isEqualTo(200);
    assertThat(compacted.get(0).bytes()).isLessThanOrEqualTo(compacted.get(1).bytes() + 2);
  }
}
