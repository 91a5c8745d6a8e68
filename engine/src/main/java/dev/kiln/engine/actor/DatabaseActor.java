package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import com.github.benmanes.caffeine.cache.Cache;
import com.typesafe.config.Config;
import dev.kiln.engine.actor.Events.CarAppended;
import dev.kiln.engine.actor.Events.Compacted;
import dev.kiln.engine.actor.Events.Event;
import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarNotFoundException;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.engine.index.IndexReads;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.doc.DocumentReads;
import dev.kiln.engine.persist.KilnPersistence;
import dev.kiln.engine.transfer.CarTransfer;
import java.nio.file.Path;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.actor.Internal.CloseCheck;
import dev.kiln.engine.actor.Internal.CommitFailed;
import dev.kiln.engine.actor.Internal.Committed;
import dev.kiln.engine.actor.Internal.CompactionDone;
import dev.kiln.engine.actor.Internal.CompactionFailed;
import dev.kiln.engine.actor.Internal.DeletionDone;
import dev.kiln.engine.actor.Internal.DestroyDone;
import dev.kiln.engine.actor.Internal.Idle;
import dev.kiln.engine.actor.Internal.Loaded;
import dev.kiln.engine.actor.Internal.MaxWaitElapsed;
import dev.kiln.engine.actor.Internal.ReadDone;
import dev.kiln.engine.actor.Internal.ReleaseLease;
import dev.kiln.engine.actor.Internal.RetryLoad;
import dev.kiln.engine.actor.Internal.SubscriberGone;
import dev.kiln.engine.actor.Internal.ViewIdle;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocs;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.BulkResult;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import dev.kiln.protocol.DatabaseProtocol.Changes;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.Close;
import dev.kiln.protocol.DatabaseProtocol.Command;
import dev.kiln.protocol.DatabaseProtocol.Compact;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.Delete;
import dev.kiln.protocol.DatabaseProtocol.Destroy;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.Get;
import dev.kiln.protocol.DatabaseProtocol.Put;
import dev.kiln.protocol.DatabaseProtocol.PutAll;
import dev.kiln.protocol.DatabaseProtocol.Stats;
import dev.kiln.protocol.DatabaseProtocol.Subscribe;
import dev.kiln.protocol.DatabaseProtocol.Unsubscribe;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
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
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One database. The only place where the CarLog, the head commit and the generation change: every
 * change is an event in the journal ({@link CarAppended}, {@link Compacted}), and this actor
 * handles one message at a time, so compaction and commits cannot race.
 *
 * <ul>
 *   <li>Writes go to the {@link CommitActor}; a writer is answered only after its CAR is fsynced and
 *       its {@code CarAppended} is persisted (invariant 1).
 *   <li>Compaction waits until the CommitActor reports {@link Idle} for the newest write sent; a
 *       stale Idle does not count (2). A request waiting longer than
 *       {@code kiln.compaction.max-wait} holds new writes back until the queue drains (3). The
 *       install keeps every CAR appended after the snapshot (4); one runs at a time and further
 *       requests join it (5).
 *   <li>Reads run on the blocking dispatcher against a leased snapshot; a replaced CAR is deleted
 *       only after {@code Compacted} is persisted and no older lease remains (7).
 *   <li>When persisting fails, every write in flight fails and the actor recovers from the
 *       journal; the CommitActor starts again from what the journal holds (11).
 * </ul>
 */
public final class DatabaseActor extends EventSourcedBehavior<Command, Event, State> {

  private interface Replier extends WriteAdmission.Replier {}


  // ------------------------------------------------------------------ wiring

  private final String name;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final CarStore store;
  private final Cache<Cid, Block> cache;
  private final ReplayGate gate;
  private final Executor blocking;
  private final Executor reads;
  private final DatabaseSettings settings;
  private final ActorRef<CommitActor.Command> commitActor;
  private final ActorRef<CompactorActor.Command> compactor;

  // ------------------------------------------------------------------ transient state (actor thread only)

