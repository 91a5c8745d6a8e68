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

/**
 * Every protocol message and journal event goes through jackson-cbor and comes back equal. The
 * messages are found by reflection (every record in {@link DatabaseProtocol} and {@link Events}), so
 * a message added later is checked without anyone remembering to list it.
 */
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
        new Events.Compacted(cid, 2, 1, 1234, true),
        new Events.State(List.of(cid, cid), cid, 7, 3, 1, 1, 500, 1),
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

  @Test
  void everyRecordOfTheProtocolAndTheJournalIsFoundAndCrossesTheWireUnchanged() throws Exception {
    List<Class<?>> records = new java.util.ArrayList<>();
    for (Class<?> outer : List.of(DatabaseProtocol.class, Events.class)) {
      for (Class<?> c : outer.getDeclaredClasses()) {
        if (c.isRecord() && KilnSerializable.class.isAssignableFrom(c)) {
          records.add(c);
        }
      }
    }
    // The protocol had 33 message and value records and the journal 4 when this test was written.
    assertThat(records).as("records found").hasSizeGreaterThanOrEqualTo(37);
    List<String> checked = new java.util.ArrayList<>();
    for (Class<?> c : records) {
      Object sample = sample(c, c);
      assertThat(roundTrip(sample)).as("%s round trip", c.getSimpleName()).isEqualTo(sample);
      checked.add(c.getSimpleName());
    }
    assertThat(checked).hasSameSizeAs(records);
  }

  /** A value of {@code type} with every component set (to a non-default value where it can). */
  private static Object sample(java.lang.reflect.Type type, Class<?> owner) throws Exception {
    Class<?> raw = type instanceof java.lang.reflect.ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    if (raw == String.class) {
      return "s-" + owner.getSimpleName();
    } else if (raw == long.class || raw == Long.class) {
      return 7L;
    } else if (raw == int.class || raw == Integer.class) {
      return 3;
    } else if (raw == boolean.class || raw == Boolean.class) {
      return true;
    } else if (raw == double.class || raw == Double.class) {
      return 2.5;
    } else if (raw == Cid.class) {
      return Cid.dagCbor(new byte[] {(byte) 0xa0});
    } else if (raw == DatabaseProtocol.Version.class) { // its text form is <seq>-<cid>, checked when read
      return new DatabaseProtocol.Version(7, Cid.dagCbor(new byte[] {(byte) 0xa0}).toString());
    } else if (raw == RequestWindow.class) { // a class (it keeps an index), built from its chunks
      return new RequestWindow(List.of((RequestWindow.Chunk) record(RequestWindow.Chunk.class)));
    } else if (raw == ActorRef.class) {
      return testKit.createTestProbe().getRef();
    } else if (raw == com.fasterxml.jackson.databind.JsonNode.class
        || raw == com.fasterxml.jackson.databind.node.ObjectNode.class) {
      return JsonNodeFactory.instance.objectNode().put("_id", "x").put("n", 1);
    } else if (raw == List.class) {
      java.lang.reflect.Type item = ((java.lang.reflect.ParameterizedType) type).getActualTypeArguments()[0];
      return List.of(sample(item, owner));
    } else if (raw == java.util.SortedMap.class) {
      java.lang.reflect.Type value = ((java.lang.reflect.ParameterizedType) type).getActualTypeArguments()[1];
      return new java.util.TreeMap<>(java.util.Map.of("s-" + owner.getSimpleName(), sample(value, owner)));
    } else if (raw == DatabaseProtocol.Command.class) {
      return new DatabaseProtocol.Get("in-view", testKit.<StatusReply<DatabaseProtocol.DocResult>>createTestProbe().getRef());
    } else if (raw.isEnum()) {
      return raw.getEnumConstants()[raw.getEnumConstants().length - 1];
    } else if (raw.isRecord()) {
      return record(raw);
    }
    throw new AssertionError("no sample for a component of type " + type + " (in " + owner.getName()
        + "): teach this test to make one");
  }

  /**
   * A record with every component set; when its constructor refuses that (queries allow one kind of
   * selection at a time), the same with optional text and list components left out, one kind after another.
   */
  private static Object record(Class<?> type) throws Exception {
    java.lang.reflect.RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
    }
    java.lang.reflect.Constructor<?> ctor = type.getDeclaredConstructor(types);
    ctor.setAccessible(true);
    Throwable refused = null;
    for (int leaveOut = 0; leaveOut <= 2; leaveOut++) {
      Object[] args = new Object[components.length];
      for (int i = 0; i < components.length; i++) {
        Class<?> t = types[i];
        boolean optional = (leaveOut >= 1 && t == String.class) || (leaveOut >= 2 && t == List.class);
        args[i] = optional ? null : sample(components[i].getGenericType(), type);
      }
      try {
        return ctor.newInstance(args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        refused = e.getCause();
      }
    }
    throw new AssertionError("cannot make a sample " + type.getSimpleName() + ": " + refused, refused);
  }
}
