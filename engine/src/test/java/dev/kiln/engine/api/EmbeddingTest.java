package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.actor.DatabaseActor;
import dev.kiln.engine.persist.Journal;
import dev.kiln.protocol.KilnSerializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Kiln inside an application's own ActorSystem, started the way an application starts it: {@code
 * ActorSystem.create} on plain {@code ConfigFactory.load()}, whose {@code application.conf} (the
 * engine tests' one) puts the default journal on the persistence testkit's in-memory journal, with
 * the application's own {@code logback.xml} on the classpath.
 */
class EmbeddingTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** What an application has: ConfigFactory.load(), here with the data directory set after loading. */
  private Config appConfig(Path dataDir) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.load().withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()));
  }

  @Test
  void kilnAndTheAppsPersistentActorKeepTheirEventsInTheirOwnStoresAndAKilnPutSurvivesARestart() throws Exception {
    Path data = dir.resolve("data");
    ActorSystem<Void> app = ActorSystem.create(Behaviors.empty(), "myapp", appConfig(data));
    try {
      Kiln kiln = Kiln.get(app);
      ObjectNode doc = JsonNodeFactory.instance.objectNode().put("_id", "a").put("title", "hello");
      kiln.open("notes").put(doc).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);

      ActorRef<Counter.Command> counter = app.systemActorOf(Counter.create(), "counter", Props.empty());
      for (int i = 1; i <= 3; i++) {
        int n = i;
        int acked = AskPattern.<Counter.Command, Integer>ask(counter, r -> new Counter.Add(n, r), WAIT, app.scheduler())
            .toCompletableFuture().get();
        assertThat(acked).isEqualTo(n);
      }

      PersistenceTestKit appJournal = PersistenceTestKit.create(app);
      assertThat(appJournal.persistedInStorage(Counter.ID.id())).hasSize(3);
      assertThat(appJournal.persistedInStorage(DatabaseActor.persistenceId("notes").id()))
          .as("Kiln's events are not in the application's default journal")
          .isEmpty();
    } finally {
      terminate(app);
    }

    assertThat(persistenceIdsInKilnsJournal(data))
        .as("Kiln's own journal holds Kiln's events and none of the application's")
        .contains(DatabaseActor.persistenceId("notes").id())
        .doesNotContain(Counter.ID.id());

    ActorSystem<Void> restarted = ActorSystem.create(Behaviors.empty(), "myapp", appConfig(data));
    try {
      ObjectNode back = Kiln.get(restarted).open("notes").get("a").toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(back.get("title").asText()).isEqualTo("hello");
    } finally {
      terminate(restarted);
    }
  }

  @Test
  void aRelativeDataDirectoryIsTakenFromTheWorkingDirectory() throws Exception {
    String relative = "target/embedding-relative/" + UUID.randomUUID();
    Path absolute = Path.of("").toAbsolutePath().resolve(relative);
    ActorSystem<Void> app = ActorSystem.create(Behaviors.empty(), "myapp",
        ConfigFactory.load().withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(relative)));
    try {
      Kiln kiln = Kiln.get(app);
      assertThat(kiln.defaults().dataDir()).isEqualTo(absolute);
      kiln.open("notes").put(JsonNodeFactory.instance.objectNode().put("_id", "a"))
          .toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      terminate(app);
    }
    assertThat(absolute.resolve("journal/kiln.mv.db")).isRegularFile();
    try (var cars = Files.list(absolute.resolve("notes/cars"))) {
      assertThat(cars.filter(p -> p.toString().endsWith(".car"))).isNotEmpty();
    }
  }

  @Test
  void getFromTwoThreadsAtOnceGivesOneInstance() throws Exception {
    for (int round = 0; round < 3; round++) {
      ActorSystem<Void> app = ActorSystem.create(Behaviors.empty(), "myapp", appConfig(dir.resolve("round-" + round)));
      try {
        CyclicBarrier start = new CyclicBarrier(2);
        List<CompletableFuture<Kiln>> gets = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          gets.add(CompletableFuture.supplyAsync(() -> {
            await(start);
            return Kiln.get(app);
          }, runnable -> new Thread(runnable, "kiln-get").start()));
        }
        Kiln first = gets.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(gets.get(1).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isSameAs(first);
        assertThat(Kiln.create(app)).isSameAs(first);
      } finally {
        terminate(app);
      }
    }
  }

  @Test
  void databasesRunUnderKilnsGuardianWhichTheAppCanWatch() throws Exception {
    ActorSystem<Void> app = ActorSystem.create(Behaviors.empty(), "myapp", appConfig(dir.resolve("data")));
    try {
      Kiln kiln = Kiln.get(app);
      Database db = kiln.open("notes");
      assertThat(kiln.guardian().path().toString()).endsWith("/system/kiln");
      assertThat(db.ref().path().parent()).isEqualTo(kiln.guardian().path());
      assertThat(db.ref().path().name()).isEqualTo("db-notes");

      CompletableFuture<String> stopped = new CompletableFuture<>();
      app.systemActorOf(Behaviors.<Void>setup(ctx -> {
        ctx.watch(db.ref());
        return Behaviors.receive(Void.class)
            .onSignal(org.apache.pekko.actor.typed.Terminated.class, t -> {
              stopped.complete(t.getRef().path().name());
              return Behaviors.stopped();
            })
            .build();
      }), "app-watcher", Props.empty());
      db.close().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("db-notes");
    } finally {
      terminate(app);
    }
  }

  @Test
  void aSecondSystemOnTheSameDataDirectoryGetsLockedUntilTheFirstHasTerminated() throws Exception {
    Path data = dir.resolve("data");
    ActorSystem<Void> first = ActorSystem.create(Behaviors.empty(), "first", appConfig(data));
    ActorSystem<Void> second = ActorSystem.create(Behaviors.empty(), "second", appConfig(data));
    try {
      Kiln.get(first).open("notes").put(JsonNodeFactory.instance.objectNode().put("_id", "a"))
          .toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Kiln.get(second))
          .isInstanceOfSatisfying(dev.kiln.protocol.KilnException.class,
              e -> assertThat(e.code()).isEqualTo(dev.kiln.protocol.ErrorCode.LOCKED))
          .hasMessageContaining("data directory " + data.toAbsolutePath() + " is in use");
      terminate(first);
      // The failed start left nothing behind: asked again, the second system's Kiln starts.
      ObjectNode back = Kiln.get(second).open("notes").get("a").toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(back.get("_id").asText()).isEqualTo("a");
    } finally {
      terminate(first);
      terminate(second);
    }
  }

  @Test
  void closingAStandaloneKilnReleasesTheDataDirectory() throws Exception {
    Path data = dir.resolve("data");
    Kiln.start(appConfig(data)).close();
    try (Kiln again = Kiln.start(appConfig(data))) {
      assertThat(again.open("notes").isClosed()).isFalse();
    }
  }

  @Test
  void theAppsLogbackConfigurationIsTheOneInEffect() throws Exception {
    List<java.net.URL> found = Collections.list(getClass().getClassLoader().getResources("logback.xml"));
    assertThat(found).as("only the application's logback.xml is on the classpath").hasSize(1);
    assertThat(found.get(0).toString()).contains("test-classes");

    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    assertThat(logback.getProperty("configured-by")).isEqualTo("engine-tests");
    assertThat(logback.getStatusManager().getCopyOfStatusList())
        .noneMatch(s -> s.getMessage().contains("occurs multiple times"));
  }

  /** The Slick-free way to look into Kiln's journal: which persistence ids have events there. */
  private static List<String> persistenceIdsInKilnsJournal(Path dataDir) throws Exception {
    Class.forName("dev.kiln.engine.persist.KilnH2Driver");
    String url = Journal.url(ConfigFactory.load().withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString())));
    List<String> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT DISTINCT \"persistence_id\" FROM \"event_journal\"")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void terminate(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The application's own persistent actor, on the application's default journal. */
  static final class Counter extends EventSourcedBehavior<Counter.Command, Counter.Added, Integer> {
    static final PersistenceId ID = PersistenceId.ofUniqueId("app-counter");

    interface Command {}

    record Add(int n, ActorRef<Integer> replyTo) implements Command {}

    record Added(int n) implements KilnSerializable {}

    static Behavior<Command> create() {
      return new Counter();
    }

    private Counter() {
      super(ID);
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Command, Added, Integer> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(new Added(add.n())).thenReply(add.replyTo(), s -> s))
          .build();
    }

    @Override
    public EventHandler<Integer, Added> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (state, e) -> e.n()).build();
    }
  }
}
