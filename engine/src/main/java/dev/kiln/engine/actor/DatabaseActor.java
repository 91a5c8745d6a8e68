package dev.kiln.engine.actor;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.actor.Events.CarAppended;
import dev.kiln.engine.actor.Events.Compacted;
import dev.kiln.engine.actor.Events.Event;
import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.persist.KilnEventSourcedBehavior;
import dev.kiln.engine.persist.KilnPersistence;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import dev.kiln.protocol.DatabaseProtocol.Close;
import dev.kiln.protocol.DatabaseProtocol.Command;
import dev.kiln.protocol.DatabaseProtocol.Compact;
import dev.kiln.protocol.DatabaseProtocol.Delete;
import dev.kiln.protocol.DatabaseProtocol.Destroy;
import dev.kiln.protocol.DatabaseProtocol.Put;
import dev.kiln.protocol.DatabaseProtocol.PutAll;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One database. The only place where the CarLog, the head commit and the generation change: every
 * change is an event in the journal ({@link CarAppended}, {@link Compacted}), and this actor
 * handles one message at a time, so compaction and commits cannot race.
 *
 * <p>This class is the event-sourced shell: the journal, the command table, the signals, the
 * {@link Phase} and its one guard for refusals, and the events that touch several parts (a commit
 * fans out to its writers, subscribers, the CommitActor, auto-compaction and the close check).
 * State and logic live in package-private parts sharing one {@link DatabaseContext}:
 * {@link Opening}, {@link WriteAdmission}, {@link Compaction}, {@link SnapshotLeases},
 * {@link Reads}, {@link IndexRequests}, {@link Subscribers}.
 *
 * <ul>
 *   <li>Writes go to the {@link CommitActor}; a writer is answered only after its CAR is fsynced and
 *       its {@code CarAppended} is persisted (invariant 1).
 *   <li>Compaction waits until the CommitActor reports {@link Idle} for the newest write sent; a
 *       stale Idle does not count (2). A request waiting longer than
 *       {@code kiln.compaction.max-wait} holds new writes back until the queue drains (3). The
 *       install keeps every CAR appended after the snapshot (4); one runs at a time and further
 *       requests join it (5).
 *   <li>Reads run on the read dispatcher against a leased snapshot; a replaced CAR is deleted
 *       only after {@code Compacted} is persisted and no older lease remains (7).
 *   <li>When persisting fails, every write in flight fails and the actor recovers from the
 *       journal; the CommitActor starts again from what the journal holds (11).
 * </ul>
 */
public final class DatabaseActor extends KilnEventSourcedBehavior<Command, Event, State> {

  private final String name;
  private final ActorContext<Command> context;
  private final ReplayGate gate;
  private final DatabaseSettings settings;
  private final DatabaseContext db;
  private final ActorRef<CommitActor.Command> commitActor;
  /** NONE except in the schedule explorer's tests of the explorer itself. */
  private final InjectedBug bug;

  /** Bumped when the actor restarts from the journal: messages of older epochs are ignored. */
  private long epoch;
  /** Opening, running, failed to open, or closing: what requests get, in one value. */
  private Phase phase = Phase.OPENING;
  /** CAR indexes, head roots and the current snapshot. */
  private final Installed installed = new Installed();

  private final Opening opening;
  private final WriteAdmission writes;
  private final Compaction compaction;
  private final SnapshotLeases leases;
  private final Reads reads;
  private final IndexRequests indexRequests;
  private final Subscribers subscribers;

  public static PersistenceId persistenceId(String name) {
    return PersistenceId.of("KilnDatabase", name);
  }

  public static Behavior<Command> create(String name, CarStore store, Cache<Cid, Block> cache, DatabaseSettings settings) {
    return create(name, store, cache, settings, Wiring.children());
  }

  /** With other children than the real ones, e.g. probes in tests. */
  public static Behavior<Command> create(String name, CarStore store, Cache<Cid, Block> cache, DatabaseSettings settings,
      Wiring wiring) {
    return create(name, store, cache, settings, wiring, InjectedBug.NONE);
  }

