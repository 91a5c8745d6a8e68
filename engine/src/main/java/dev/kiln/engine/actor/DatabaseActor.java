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
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
import dev.kiln.protocol.DatabaseProtocol.Delete;
import dev.kiln.protocol.DatabaseProtocol.Destroy;
import dev.kiln.protocol.DatabaseProtocol.Put;
import dev.kiln.protocol.DatabaseProtocol.PutAll;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
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
 * {@link Opening}, {@link HeadMigration}, {@link Fencing}, {@link WriteAdmission}, {@link Compaction},
 * {@link SnapshotLeases}, {@link Reads}, {@link IndexRequests}, {@link Subscribers}, {@link Shutdown}.
 * The invariants it keeps are listed in this package's {@code package-info}.
 */
public final class DatabaseActor extends KilnEventSourcedBehavior<Command, Event, State> {

  private final String name;
  private final ReplayGate gate;
  private final DatabaseSettings settings;
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
  private final Fencing fencing;
  private final HeadMigration migration;
  private final Shutdown shutdown;

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

  /**
   * A database that may have run elsewhere a moment ago (a cluster entity): after each replay it
   * persists {@link Events.Fenced} before it opens or removes any file, so a former owner that
   * still runs can no longer persist anything (docs/DESIGN.md, "Fencing").
   */
  public static Behavior<Command> createFenced(String name, CarStore store, Cache<Cid, Block> cache,
      DatabaseSettings settings) {
    return create(name, store, cache, settings, Wiring.children(), InjectedBug.NONE, true);
  }

  /** The message that stops a database like a Close without answering anyone (a cluster's passivation and hand-off). */
  public static Command passivate() {
    return new Internal.Passivate();
  }

  /** With a deliberate bug built in: only the schedule explorer's tests, to show that they find it. */
  static Behavior<Command> create(String name, CarStore store, Cache<Cid, Block> cache, DatabaseSettings settings,
      Wiring wiring, InjectedBug bug) {
    return create(name, store, cache, settings, wiring, bug, false);
  }

