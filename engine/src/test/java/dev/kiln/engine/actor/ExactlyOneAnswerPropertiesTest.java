package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * Every request gets exactly one answer, of its documented type (its reply, or a {@link
 * KilnException} with a code other than INTERNAL), whatever the phase: opening, running,
 * compacting, holding writes (compaction max-wait elapsed), a failing journal, a failing disk,
 * closing, and a new incarnation opening after a close or a destroy. jqwik generates the steps;
 * each request has its own probe, so a second answer shows up as well as a missing one.
 *
 * <p>The default run is short. A longer one: {@code -Dkiln.answers.steps=300 -Dkiln.answers.rounds=5}
 * (longer runs of steps, each played five times on new databases). jqwik prints the seed of a
 * failing try; {@code @Property(seed = "...")} replays it.
 */
class ExactlyOneAnswerPropertiesTest {
  /** Steps per try at most; and how often each try's steps are played, each time on a new database. */
  private static final int STEPS = Integer.getInteger("kiln.answers.steps", 40);
  private static final int ROUNDS = Integer.getInteger("kiln.answers.rounds", 1);

  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeContainer
  static void start() throws Exception {
    kit = InvariantKit.testKit("answers", Files.createTempDirectory("kiln-answers"));
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterContainer
  static void stop() {
    kit.shutdownTestKit();
  }

  /** One step of a run: a request, or a change of phase. */
  enum Step {
    PUT, PUT_ALL, PUT_ALL_EMPTY, DELETE, GET, ALL_DOCS, CHANGES, QUERY, QUERY_UNKNOWN, DEFINE_INDEX, DEFINE_BAD_INDEX,
    OPEN_VIEW, IN_VIEW, CLOSE_VIEW, SUBSCRIBE, COMPACT, STATS,
    HOLD_WRITES, OPEN_WRITES, FAIL_NEXT_PERSIST, FAIL_NEXT_WRITE, CLOSE, DESTROY, REOPEN
  }

  @Provide
  Arbitrary<List<Step>> runs() {
    return Arbitraries.of(Step.class).list().ofMinSize(1).ofMaxSize(STEPS);
  }

  @Property(tries = 8)
  void everyRequestGetsExactlyOneAnswerOfItsType(@ForAll("runs") List<Step> steps) throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      new Run().play(steps);
    }
  }

  /** A request sent and the answer it must get (taken early where a step needs it). */
  private static final class Sent {
    final String what;
    final TestProbe<StatusReply<Object>> probe;
    final Class<?> reply;
    StatusReply<Object> answer;

    Sent(String what, TestProbe<StatusReply<Object>> probe, Class<?> reply) {
      this.what = what;
      this.probe = probe;
      this.reply = reply;
    }

    @SuppressWarnings("unchecked")
    StatusReply<Object> answer() {
      if (answer == null) {
        try {
          answer = probe.expectMessageClass(StatusReply.class, WAIT);
        } catch (AssertionError e) {
          throw new AssertionError("no answer to " + what + ": " + e.getMessage(), e);
        }
      }
      return answer;
    }
  }

  private static final class Run {
    final String name = InvariantKit.uniqueName("answers");
    final HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    final DatabaseSettings settings = InvariantKit.settings(kit).withAutoCompact(3)
        .withCompactionMaxWait(Duration.ofMillis(1)).withRequestBounds(16, 10_000);
    final List<Sent> sent = new ArrayList<>();
    final List<ActorRef<DatabaseProtocol.Command>> incarnations = new ArrayList<>();
    ActorRef<DatabaseProtocol.Command> ref;
    boolean closing;
    /** The Close or Destroy that ends this incarnation (a Destroy whose event fails does not end it). */
    Sent ending;
    int docs;
    int writes;

    Run() {
      spawn();
    }

    void spawn() {
      ref = kit.spawn(DatabaseActor.create(name, store, InvariantKit.cache(), settings),
          name + "-" + incarnations.size());
      incarnations.add(ref);
      closing = false;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    <R> Sent send(String what, Class<R> reply, Function<ActorRef<StatusReply<R>>, DatabaseProtocol.Command> message) {
      TestProbe<StatusReply<Object>> probe = kit.createTestProbe();
      ref.tell(message.apply((ActorRef) probe.ref()));
      Sent s = new Sent(what, probe, reply);
      sent.add(s);
      return s;
    }

    /**
     * Every other write has no request id; the others use each id twice: the second is in flight with
     * the first, or remembered once it committed (also across a restart).
     */
    String requestId() {
      return writes++ % 2 == 0 ? null : "req-" + ((writes - 1) / 4);
    }

    ObjectNode doc() {
      return JsonNodeFactory.instance.objectNode().put("_id", "d" + (docs++ % 7)).put("n", docs);
    }

    void play(List<Step> steps) throws Exception {
      for (Step step : steps) {
        if (closing && step != Step.REOPEN && step != Step.OPEN_WRITES && step != Step.HOLD_WRITES) {
          continue; // a stopped actor cannot answer; the facade answers CLOSED for it (FacadeTest)
        }
        apply(step);
      }
      store.openWrites();
      end();
      for (Sent s : sent) {
        StatusReply<Object> answer = s.answer();
        if (answer.isSuccess()) {
          assertThat(answer.getValue()).as("answer to %s", s.what).isInstanceOf(s.reply);
        } else {
          assertThat(answer.getError()).as("error answering %s", s.what).isInstanceOf(KilnException.class);
          assertThat(((KilnException) answer.getError()).code()).as("%s: %s", s.what, answer.getError().getMessage())
              .isNotEqualTo(ErrorCode.INTERNAL);
        }
      }
      TestProbe<Object> watcher = kit.createTestProbe();
      for (ActorRef<DatabaseProtocol.Command> r : incarnations) {
        watcher.expectTerminated(r, WAIT);
      }
      for (Sent s : sent) {
        s.probe.expectNoMessage(Duration.ofMillis(1)); // a second answer that came while the rest settled
      }
    }

    /** Ends the current incarnation: closes it unless a Close or Destroy did; waits until it stops. */
    void end() {
      if (!closing || stillOpen(ending.answer())) {
        // not closing, or a Destroy failed on the journal and the database stayed open: close it
        ending = send("close", org.apache.pekko.Done.class, DatabaseProtocol.Close::new);
        closing = true;
        ending.answer();
      }
      kit.createTestProbe().expectTerminated(ref, WAIT);
    }

    /** Only a Destroy whose event the journal refused leaves the database open (and says so). */
    static boolean stillOpen(StatusReply<Object> answer) {
      return answer.isError() && answer.getError() instanceof KilnException k && k.code() == ErrorCode.JOURNAL;
    }

    void apply(Step step) throws Exception {
      switch (step) {
        case PUT -> send("put", DatabaseProtocol.WriteResult.class, r -> new DatabaseProtocol.Put(doc(), null, r,
            requestId()));
        case PUT_ALL -> send("putAll", DatabaseProtocol.BulkResult.class,
            r -> new DatabaseProtocol.PutAll(List.of(doc(), doc()), r, requestId()));
        case PUT_ALL_EMPTY -> send("putAll empty", DatabaseProtocol.BulkResult.class,
            r -> new DatabaseProtocol.PutAll(List.of(), r));
        case DELETE -> send("delete", DatabaseProtocol.WriteResult.class,
            r -> new DatabaseProtocol.Delete("d" + (docs % 7), null, r, requestId()));
        case GET -> send("get", DatabaseProtocol.DocResult.class, r -> new DatabaseProtocol.Get("d1", r));
        case ALL_DOCS -> send("allDocs", DatabaseProtocol.AllDocsResult.class,
            r -> new DatabaseProtocol.AllDocs(DatabaseProtocol.AllDocsQuery.all(), r));
        case CHANGES -> send("changes", DatabaseProtocol.ChangesResult.class, r -> new DatabaseProtocol.Changes(0, 0, r));
        case QUERY -> send("query", DatabaseProtocol.QueryResult.class,
            r -> new DatabaseProtocol.Query("n", DatabaseProtocol.IndexQuery.all(), r));
        case QUERY_UNKNOWN -> send("query unknown", DatabaseProtocol.QueryResult.class,
            r -> new DatabaseProtocol.Query("nope", DatabaseProtocol.IndexQuery.all(), r));
        case DEFINE_INDEX -> send("define", DatabaseProtocol.IndexDefined.class, r -> new DatabaseProtocol.DefineIndex("n", r));
        case DEFINE_BAD_INDEX -> send("define bad", DatabaseProtocol.IndexDefined.class,
            r -> new DatabaseProtocol.DefineIndex("", r));
        case OPEN_VIEW -> send("openView", DatabaseProtocol.ViewOpened.class, DatabaseProtocol.OpenView::new);
        case IN_VIEW -> send("inView", DatabaseProtocol.DocResult.class,
            r -> new DatabaseProtocol.InView(1 + docs % 3, new DatabaseProtocol.Get("d1", r)));
        case CLOSE_VIEW -> ref.tell(new DatabaseProtocol.CloseView(1 + docs % 3));
        case SUBSCRIBE -> ref.tell(new DatabaseProtocol.Subscribe(kit.<DatabaseProtocol.ChangeBatch>createTestProbe().ref()));
        case COMPACT -> send("compact", DatabaseProtocol.CompactResult.class, DatabaseProtocol.Compact::new);
        case STATS -> send("stats", DatabaseProtocol.DatabaseStats.class, DatabaseProtocol.Stats::new);
        case HOLD_WRITES -> store.holdWrites();
        case OPEN_WRITES -> store.openWrites();
        case FAIL_NEXT_PERSIST -> journal.failNextPersisted(InvariantKit.persistenceId(name));
        case FAIL_NEXT_WRITE -> store.failNextWrite = true;
        case CLOSE -> {
          ending = send("close", org.apache.pekko.Done.class, DatabaseProtocol.Close::new);
          closing = true;
        }
        case DESTROY -> {
          ending = send("destroy", org.apache.pekko.Done.class, DatabaseProtocol.Destroy::new);
          closing = true;
        }
        case REOPEN -> {
          if (closing) {
            store.openWrites(); // the old incarnation finishes what it accepted, then stops
            end();
            spawn(); // requests from here on meet a database that is opening
          }
        }
      }
    }
  }

}