  /** With a deliberate bug built in: only the schedule explorer's tests, to show that they find it. */
  static Behavior<Command> create(String name, CarStore store, Cache<Cid, Block> cache, DatabaseSettings settings,
      Wiring wiring, InjectedBug bug) {
    return Behaviors.setup(outer -> {
      ReplayGate gate = new ReplayGate(name, outer.getSelf(), settings.maxWaitingRequests());
      return Behaviors.intercept(() -> gate, Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers ->
          new DatabaseActor(name, ctx, timers, store, cache, settings, wiring, gate, bug))));
    });
  }

  private DatabaseActor(String name, ActorContext<Command> context, TimerScheduler<Command> timers, CarStore store,
      Cache<Cid, Block> cache, DatabaseSettings settings, Wiring wiring, ReplayGate gate, InjectedBug bug) {
    // The children are spawned once, here, outside the journal-failure restart, and survive it:
    // the CommitActor is told to start again with Reset. Pekko's default would stop them on restart,
    // leaving this actor sending to dead refs and never committing again (invariant 11).
    super(persistenceId(name), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)
        .withStopChildren(false)
        .withStashCapacity(stashCapacity(settings)), // Pekko's default of 1,000 would drop the rest
        KilnPersistence.from(context.getSystem().settings().config()));
    this.name = name;
    this.gate = gate;
    this.context = context;
    this.settings = settings;
    this.bug = bug;
    DatabaseContext shared = new DatabaseContext(name, context, timers, store, cache, wiring.blocking(context),
        wiring.reads(context), settings);
    this.db = shared;
    Wiring.Parts parts = new Wiring.Parts(context, store, cache, shared.blocking(), settings);
    this.commitActor = wiring.commitActor(parts);
    this.opening = new Opening(shared);
    this.leases = new SnapshotLeases(shared, () -> epoch, installed::has, bug);
    this.writes = new WriteAdmission(shared, unit -> commitActor.tell(new CommitActor.Submit(epoch, unit)));
    this.compaction = new Compaction(shared, writes, () -> epoch, () -> phase.loaded(), this::leasedSnapshot,
        wiring.compactor(parts));
    this.reads = new Reads(shared, leases);
    this.indexRequests = new IndexRequests(shared, writes, installed::roots);
    this.subscribers = new Subscribers(shared);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  /**
   * Larger than every bound of our own (requests waiting, reads, writes, held writes, and room for
   * internal messages), so Pekko's stash never drops a request the gate let in.
   */
  @Override
  public Optional<Integer> stashCapacity() {
    return Optional.of(stashCapacity(settings));
  }

  private static int stashCapacity(DatabaseSettings s) {
    return s.maxWaitingRequests() + s.maxPendingReads() + s.maxPendingWrites() * 2 + s.maxHeldWrites() + 4096;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.class, (state, signal) -> {
          gate.replayed();
          startLoading(state);
        })
        .onSignal(RecoveryFailed.class, (state, signal) -> gate.replayFailed(signal.getFailure()))
        .onSignal(PreRestart.class, (state, signal) -> {
          gate.replayStarted();
          restartFromJournal();
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    CommandHandler<Command, Event, State> table = commandTable();
    return (state, command) -> {
      if (Internal.isRequest(command) && !phase.loading()) {
        gate.handled(); // taken now rather than stashed: it no longer counts as waiting
        KilnException refused = refusal(command);
        if (refused != null) {
          Internal.replyError(command, refused);
          return Effect().none();
        }
      }
      return table.apply(state, command);
    };
  }

  /**
   * The one place requests are refused: CLOSED once Close or Destroy was asked, the opening's error
   * after opening failed (a Close or Destroy is still taken then). Subscriptions and view closes
   * are never refused.
   */
  private KilnException refusal(Command command) {
    boolean request = command instanceof DatabaseProtocol.Request<?> || command instanceof DatabaseProtocol.InView;
    boolean close = command instanceof Close || command instanceof Destroy;
    if (!request || (close && !phase.closing())) {
      return null;
    }
    return phase.refusal(name);
  }

  private CommandHandler<Command, Event, State> commandTable() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Internal.Loaded.class, this::onLoaded)
        .onCommand(Internal.RetryLoad.class, this::onRetryLoad)
        // leases and files are kept across a journal restart: these count while loading, too
        .onCommand(Internal.ReleaseLease.class, m -> done(() -> leases.release(m.generation())))
        .onCommand(Internal.ReadDone.class, m -> done(() -> leases.readDone(m.generation())))
        .onCommand(Internal.CompactionDone.class, this::onCompactionDone)
        .onCommand(Internal.CompactionFailed.class, this::onCompactionFailed)
        .onCommand(Internal.ViewIdle.class, m -> done(() -> leases.closeView(m.view()))) // views outlive a restart, ids too
        .onCommand(Internal.DeletionDone.class, this::onDeletionDone)
        .onCommand(c -> phase.loading(), this::whileLoading)
        .onCommand(Put.class, c -> done(() -> writes.admit(new CommitBuilder.Put(c.doc(), c.expected()), c.replyTo())))
        .onCommand(Delete.class, c -> done(() -> writes.admit(new CommitBuilder.Delete(c.id(), c.expected()),
            c.replyTo())))
        .onCommand(PutAll.class, c -> done(() -> writes.admit(c)))
        .onCommand(DatabaseProtocol.Get.class, this::onRead)
        .onCommand(DatabaseProtocol.AllDocs.class, this::onRead)
        .onCommand(DatabaseProtocol.Changes.class, this::onRead)
        .onCommand(DatabaseProtocol.ListIndexes.class, this::onRead)
        .onCommand(DatabaseProtocol.Export.class, this::onRead)
        .onCommand(DatabaseProtocol.Stats.class, this::onRead)
        .onCommand(DatabaseProtocol.Query.class, (s, c) -> indexRequests.waitsForIndex(c) ? Effect().none() : onRead(s, c))
        .onCommand(DatabaseProtocol.DefineIndex.class, (s, c) -> done(() -> indexRequests.define(c,
            () -> currentSnapshot(s).clock())))
        .onCommand(DatabaseProtocol.DropIndex.class, c -> done(() -> indexRequests.drop(c)))
        .onCommand(DatabaseProtocol.Import.class, c -> done(() -> indexRequests.importCar(c)))
        .onCommand(DatabaseProtocol.OpenView.class, (s, c) -> done(() -> reads.openView(c, currentSnapshot(s))))
        .onCommand(DatabaseProtocol.InView.class, (s, c) -> done(() -> reads.inView(c, s.compactions())))
        .onCommand(DatabaseProtocol.CloseView.class, c -> done(() -> leases.closeView(c.view())))
        .onCommand(DatabaseProtocol.Subscribe.class, c -> done(() -> subscribers.subscribe(c.subscriber())))
        .onCommand(DatabaseProtocol.Unsubscribe.class, c -> done(() -> subscribers.unsubscribe(c.subscriber())))
        .onCommand(DatabaseProtocol.Follow.class, c -> done(() -> subscribers.follow(c)))
        .onCommand(Internal.SubscriberGone.class, m -> done(() -> subscribers.gone(m.subscriber())))
        .onCommand(Compact.class, (s, c) -> done(() -> compaction.ask(s, c.replyTo())))
        .onCommand(Close.class, c -> closeWhenSettled(new Phase.Closing(c.replyTo(), false, phase)))
        .onCommand(Destroy.class, c -> closeWhenSettled(new Phase.Closing(c.replyTo(), true, phase)))
        .onCommand(Internal.CloseCheck.class, this::onCloseCheck)
        .onCommand(Internal.DestroyDone.class, this::onDestroyDone)
        .onCommand(Internal.Committed.class, this::onCommitted)
        .onCommand(Internal.CommitFailed.class, this::onCommitFailed)
        .onCommand(Internal.Idle.class, this::onIdle)
        .onCommand(Internal.MaxWaitElapsed.class, m -> done(() -> compaction.maxWaitElapsed(m)))
        .build();
  }

  /** Runs {@code work} on a part; nothing is persisted. */
  private Effect<Event, State> done(Runnable work) {
    work.run();
    return Effect().none();
  }

  // ------------------------------------------------------------------ opening

  private void startLoading(State state) {
    // indexes opened before a journal restart are not read again; replaced CARs a reader may still use stay
    opening.load(epoch, state, installed.known(), Set.copyOf(leases.replacedButLeasable()));
  }

  private Effect<Event, State> whileLoading(State state, Command command) {
    if (Internal.isRequest(command)) {
      return Effect().stash();
    }
    return Effect().none(); // internal messages of an older incarnation
  }

  private Effect<Event, State> onRetryLoad(State state, Internal.RetryLoad m) {
    if (m.epoch() != epoch || !(phase instanceof Phase.Failed)) {
      return Effect().none();
    }
    phase = Phase.OPENING; // requests wait in the stash again while this attempt runs
    startLoading(state);
    return Effect().none();
  }

  private Effect<Event, State> onLoaded(State state, Internal.Loaded m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    if (m.error() != null) {
      phase = phase.opened(new Phase.Failed(opening.failed(epoch, m.error())));
      closeCheckIfClosing();
      return Effect().unstashAll();
    }
    opening.opened();
    installed.loaded(m.indexes(), m.roots());
    phase = phase.opened(Phase.RUNNING);
    leases.touchAllViews(); // a restart may have cancelled their idle timers
    commitActor.tell(new CommitActor.Rebase(epoch, leasedSnapshot(state)));
    compaction.autoIfDue(state);
    closeCheckIfClosing(); // a close that waited for writes a journal failure has since failed
    return Effect().unstashAll();
  }

  /** Persisting failed and the behavior restarts from the journal: fail what was in flight. */
  private void restartFromJournal() {
    KilnException failure = new KilnException(ErrorCode.JOURNAL,
        "the journal failed while database " + name + " was committing; this write was not acknowledged");
    writes.failAll(failure);
    compaction.restarted(failure);
    if (phase instanceof Phase.Closing c && c.destroy()) {
      // The Destroyed event (or a write the destroy waited for) failed: nothing was destroyed, and
      // the database opens again from its journal.
      c.replyTo().tell(StatusReply.error(new KilnException(ErrorCode.JOURNAL, "the journal failed while database "
          + name + " was being destroyed; it was not destroyed and is open again")));
      phase = Phase.OPENING;
    }
    epoch++;
    phase = phase.opened(Phase.OPENING); // a close waits for the opening, then completes
    // Leases, views and pending deletions are about files, not the journal: they stay, so nothing a
    // reader from before the restart holds is deleted. The indexes stay as a cache for the reload.
    installed.restarted();
    commitActor.tell(new CommitActor.Reset(epoch, writes.restarted()));
  }

  // ------------------------------------------------------------------ writes and commits

  private Effect<Event, State> onCommitted(State state, Internal.Committed m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    writes.answerFailed(m.result());
    if (!m.result().hasCommit()) {
      // Everything the batch asked for was already stored (an index defined twice, a refresh
      // that found every index current): its writes succeeded at the current head.
      writes.answerSucceeded(m.result(), state.head() == null ? null : state.head().toString());
      afterWritesSettled();
      return Effect().none();
    }
    installed.written(m.car());
    CommitBuilder.Result result = m.result();
    return Effect()
        .persist(new CarAppended(m.car().car(), result.commit().cid(), result.roots().seq()))
        .thenRun(newState -> {
          installed.committed(result.roots());
          String clock = newState.head().toString();
          writes.answerSucceeded(result, clock);
          subscribers.publish(new ChangeBatch(result.changes(), clock));
          commitActor.tell(new CommitActor.Appended(epoch, leasedSnapshot(newState)));
          compaction.autoIfDue(newState);
          afterWritesSettled();
        });
  }

  private Effect<Event, State> onCommitFailed(State state, Internal.CommitFailed m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    KilnException error = Errors.toKiln(m.error());
    context.getLog().warn("database {}: a commit failed, {} writes not stored: {}", name, m.writeIds().size(),
        error.getMessage());
    writes.fail(m.writeIds(), error);
    afterWritesSettled();
    return Effect().none();
  }

  private void afterWritesSettled() {
    if (phase.closing() && writes.noneWaiting()) {
      context.getSelf().tell(new Internal.CloseCheck());
    }
  }

  // ------------------------------------------------------------------ compaction

  private Effect<Event, State> onIdle(State state, Internal.Idle m) {
    if (m.epoch() == epoch) {
      writes.idle(m.lastWriteId());
      compaction.startIfIdle(state);
    }
    return Effect().none();
  }

  /** Installs a finished compaction: persists {@code Compacted}, then hands the replaced CARs to the leases. */
  private Effect<Event, State> onCompactionDone(State state, Internal.CompactionDone m) {
    Snapshot snap = m.snapshot();
    leases.release(snap.generation());
    if (m.epoch() != epoch) {
      return Effect().none(); // its CAR is an orphan now; removed at the next start
    }
    List<Cid> replaced = compaction.finished(state, m);
    if (replaced == null) {
      return Effect().none();
    }
    Cid compacted = m.car().car();
    installed.written(m.car());
    int kept = state.carLog().size() - replaced.size();
    long bytesBefore = snap.carBytes();
    int logBefore = state.carLog().size();
    return Effect()
        .persist(new Compacted(compacted, bug == InjectedBug.INSTALL_DROPS_APPENDED_CARS ? 0 : kept))
        .thenRun(newState -> {
          leases.replaced(newState.generation(), installed.compacted(replaced, newState));
          compaction.answer(newState, logBefore, bytesBefore, m.car().byteSize());
          commitActor.tell(new CommitActor.Rebase(epoch, leasedSnapshot(newState)));
          compaction.autoIfDue(newState);
        });
  }

  private Effect<Event, State> onCompactionFailed(State state, Internal.CompactionFailed m) {
    leases.release(m.snapshot().generation());
    if (m.epoch() == epoch) {
      compaction.failed(m.error());
    }
    return Effect().none();
  }

  // ------------------------------------------------------------------ snapshots and reads

  /** The current snapshot with a lease taken on it; the receiver must send {@link ReleaseLease}. */
  private Snapshot leasedSnapshot(State state) {
    return leases.lease(currentSnapshot(state));
  }

  private Snapshot currentSnapshot(State state) {
    return installed.current(state);
  }

  private Effect<Event, State> onRead(State state, Command read) {
    reads.run(read, currentSnapshot(state), false, state.compactions());
    return Effect().none();
  }

  private Effect<Event, State> onDeletionDone(State state, Internal.DeletionDone m) {
    if (m.error() != null) {
      // The files stay behind as orphans; start-up removes them.
      context.getLog().warn("database {}: could not delete replaced CARs {}: {}", name, m.cars(), m.error().toString());
    }
    return Effect().none();
  }

  // ------------------------------------------------------------------ close and destroy

  private Effect<Event, State> closeWhenSettled(Phase.Closing closing) {
    phase = closing;
    context.getSelf().tell(new Internal.CloseCheck());
    return Effect().none();
  }

  private void closeCheckIfClosing() {
    if (phase.closing()) {
      context.getSelf().tell(new Internal.CloseCheck());
    }
  }

  /** Stops once every write sent has its answer (held writes are sent when compaction starts). */
  private Effect<Event, State> onCloseCheck(State state, Internal.CloseCheck m) {
    if (!(phase instanceof Phase.Closing closing) || !writes.noneWaiting()) {
      return Effect().none();
    }
    compaction.fail(phase.refusal(name));
    if (!closing.destroy()) {
      return Effect().stop().thenRun(s -> closing.replyTo().tell(StatusReply.ack()));
    }
    return Effect().persist(new Events.Destroyed()).thenRun(s -> opening.deleteAll(epoch));
  }

  private Effect<Event, State> onDestroyDone(State state, Internal.DestroyDone m) {
    ActorRef<StatusReply<Done>> replyTo = ((Phase.Closing) phase).replyTo();
    if (m.error() != null) {
      return Effect().stop().thenRun(s -> replyTo.tell(StatusReply.error(Errors.toKiln(m.error()))));
    }
    return Effect().stop().thenRun(s -> replyTo.tell(StatusReply.ack()));
  }
}