  private static Behavior<Command> create(String name, CarStore store, Cache<Cid, Block> cache,
      DatabaseSettings settings, Wiring wiring, InjectedBug bug, boolean fenced) {
    return Behaviors.setup(outer -> {
      ReplayGate gate = new ReplayGate(name, outer.getSelf(), settings.maxWaitingRequests());
      return Behaviors.intercept(() -> gate, Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers ->
          new DatabaseActor(name, ctx, timers, store, cache, settings, wiring, gate, bug, fenced))));
    });
  }

  private DatabaseActor(String name, ActorContext<Command> context, TimerScheduler<Command> timers, CarStore store,
      Cache<Cid, Block> cache, DatabaseSettings settings, Wiring wiring, ReplayGate gate, InjectedBug bug,
      boolean fenced) {
    // The children are spawned once, here, outside the journal-failure restart, and survive it:
    // the CommitActor is told to start again with Reset. Pekko's default would stop them on restart,
    // leaving this actor sending to dead refs and never committing again (invariant 11).
    super(persistenceId(name), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)
        .withStopChildren(false)
        .withStashCapacity(ReplayGate.stashCapacity(settings)),
        KilnPersistence.from(context.getSystem().settings().config()));
    this.name = name;
    this.gate = gate;
    this.settings = settings;
    this.bug = bug;
    DatabaseContext db = new DatabaseContext(name, context, timers, store, cache, wiring.blocking(context),
        wiring.reads(context), settings);
    Wiring.Parts parts = new Wiring.Parts(context, store, cache, db.blocking(), settings);
    this.commitActor = wiring.commitActor(parts);
    this.opening = new Opening(db);
    this.leases = new SnapshotLeases(db, () -> epoch, installed, bug);
    this.writes = new WriteAdmission(db, unit -> commitActor.tell(new CommitActor.Submit(epoch, unit)));
    this.compaction = new Compaction(db, writes, () -> epoch, () -> phase.loaded(), leases::leaseCurrent,
        installed::current, wiring.compactor(parts));
    this.reads = new Reads(db, leases);
    this.indexRequests = new IndexRequests(db, writes, installed::roots, () -> phase.closing());
    this.subscribers = new Subscribers(db);
    this.fencing = new Fencing(db, Effect(), fenced);
    this.migration = new HeadMigration(db, Effect());
    this.shutdown = new Shutdown(db, Effect(), writes, compaction, opening);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public Optional<Integer> stashCapacity() {
    return Optional.of(ReplayGate.stashCapacity(settings));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    int window = settings.requestWindow();
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state.apply(event, window));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.class, (state, signal) -> {
          gate.replayed();
          fencing.replayed(epoch, () -> startLoading(state));
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
        KilnException refused = phase.refusal(name, command);
        if (refused != null) {
          Internal.replyError(command, refused);
          return Effect().none();
        }
      }
      return table.apply(state, command);
    };
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
        .onCommand(Internal.DeletionDone.class, m -> done(() -> leases.deletionDone(m)))
        .onCommand(Internal.Fence.class, m -> fencing.fence(m, epoch, this::startLoading))
        .onCommand(Internal.Passivate.class, m -> phase.loading() ? Effect().stash() : close(shutdown.passivated(phase)))
        // while loading requests wait in the stash; other internal messages are an older incarnation's
        .onCommand(c -> phase.loading(), c -> Internal.isRequest(c) ? Effect().stash() : Effect().none())
        .onCommand(Put.class, (s, c) -> done(() -> writes.admit(c, s.requests())))
        .onCommand(Delete.class, (s, c) -> done(() -> writes.admit(c, s.requests())))
        .onCommand(PutAll.class, (s, c) -> done(() -> writes.admit(c, s.requests())))
        .onCommand(Reads::isRead, this::onRead)
        .onCommand(DatabaseProtocol.Query.class, (s, c) -> indexRequests.waitsForIndex(c) ? Effect().none() : onRead(s, c))
        .onCommand(DatabaseProtocol.DefineIndex.class, (s, c) -> done(() -> indexRequests.define(c,
            () -> installed.current(s).clock())))
        .onCommand(DatabaseProtocol.DropIndex.class, (s, c) -> done(() -> indexRequests.drop(c, s.requests())))
        .onCommand(DatabaseProtocol.Import.class, c -> done(() -> indexRequests.importCar(c)))
        .onCommand(DatabaseProtocol.OpenView.class, (s, c) -> done(() -> reads.openView(c, installed.current(s))))
        .onCommand(DatabaseProtocol.InView.class, (s, c) -> done(() -> reads.inView(c, s)))
        .onCommand(DatabaseProtocol.CloseView.class, c -> done(() -> leases.closeView(c.view())))
        .onCommand(DatabaseProtocol.Subscribe.class, c -> done(() -> subscribers.subscribe(c.subscriber())))
        .onCommand(DatabaseProtocol.Unsubscribe.class, c -> done(() -> subscribers.unsubscribe(c.subscriber())))
        .onCommand(DatabaseProtocol.Follow.class, c -> done(() -> subscribers.follow(c)))
        .onCommand(Internal.SubscriberGone.class, m -> done(() -> subscribers.gone(m.subscriber())))
        .onCommand(Compact.class, (s, c) -> done(() -> compaction.ask(s, c.replyTo(), c.kind())))
        .onCommand(Close.class, c -> close(Shutdown.closing(phase, c.replyTo(), false)))
        .onCommand(Destroy.class, c -> close(Shutdown.closing(phase, c.replyTo(), true)))
        .onCommand(Internal.CloseCheck.class, m -> shutdown.check(phase, epoch))
        .onCommand(Internal.DestroyDone.class, m -> shutdown.destroyed(phase, m))
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

  private void startLoading(State state) {
    // indexes opened before a journal restart are not read again; replaced CARs a reader may still use stay
    opening.load(epoch, state, installed.known(), Set.copyOf(leases.replacedButLeasable()));
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
      shutdown.checkIfClosing(phase);
      return Effect().unstashAll();
    }
    opening.opened();
    installed.loaded(m.indexes(), m.roots());
    if (m.migration() != null) {
      return migration.install(m.migration(), this::running).thenUnstashAll();
    }
    running(state);
    return Effect().unstashAll();
  }

  private void running(State state) {
    phase = phase.opened(Phase.RUNNING);
    leases.touchAllViews(); // a restart may have cancelled their idle timers
    commitActor.tell(new CommitActor.Rebase(epoch, leases.leaseCurrent(state)));
    compaction.autoIfDue(state);
    indexRequests.resume(); // an index catch-up cut short goes on
    shutdown.checkIfClosing(phase); // a close that waited for writes a journal failure has since failed
  }

  /** Persisting failed and the behavior restarts from the journal: fail what was in flight. */
  private void restartFromJournal() {
    KilnException failure = new KilnException(ErrorCode.JOURNAL,
        "the journal failed while database " + name + " was committing; this write was not acknowledged");
    writes.failAll(failure);
    compaction.restarted(failure);
    phase = phase.afterJournalFailure(name);
    epoch++;
    phase = phase.opened(Phase.OPENING); // a close waits for the opening, then completes
    // Leases, views and pending deletions are about files, not the journal: they stay, so nothing a
    // reader from before the restart holds is deleted. The indexes stay as a cache for the reload.
    installed.restarted();
    commitActor.tell(new CommitActor.Reset(epoch, writes.restarted()));
  }

  private Effect<Event, State> onCommitted(State state, Internal.Committed m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    writes.answerFailed(m.result());
    if (!m.result().hasCommit()) {
      // Everything the batch asked for was already stored (an index defined twice, a refresh
      // that found every index current): its writes succeeded at the current head.
      writes.answerSucceeded(m.result(), state.head() == null ? null : state.head().toString());
      shutdown.writesSettled(phase);
      return Effect().none();
    }
    installed.written(m.car());
    CommitBuilder.Result result = m.result();
    return Effect()
        .persist(new CarAppended(m.car().car(), result.commit().cid(), result.roots().seq(), writes.answered(result)))
        .thenRun(newState -> {
          installed.committed(result.roots());
          String clock = newState.head().toString();
          writes.answerSucceeded(result, clock);
          subscribers.publish(new ChangeBatch(result.changes(), clock));
          commitActor.tell(new CommitActor.Appended(epoch, leases.leaseCurrent(newState)));
          compaction.autoIfDue(newState);
          shutdown.writesSettled(phase);
        });
  }

  private Effect<Event, State> onCommitFailed(State state, Internal.CommitFailed m) {
    if (m.epoch() == epoch) {
      writes.commitFailed(m);
      shutdown.writesSettled(phase);
    }
    return Effect().none();
  }

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
    Compaction.Install install = compaction.finished(state, m);
    if (install == null) {
      return Effect().none();
    }
    installed.written(m.car());
    int logBefore = state.carLog().size();
    int kept = bug == InjectedBug.INSTALL_DROPS_APPENDED_CARS ? 0 : install.appended();
    return Effect()
        .persist(new Compacted(m.car().car(), kept, install.baseKept(), install.liveBytes(), install.minor()))
        .thenRun(newState -> {
          leases.replaced(newState.generation(), installed.compacted(install.replaced(), newState));
          compaction.answer(newState, logBefore, install.bytesBefore(), m.car().byteSize(),
              install.minor() ? CompactionKind.MINOR : CompactionKind.MAJOR);
          commitActor.tell(new CommitActor.Rebase(epoch, leases.leaseCurrent(newState)));
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

  private Effect<Event, State> onRead(State state, Command read) {
    reads.run(read, installed.current(state), false, state);
    return Effect().none();
  }

  /** Close, Destroy or a passivation made the phase {@code next} (a passivation while closing changes nothing). */
  private Effect<Event, State> close(Phase next) {
    if (next != phase) {
      phase = next;
      shutdown.checkIfClosing(phase);
    }
    return Effect().none();
  }
}