  /** Bumped when the actor restarts from the journal: messages of older epochs are ignored. */
  private long epoch;
  /** Opening, running, failed to open, or closing: what requests get, in one value. */
  private Phase phase = Phase.OPENING;
  /** Loading at start and after a journal restart, and retrying after a disk failure. */
  private final Opening opening;
  private final Map<Cid, CarIndex> indexes = new HashMap<>();
  private CommitRoots roots = CommitRoots.empty();
  private Snapshot snapshot;
  private final KilnPersistence persistence;

  /** Writes sent and not yet answered, writes held for a compaction, and the ids the queue reports. */
  private final WriteAdmission writes;

  /** Compaction requests, the one running, and who waits for it. */
  private final Compaction compaction;

  /** NONE except in the schedule explorer's tests of the explorer itself. */
  private final InjectedBug bug;
  /** Leases, views, reads in flight and replaced CARs waiting for their readers. */
  private final SnapshotLeases leases;
  private final Set<ActorRef<ChangeBatch>> subscribers = new LinkedHashSet<>();

  /** Queries on a registered index that is not current yet, answered after the refresh commit. */
  private final List<DatabaseProtocol.Query> waitingForIndex = new ArrayList<>();
  private boolean refreshPending;

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
        .withStashCapacity(stashCapacity(settings))); // Pekko's default of 1,000 would drop the rest
    this.name = name;
    this.gate = gate;
    this.context = context;
    this.timers = timers;
    this.store = store;
    this.cache = cache;
    this.settings = settings;
    this.persistence = KilnPersistence.from(context.getSystem().settings().config());
    this.bug = bug;
    this.blocking = wiring.blocking(context);
    this.reads = wiring.reads(context);
    DatabaseContext shared = new DatabaseContext(name, context, timers, store, cache, blocking, reads, settings);
    this.leases = new SnapshotLeases(shared, () -> epoch, indexes::containsKey, bug);
    Wiring.Parts parts = new Wiring.Parts(context, store, cache, blocking, settings);
    this.commitActor = wiring.commitActor(parts);
    this.compactor = wiring.compactor(parts);
    this.writes = new WriteAdmission(shared, unit -> commitActor.tell(new CommitActor.Submit(epoch, unit)));
    this.opening = new Opening(shared);
    this.compaction = new Compaction(shared, writes, () -> epoch, () -> phase.loaded(), this::leasedSnapshot, compactor);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  // Kiln's own journal and snapshot store, never the application's default ones.
  @Override
  public String journalPluginId() {
    return persistence.journalPluginId();
  }

  @Override
  public java.util.Optional<Config> journalPluginConfig() {
    return persistence.journalPluginConfig();
  }

  @Override
  public String snapshotPluginId() {
    return persistence.snapshotPluginId();
  }

  @Override
  public java.util.Optional<Config> snapshotPluginConfig() {
    return persistence.snapshotPluginConfig();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events before the older kept snapshot are deleted: the journal holds at most ~300 rows per database.
    return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
  }

  /**
   * Larger than every bound of our own (requests waiting, reads, writes, held writes, and room for
   * internal messages), so Pekko's stash never drops a request the gate let in.
   */
  @Override
  public java.util.Optional<Integer> stashCapacity() {
    return java.util.Optional.of(stashCapacity(settings));
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
        .onCommand(Loaded.class, this::onLoaded)
        .onCommand(RetryLoad.class, this::onRetryLoad)
        // leases and files are kept across a journal restart: these count while loading, too
        .onCommand(ReleaseLease.class, this::onReleaseLease)
        .onCommand(ReadDone.class, this::onReadDone)
        .onCommand(CompactionDone.class, this::onCompactionDone)
        .onCommand(CompactionFailed.class, this::onCompactionFailed)
        .onCommand(ViewIdle.class, this::onViewIdle)
        .onCommand(DeletionDone.class, this::onDeletionDone)
        .onCommand(c -> phase.loading(), this::whileLoading)
        .onCommand(Put.class, this::onPut)
        .onCommand(PutAll.class, this::onPutAll)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Get.class, this::onGet)
        .onCommand(AllDocs.class, this::onAllDocs)
        .onCommand(Changes.class, this::onChanges)
        .onCommand(DatabaseProtocol.Query.class, this::onQuery)
        .onCommand(DatabaseProtocol.DefineIndex.class, this::onDefineIndex)
        .onCommand(DatabaseProtocol.DropIndex.class, this::onDropIndex)
        .onCommand(DatabaseProtocol.ListIndexes.class, this::onListIndexes)
        .onCommand(DatabaseProtocol.Export.class, this::onExport)
        .onCommand(DatabaseProtocol.Import.class, this::onImport)
        .onCommand(DatabaseProtocol.OpenView.class, this::onOpenView)
        .onCommand(DatabaseProtocol.InView.class, this::onInView)
        .onCommand(DatabaseProtocol.CloseView.class, this::onCloseView)
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Unsubscribe.class, this::onUnsubscribe)
        .onCommand(SubscriberGone.class, this::onSubscriberGone)
        .onCommand(Compact.class, this::onCompact)
        .onCommand(Stats.class, this::onStats)
        .onCommand(Close.class, this::onClose)
        .onCommand(Destroy.class, this::onDestroy)
        .onCommand(CloseCheck.class, this::onCloseCheck)
        .onCommand(DestroyDone.class, this::onDestroyDone)
        .onCommand(Committed.class, this::onCommitted)
        .onCommand(CommitFailed.class, this::onCommitFailed)
        .onCommand(Idle.class, this::onIdle)
        .onCommand(MaxWaitElapsed.class, this::onMaxWaitElapsed)
        .build();
  }

  // ------------------------------------------------------------------ start-up

  /** Opens every CAR the CarLog names (verifying each), reads the head, removes orphans (invariant 9). */
  private void startLoading(State state) {
    // indexes opened before a journal restart are not read again; replaced CARs a reader may still use stay
    opening.load(epoch, state, Map.copyOf(indexes), Set.copyOf(leases.replacedButLeasable()));
  }

  private Effect<Event, State> whileLoading(State state, Command command) {
    if (Internal.isRequest(command)) {
      return Effect().stash();
    }
    return Effect().none(); // internal messages of an older incarnation
  }

  private Effect<Event, State> onRetryLoad(State state, RetryLoad m) {
    if (m.epoch() != epoch || !(phase instanceof Phase.Failed)) {
      return Effect().none();
    }
    phase = Phase.OPENING; // requests wait in the stash again while this attempt runs
    startLoading(state);
    return Effect().none();
  }

  private Effect<Event, State> onLoaded(State state, Loaded m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    if (m.error() != null) {
      phase = phase.opened(new Phase.Failed(opening.failed(epoch, m.error())));
      closeCheckIfClosing();
      return Effect().unstashAll();
    }
    opening.opened();
    indexes.clear();
    indexes.putAll(m.indexes());
    roots = m.roots();
    snapshot = null;
    phase = phase.opened(Phase.RUNNING);
    leases.touchAllViews(); // a restart may have cancelled their idle timers
    commitActor.tell(new CommitActor.Rebase(epoch, leasedSnapshot(state)));
    compaction.autoIfDue(state);
    closeCheckIfClosing(); // a close that waited for writes a journal failure has since failed
    return Effect().unstashAll();
  }

  private void closeCheckIfClosing() {
    if (phase.closing()) {
      context.getSelf().tell(new CloseCheck());
    }
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
    snapshot = null;
    commitActor.tell(new CommitActor.Reset(epoch, writes.restarted()));
  }

  // ------------------------------------------------------------------ writes

  private Effect<Event, State> onPut(State state, Put cmd) {
    return write(List.of(new CommitBuilder.Put(cmd.doc(), cmd.expected())), single(cmd.replyTo()));
  }

  private Effect<Event, State> onDelete(State state, Delete cmd) {
    return write(List.of(new CommitBuilder.Delete(cmd.id(), cmd.expected())), single(cmd.replyTo()));
  }

  private Effect<Event, State> onPutAll(State state, PutAll cmd) {
    if (cmd.docs() == null || cmd.docs().isEmpty()) {
      cmd.replyTo().tell(StatusReply.error(new KilnException(ErrorCode.INVALID_DOCUMENT, "a bulk write needs at least one document")));
      return Effect().none();
    }
    List<CommitBuilder.Op> ops = new ArrayList<>(cmd.docs().size());
    for (var doc : cmd.docs()) {
      ops.add(new CommitBuilder.Put(doc));
    }
    ActorRef<StatusReply<BulkResult>> replyTo = cmd.replyTo();
    return write(ops, new Replier() {
      @Override
      public void ok(List<CommitBuilder.Applied> applied, String clock) {
        List<WriteResult> results = new ArrayList<>(applied.size());
        for (CommitBuilder.Applied a : applied) {
          results.add(a.toResult(clock));
        }
        replyTo.tell(StatusReply.success(new BulkResult(results, clock)));
      }

      @Override
      public void fail(KilnException error) {
        replyTo.tell(StatusReply.error(error));
      }
    });
  }

  private static Replier single(ActorRef<StatusReply<WriteResult>> replyTo) {
    return new Replier() {
      @Override
      public void ok(List<CommitBuilder.Applied> applied, String clock) {
        CommitBuilder.Applied a = applied.get(0);
        replyTo.tell(StatusReply.success(a.toResult(clock)));
      }

      @Override
      public void fail(KilnException error) {
        replyTo.tell(StatusReply.error(error));
      }
    };
  }

  private Effect<Event, State> write(List<CommitBuilder.Op> ops, Replier replier) {
    writes.admit(ops, replier);
    return Effect().none();
  }

  private KilnException overloaded(String why) {
    return DatabaseContext.overloaded(name, why);
  }

  private Effect<Event, State> onCommitted(State state, Committed m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    writes.answerFailed(m.result());
    if (!m.result().hasCommit()) {
      // Everything the batch asked for was already stored (an index defined twice, a refresh
      // that found every index current): its writes succeeded at the current head.
      writes.answerSucceeded(m.result(), state.head() == null ? null : state.head().toString());
      afterWritesSettled(state);
      return Effect().none();
    }
    indexes.put(m.car().car(), m.car());
    CommitBuilder.Result result = m.result();
    return Effect()
        .persist(new CarAppended(m.car().car(), result.commit().cid(), result.roots().seq()))
        .thenRun(newState -> {
          roots = result.roots();
          snapshot = null;
          String clock = newState.head().toString();
          writes.answerSucceeded(result, clock);
          ChangeBatch batch = new ChangeBatch(result.changes(), clock);
          for (ActorRef<ChangeBatch> s : subscribers) {
            s.tell(batch);
          }
          commitActor.tell(new CommitActor.Appended(epoch, leasedSnapshot(newState)));
          compaction.autoIfDue(newState);
          afterWritesSettled(newState);
        });
  }

  private Effect<Event, State> onCommitFailed(State state, CommitFailed m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    KilnException error = Errors.toKiln(m.error());
    context.getLog().warn("database {}: a commit failed, {} writes not stored: {}", name, m.writeIds().size(), error.getMessage());
    writes.fail(m.writeIds(), error);
    afterWritesSettled(state);
    return Effect().none();
  }

  private void afterWritesSettled(State state) {
    if (phase.closing() && writes.noneWaiting()) {
      context.getSelf().tell(new CloseCheck());
    }
  }

  // ------------------------------------------------------------------ compaction

  private Effect<Event, State> onCompact(State state, Compact cmd) {
    compaction.ask(state, cmd.replyTo());
    return Effect().none();
  }

  private Effect<Event, State> onIdle(State state, Idle m) {
    if (m.epoch() != epoch) {
      return Effect().none();
    }
    writes.idle(m.lastWriteId());
    compaction.startIfIdle(state);
    return Effect().none();
  }

  private Effect<Event, State> onMaxWaitElapsed(State state, MaxWaitElapsed m) {
    compaction.maxWaitElapsed(m);
    return Effect().none();
  }

  /** Installs a finished compaction: persists {@code Compacted}, then hands the replaced CARs to the leases. */
  private Effect<Event, State> onCompactionDone(State state, CompactionDone m) {
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
    indexes.put(compacted, m.car());
    int kept = state.carLog().size() - replaced.size();
    long bytesBefore = snap.carBytes();
    int logBefore = state.carLog().size();
    return Effect()
        .persist(new Compacted(compacted, bug == InjectedBug.INSTALL_DROPS_APPENDED_CARS ? 0 : kept))
        .thenRun(newState -> {
          snapshot = null;
          Set<Cid> live = new HashSet<>(newState.carLog());
          List<Cid> dead = new ArrayList<>();
          for (Cid c : replaced) {
            if (!live.contains(c)) {
              dead.add(c);
              indexes.remove(c);
            }
          }
          leases.replaced(newState.generation(), dead);
          compaction.answer(newState, logBefore, bytesBefore, m.car().byteSize());
          commitActor.tell(new CommitActor.Rebase(epoch, leasedSnapshot(newState)));
          compaction.autoIfDue(newState);
        });
  }

  private Effect<Event, State> onCompactionFailed(State state, CompactionFailed m) {
    leases.release(m.snapshot().generation());
    if (m.epoch() == epoch) {
      compaction.failed(m.error());
    }
    return Effect().none();
  }

  // ------------------------------------------------------------------ leases and deletion

  /** The current snapshot with a lease taken on it; the receiver must send {@link ReleaseLease}. */
  private Snapshot leasedSnapshot(State state) {
    return leases.lease(currentSnapshot(state));
  }

  private Snapshot currentSnapshot(State state) {
    if (snapshot == null || snapshot.generation() != state.generation()) {
      List<CarIndex> log = new ArrayList<>(state.carLog().size());
      for (Cid car : state.carLog()) {
        CarIndex index = indexes.get(car);
        if (index == null) {
          throw new IllegalStateException("bug: no index for CAR " + car + " of the CarLog");
        }
        log.add(index);
      }
      snapshot = new Snapshot(state.generation(), log, state.head(), roots);
    }
    return snapshot;
  }

  /** Also from an older epoch: a lease taken before a journal restart is still held until released. */
  private Effect<Event, State> onReleaseLease(State state, ReleaseLease m) {
    leases.release(m.generation());
    return Effect().none();
  }

  private Effect<Event, State> onReadDone(State state, ReadDone m) {
    leases.readDone(m.generation());
    return Effect().none();
  }

  private Effect<Event, State> onDeletionDone(State state, DeletionDone m) {
    if (m.error() != null) {
      // The files stay behind as orphans; start-up removes them.
      context.getLog().warn("database {}: could not delete replaced CARs {}: {}", name, m.cars(), m.error().toString());
    }
    return Effect().none();
  }

  // ------------------------------------------------------------------ reads

  private Effect<Event, State> onGet(State state, Get cmd) {
    return read(state, null, cmd.replyTo(), (snap, src) ->
        DocumentReads.read(src, snap.roots(), cmd.id(), snap.clock()));
  }

  private Effect<Event, State> onAllDocs(State state, AllDocs cmd) {
    return read(state, null, cmd.replyTo(), (snap, src) ->
        new AllDocsResult(DocumentReads.allDocs(src, snap.roots(), cmd.query()), snap.clock()));
  }

  private Effect<Event, State> onChanges(State state, Changes cmd) {
    return changes(state, null, cmd);
  }

  private Effect<Event, State> changes(State state, Snapshot view, Changes cmd) {
    return read(state, view, cmd.replyTo(), (snap, src) -> DocumentReads.changes(src, snap.roots(), cmd, snap.clock()));
  }

  // ------------------------------------------------------------------ query indexes

  private Effect<Event, State> onQuery(State state, DatabaseProtocol.Query cmd) {
    if (registeredButBehind(cmd.index())) {
      // Only the first commit after opening (or after registering a new definition) finds a
      // registered index behind; every later commit keeps it current. Bring it current, then answer.
      waitingForIndex.add(cmd);
      refreshIndexes();
      return Effect().none();
    }
    return query(state, null, cmd);
  }

  private Effect<Event, State> query(State state, Snapshot view, DatabaseProtocol.Query cmd) {
    return read(state, view, cmd.replyTo(), (snap, src) ->
        new DatabaseProtocol.QueryResult(IndexReads.query(src, snap.roots(), cmd.index(), cmd.query()), snap.clock()));
  }

  private boolean registeredButBehind(String index) {
    IndexDefinition def = index == null ? null : settings.indexes().get(index);
    if (def == null) {
      return false;
    }
    IndexRoot stored = roots.indexes().get(index);
    return stored == null || !stored.definition().equals(def.fingerprint()) || stored.seq() < roots.seq();
  }

  private void refreshIndexes() {
    if (refreshPending) {
      return;
    }
    refreshPending = true;
    write(List.of(new CommitBuilder.RefreshIndexes()), new Replier() {
      @Override
      public void ok(List<CommitBuilder.Applied> applied, String clock) {
        refreshPending = false;
        List<DatabaseProtocol.Query> ready = new ArrayList<>(waitingForIndex);
        waitingForIndex.clear();
        ready.forEach(context.getSelf()::tell); // now current: they go the normal way
      }

      @Override
      public void fail(KilnException error) {
        refreshPending = false;
        KilnException why = new KilnException(error.code(), "could not bring the index current: " + error.getMessage());
        waitingForIndex.forEach(q -> q.replyTo().tell(StatusReply.error(why)));
        waitingForIndex.clear();
      }
    });
  }

  private Effect<Event, State> onDefineIndex(State state, DatabaseProtocol.DefineIndex cmd) {
    IndexDefinition def;
    try {
      def = IndexDefinition.field(cmd.field(), cmd.each());
    } catch (KilnException e) {
      cmd.replyTo().tell(StatusReply.error(e));
      return Effect().none();
    }
    IndexDefinition registered = settings.indexes().get(def.name());
    IndexRoot stored = roots.indexes().get(def.name());
    String clash = registered != null && !registered.fingerprint().equals(def.fingerprint()) ? registered.fingerprint()
        : stored != null && !stored.definition().equals(def.fingerprint()) ? stored.definition() : null;
    if (clash != null) {
      cmd.replyTo().tell(StatusReply.error(new KilnException(ErrorCode.INVALID_QUERY, "an index named '" + def.name()
          + "' already exists with another definition (" + clash + ")")));
      return Effect().none();
    }
    ActorRef<StatusReply<DatabaseProtocol.IndexDefined>> replyTo = cmd.replyTo();
    if (stored != null) {
      replyTo.tell(StatusReply.success(new DatabaseProtocol.IndexDefined(def.name(), currentSnapshot(state).clock())));
      return Effect().none();
    }
    return write(List.of(new CommitBuilder.DefineIndex(def.name(), def.fingerprint())), new Replier() {
      @Override
      public void ok(List<CommitBuilder.Applied> applied, String clock) {
        replyTo.tell(StatusReply.success(new DatabaseProtocol.IndexDefined(def.name(), clock)));
      }

      @Override
      public void fail(KilnException error) {
        replyTo.tell(StatusReply.error(error));
      }
    });
  }

  private Effect<Event, State> onListIndexes(State state, DatabaseProtocol.ListIndexes cmd) {
    return read(state, null, cmd.replyTo(), (snap, src) ->
        new DatabaseProtocol.IndexList(IndexReads.list(src, snap.roots(), settings.indexes()), snap.clock()));
  }

  /** Whether the index exists is decided in the commit (CommitBuilder.DropIndex); registered ones are refused here. */
  private Effect<Event, State> onDropIndex(State state, DatabaseProtocol.DropIndex cmd) {
    if (settings.indexes().get(cmd.name()) != null) {
      cmd.fail(new KilnException(ErrorCode.INVALID_QUERY, "index '" + cmd.name() + "' is a map index registered in"
          + " code (DatabaseSettings.withIndex), which would build it again: remove the registration, then drop it"));
      return Effect().none();
    }
    return write(List.of(new CommitBuilder.DropIndex(cmd.name())),
        answering(cmd.replyTo(), clock -> new DatabaseProtocol.IndexDropped(cmd.name(), clock)));
  }

  private Effect<Event, State> onExport(State state, DatabaseProtocol.Export cmd) {
    return read(state, null, cmd.replyTo(), (snap, src) -> CarTransfer.export(src, snap.head(), Path.of(cmd.path())));
  }

  /** The file is read and checked in the commit (CommitBuilder.Import), on the CommitActor's blocking thread. */
  private Effect<Event, State> onImport(State state, DatabaseProtocol.Import cmd) {
    // runs once the commit is installed, so roots are the imported ones
    return write(List.of(new CommitBuilder.Import(Path.of(cmd.path()))),
        answering(cmd.replyTo(), clock -> new DatabaseProtocol.Imported(clock, roots.docCount(), roots.seq(), clock)));
  }

  /** A replier that answers with what {@code ok} makes of the commit's clock, or with the error. */
  private static <T> Replier answering(ActorRef<StatusReply<T>> replyTo, java.util.function.Function<String, T> ok) {
    return new Replier() {
      @Override
      public void ok(List<CommitBuilder.Applied> applied, String clock) {
        replyTo.tell(StatusReply.success(ok.apply(clock)));
      }

      @Override
      public void fail(KilnException error) {
        replyTo.tell(StatusReply.error(error));
      }
    };
  }

  private Effect<Event, State> onStats(State state, Stats cmd) {
    return read(state, null, cmd.replyTo(), (snap, src) -> {
      int files = 0;
      long bytes = 0;
      for (Cid f : store.list()) {
        try {
          bytes += store.size(f);
          files++;
        } catch (CarNotFoundException e) {
          // a replaced CAR deleted between the listing and now: it no longer counts
        }
      }
      long indexedBlocks = 0;
      long indexHeapBytes = 0;
      for (CarIndex c : snap.carLog()) {
        indexedBlocks += c.blockCount();
        indexHeapBytes += c.approximateHeapBytes();
      }
      return new DatabaseStats(name, snap.carLog().size(), files, bytes, snap.roots().docCount(),
          snap.generation(), state.compactions(), snap.roots().seq(), snap.clock(), indexedBlocks, indexHeapBytes);
    });
  }

  /**
   * Runs a read on the blocking dispatcher against a leased snapshot (the current one, or an open
   * view's); the lease ends with the read.
   */
  private <T> Effect<Event, State> read(State state, Snapshot view, ActorRef<StatusReply<T>> replyTo,
      SnapshotLeases.ReadBody<T> body) {
    leases.read(view != null ? view : currentSnapshot(state), replyTo, body);
    return Effect().none();
  }

  // ------------------------------------------------------------------ views

  private Effect<Event, State> onOpenView(State state, DatabaseProtocol.OpenView cmd) {
    Snapshot snap = currentSnapshot(state);
    long id = leases.openView(snap); // leased until the view closes
    cmd.replyTo().tell(StatusReply.success(new DatabaseProtocol.ViewOpened(id, snap.clock())));
    return Effect().none();
  }

  private Effect<Event, State> onInView(State state, DatabaseProtocol.InView cmd) {
    Snapshot view = leases.view(cmd.view()); // and its idle timer starts again
    Command read = cmd.read();
    if (view == null) {
      KilnException gone = new KilnException(ErrorCode.INVALID_QUERY, "view " + cmd.view()
          + " is not open (closed, idle past kiln.view-idle-timeout, or from before a restart)");
      Internal.replyError(read, gone);
      return Effect().none();
    }
    if (read instanceof Get g) {
      return read(state, view, g.replyTo(), (snap, src) ->
          DocumentReads.read(src, snap.roots(), g.id(), snap.clock()));
    } else if (read instanceof AllDocs a) {
      return read(state, view, a.replyTo(), (snap, src) ->
          new AllDocsResult(DocumentReads.allDocs(src, snap.roots(), a.query()), snap.clock()));
    } else if (read instanceof Changes c) {
      return changes(state, view, c);
    } else if (read instanceof DatabaseProtocol.Query q) {
      return query(state, view, q);
    }
    Internal.replyError(read, new KilnException(ErrorCode.INVALID_QUERY, "only get, all-docs, changes and query run in a view, not "
        + read.getClass().getSimpleName()));
    return Effect().none();
  }

  private Effect<Event, State> onCloseView(State state, DatabaseProtocol.CloseView cmd) {
    leases.closeView(cmd.view());
    return Effect().none();
  }

  private Effect<Event, State> onViewIdle(State state, ViewIdle m) {
    leases.closeView(m.view()); // views outlive a journal restart, and so do their ids
    return Effect().none();
  }

  // ------------------------------------------------------------------ subscriptions

  private Effect<Event, State> onSubscribe(State state, Subscribe cmd) {
    if (subscribers.add(cmd.subscriber())) {
      context.watchWith(cmd.subscriber(), new SubscriberGone(cmd.subscriber()));
    }
    return Effect().none();
  }

  private Effect<Event, State> onUnsubscribe(State state, Unsubscribe cmd) {
    if (subscribers.remove(cmd.subscriber())) {
      context.unwatch(cmd.subscriber());
    }
    return Effect().none();
  }

  private Effect<Event, State> onSubscriberGone(State state, SubscriberGone m) {
    subscribers.remove(m.subscriber());
    return Effect().none();
  }

  // ------------------------------------------------------------------ close and destroy

  private Effect<Event, State> onClose(State state, Close cmd) {
    phase = new Phase.Closing(cmd.replyTo(), false, phase);
    context.getSelf().tell(new CloseCheck());
    return Effect().none();
  }

  private Effect<Event, State> onDestroy(State state, Destroy cmd) {
    phase = new Phase.Closing(cmd.replyTo(), true, phase);
    context.getSelf().tell(new CloseCheck());
    return Effect().none();
  }

  /** Stops once every write sent has its answer (held writes are sent when compaction starts). */
  private Effect<Event, State> onCloseCheck(State state, CloseCheck m) {
    if (!(phase instanceof Phase.Closing closing) || !writes.noneWaiting()) {
      return Effect().none();
    }
    compaction.fail(phase.refusal(name));
    if (!closing.destroy()) {
      ActorRef<StatusReply<Done>> replyTo = closing.replyTo();
      return Effect().stop().thenRun(s -> replyTo.tell(StatusReply.ack()));
    }
    long e = epoch;
    return Effect().persist(new Events.Destroyed()).thenRun(s -> {
      CompletableFuture<Done> work = CompletableFuture.supplyAsync(() -> {
        for (Cid car : store.list()) {
          store.delete(car);
        }
        return Done.getInstance();
      }, blocking);
      context.pipeToSelf(work, (ok, error) -> new DestroyDone(e, error));
    });
  }

  private Effect<Event, State> onDestroyDone(State state, DestroyDone m) {
    ActorRef<StatusReply<Done>> replyTo = ((Phase.Closing) phase).replyTo();
    if (m.error() != null) {
      return Effect().stop().thenRun(s -> replyTo.tell(StatusReply.error(Errors.toKiln(m.error()))));
    }
    return Effect().stop().thenRun(s -> replyTo.tell(StatusReply.ack()));
  }

}
