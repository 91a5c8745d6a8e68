package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code pekko.actor.serialize-messages = on} and {@code serialize-creators = on} (common in an
 * application's tests), every message Kiln sends goes through serialization unless it is marked
 * local-only: Kiln's internal messages are, its protocol round-trips through Jackson CBOR. Both the
 * facade and the ask protocol from an application's actor must work as without the checks.
 */
class SerializeMessagesTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  ActorSystem<Void> app;

  @BeforeEach
  void start() {
    ConfigFactory.invalidateCaches();
    Config config = ConfigFactory.parseString("pekko.actor.serialize-messages = on\npekko.actor.serialize-creators = on")
        .withFallback(ConfigFactory.load())
        .withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withValue("kiln.car.fsync", ConfigValueFactory.fromAnyRef(false));
    app = ActorSystem.create(Behaviors.empty(), "serialize-everything", config);
    assertThat(app.settings().config().getBoolean("pekko.actor.serialize-messages")).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    EmbeddingTest.terminate(app);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static ObjectNode doc(String id, String title) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("title", title);
  }

  @Test
  void theFacadeWorks() throws Exception {
    Database db = Kiln.get(app).open("notes");
    CompletionStage<List<ChangeBatch>> live = db.liveChanges(16).take(1).runWith(Sink.seq(), app);

    assertThat(await(db.put(doc("a", "hello"))).id()).isEqualTo("a");
    assertThat(await(db.putAll(List.of(doc("b", "bye"), doc("c", "hi")))).results()).hasSize(2);
    assertThat(await(db.get("a")).get("title").asText()).isEqualTo("hello");
    assertThat(await(db.delete("c")).id()).isEqualTo("c");
    assertThat(await(db.allDocs()).rows()).hasSize(2);
    assertThat(await(db.changes(0, 100)).changes()).isNotEmpty();
    await(db.defineIndex("title"));
    assertThat(await(db.query("title", DatabaseProtocol.IndexQuery.all().withKey("\"bye\""))).rows())
        .extracting(DatabaseProtocol.QueryRow::id).containsExactly("b");
    try (View view = await(db.openView())) {
      assertThat(await(view.get("a")).get("title").asText()).isEqualTo("hello");
    }
    assertThat(await(db.compact()).carLogAfter()).isEqualTo(1);
    assertThat(await(db.stats()).documents()).isEqualTo(2);
    assertThat(await(live)).hasSize(1);
    await(db.close());
    assertThat(await(Kiln.get(app).open("notes").get("b")).get("title").asText()).isEqualTo("bye");
  }

  /** An application actor: puts with askWithStatus and follows changes through a message adapter. */
  static final class Writer {
    /** The application's own local messages, marked as such just like Kiln's. */
    interface Command extends NoSerializationVerificationNeeded {}

    record Written(WriteResult result, Throwable error) implements Command {}

    record Changed(ChangeBatch batch) implements Command {}

    static Behavior<Command> create(ActorRef<DatabaseProtocol.Command> db, CompletableFuture<WriteResult> written,
        CompletableFuture<ChangeBatch> changed) {
      return Behaviors.setup(ctx -> {
        db.tell(new DatabaseProtocol.Subscribe(ctx.messageAdapter(ChangeBatch.class, Changed::new)));
        ctx.askWithStatus(WriteResult.class, db, WAIT, replyTo -> new DatabaseProtocol.Put(doc("d", "from an actor"), replyTo),
            Written::new);
        return Behaviors.receive(Command.class)
            .onMessage(Written.class, w -> {
              if (w.error() != null) {
                written.completeExceptionally(w.error());
              } else {
                written.complete(w.result());
              }
              return Behaviors.same();
            })
            .onMessage(Changed.class, c -> {
              changed.complete(c.batch());
              return Behaviors.same();
            })
            .build();
      });
    }
  }

  @Test
  void theAskProtocolFromAnApplicationActorWorks() throws Exception {
    Database db = Kiln.get(app).open("notes");
    CompletableFuture<WriteResult> written = new CompletableFuture<>();
    CompletableFuture<ChangeBatch> changed = new CompletableFuture<>();
    app.systemActorOf(Writer.create(db.ref(), written, changed), "writer", Props.empty());

    assertThat(written.get(WAIT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("d");
    assertThat(changed.get(WAIT.toSeconds(), TimeUnit.SECONDS).changes()).extracting(DatabaseProtocol.Change::id)
        .contains("d");
    DatabaseProtocol.DocResult back = await(AskPattern.<DatabaseProtocol.Command, DatabaseProtocol.DocResult>askWithStatus(
        db.ref(), replyTo -> new DatabaseProtocol.Get("d", replyTo), WAIT, app.scheduler()));
    assertThat(back.doc().get("title").asText()).isEqualTo("from an actor");
  }
}
