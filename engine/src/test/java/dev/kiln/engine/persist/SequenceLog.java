package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import dev.kiln.protocol.KilnSerializable;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * A trivial event-sourced actor for durability tests: it persists one {@link Appended} event per
 * {@link Append} and replies only after the journal confirmed the write. Its state remembers the
 * highest number appended and counts events that did not follow their predecessor by one. It uses
 * Kiln's journal plugin ({@link KilnPersistence}), like Kiln's own persistent actors.
 */
final class SequenceLog extends EventSourcedBehavior<SequenceLog.Command, SequenceLog.Appended, SequenceLog.State> {
  /** One persistence id for every run, so each run recovers what the ones before it wrote. */
  static final PersistenceId ID = PersistenceId.ofUniqueId("kiln-durability-probe");

  interface Command {}

  /** Persist {@code n}; the reply carries {@code n} once the event is in the journal. */
  record Append(long n, ActorRef<Long> replyTo) implements Command {}

  /** Reply with the recovered (or current) state. */
  record Read(ActorRef<State> replyTo) implements Command {}

  /** The journal event; serialized with Jackson CBOR through the KilnSerializable binding. */
  record Appended(long n) implements KilnSerializable {}

  /** Highest n applied, how many events were applied, and how many broke the +1 sequence. */
  record State(long highest, long events, long outOfSequence) {
    State apply(Appended event) {
      long broken = event.n() == highest + 1 ? 0 : 1;
      return new State(event.n(), events + 1, outOfSequence + broken);
    }
  }

  static Behavior<Command> create() {
    return Behaviors.setup(ctx -> new SequenceLog(KilnPersistence.from(ctx.getSystem().settings().config())));
  }

  /** Spawns the log in {@code kit} (journal prepared by the caller) and returns what it recovered. */
  static State recover(ActorTestKit kit, Duration timeout) {
    ActorRef<Command> log = kit.spawn(create());
    TestProbe<State> state = kit.createTestProbe();
    log.tell(new Read(state.ref()));
    State recovered = state.receiveMessage(timeout);
    kit.stop(log);
    return recovered;
  }

  private final KilnPersistence persistence;

  private SequenceLog(KilnPersistence persistence) {
    super(ID);
    this.persistence = persistence;
  }

  // Kiln's journal and snapshot store, as the DatabaseActor uses them.
  @Override
  public String journalPluginId() {
    return persistence.journalPluginId();
  }

  @Override
  public Optional<Config> journalPluginConfig() {
    return persistence.journalPluginConfig();
  }

  @Override
  public String snapshotPluginId() {
    return persistence.snapshotPluginId();
  }

  @Override
  public Optional<Config> snapshotPluginConfig() {
    return persistence.snapshotPluginConfig();
  }

  @Override
  public State emptyState() {
    return new State(0, 0, 0);
  }

  @Override
  public CommandHandler<Command, Appended, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Append.class, (state, append) ->
            Effect().persist(new Appended(append.n())).thenReply(append.replyTo(), after -> after.highest()))
        .onCommand(Read.class, (state, read) -> Effect().reply(read.replyTo(), state))
        .build();
  }

  @Override
  public EventHandler<State, Appended> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Appended.class, State::apply).build();
  }
}
