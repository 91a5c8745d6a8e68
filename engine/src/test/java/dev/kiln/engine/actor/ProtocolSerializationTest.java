package dev.kiln.engine.actor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.KilnSerializable;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every protocol message and journal event goes through jackson-cbor and comes back equal. */
class ProtocolSerializationTest {
  static final ActorTestKit testKit = ActorTestKit.create(KilnConfig.withDefaults(ConfigFactory.parseString(
      "kiln.journal.plugin-id = \"pekko.persistence.journal.inmem\"\n"
          + "kiln.journal.snapshot-plugin-id = \"pekko.persistence.no-snapshot-store\"")));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static Object roundTrip(Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var serializer = serialization.findSerializerFor(message);
    assertThat(serializer.getClass().getSimpleName()).isEqualTo("JacksonCborSerializer");
    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void commandsRepliesAndEventsCrossTheWireUnchanged() {
    ActorRef<StatusReply<DatabaseProtocol.WriteResult>> writeReply = testKit.<StatusReply<DatabaseProtocol.WriteResult>>createTestProbe().getRef();
    ActorRef<StatusReply<DatabaseProtocol.AllDocsResult>> allReply = testKit.<StatusReply<DatabaseProtocol.AllDocsResult>>createTestProbe().getRef();
    Cid cid = Cid.dagCbor(new byte[] {(byte) 0xa0});
    List<KilnSerializable> messages = List.of(
        new DatabaseProtocol.Put(JsonNodeFactory.instance.objectNode().put("_id", "a").put("n", 1), writeReply),
        new DatabaseProtocol.Delete("a", writeReply),
        new DatabaseProtocol.Put(JsonNodeFactory.instance.objectNode().put("_id", "a"),
            DatabaseProtocol.Expected.version(new DatabaseProtocol.Version(3, cid.toString())), writeReply),
        new DatabaseProtocol.Delete("a", DatabaseProtocol.Expected.absent(), writeReply),
        new DatabaseProtocol.DocResult("a", JsonNodeFactory.instance.objectNode().put("_id", "a"),
            new DatabaseProtocol.Version(3, cid.toString()), cid.toString()),
        new DatabaseProtocol.WriteResult("a", 8, cid.toString(), cid.toString()),
        new DatabaseProtocol.AllDocs(DatabaseProtocol.AllDocsQuery.all().withPrefix("p").withLimit(3), allReply),
        new DatabaseProtocol.WriteResult("a", 7, cid.toString()),
        new Events.CarAppended(cid, cid, 7),
        new Events.Compacted(cid, 2),
        new Events.State(List.of(cid, cid), cid, 7, 3, 1),
        new DatabaseProtocol.Query("address.city", DatabaseProtocol.IndexQuery.all().withStart("null").withEnd("[1,\"a\"]")
            .withKeys(List.of("1", "\"x\"")).withLimit(10).withDescending(true).withIncludeDocs(true),
            testKit.<StatusReply<DatabaseProtocol.QueryResult>>createTestProbe().getRef()),
        new DatabaseProtocol.DefineIndex("/a/b", testKit.<StatusReply<DatabaseProtocol.IndexDefined>>createTestProbe().getRef()),
        new DatabaseProtocol.QueryResult(List.of(
            new DatabaseProtocol.QueryRow(JsonNodeFactory.instance.nullNode(), "a", JsonNodeFactory.instance.nullNode(), null),
            new DatabaseProtocol.QueryRow(JsonNodeFactory.instance.arrayNode().add(1).add("x"), "b",
                JsonNodeFactory.instance.numberNode(2.5), JsonNodeFactory.instance.objectNode().put("_id", "b"))),
            cid.toString()),
        new DatabaseProtocol.IndexDefined("age", cid.toString()),
        // A read inside a view keeps its own type (the field is declared as the Command interface).
        new DatabaseProtocol.InView(3, new DatabaseProtocol.AllDocs(DatabaseProtocol.AllDocsQuery.all(), allReply)),
        new DatabaseProtocol.InView(4, new DatabaseProtocol.Get("a",
            testKit.<StatusReply<DatabaseProtocol.DocResult>>createTestProbe().getRef())));
    for (KilnSerializable m : messages) {
      assertThat(roundTrip(m)).as(m.getClass().getSimpleName()).isEqualTo(m);
    }
  }
}
