package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.block.BlockGraph;
import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A real DatabaseActor whose CommitActor and CompactorActor are test probes: the test plays the
 * children, so it decides the order in which their messages arrive. It builds real commits with
 * {@link CommitBuilder} and real CARs in the given store, so reads through the DatabaseActor work.
 *
 * <p>Like the real CommitActor, it keeps the lease of the snapshot it builds on and releases the
 * previous one when it adopts a newer snapshot ({@link #adopt}); {@link #adoptKeepingLease} keeps
 * the old lease, as a slow commit would.
 */
final class ProbedDatabase {
  final ActorTestKit kit;
  final String name;
  final CarStore store;
  final Cache<Cid, Block> cache;
  final DatabaseSettings settings;
  final TestProbe<CommitActor.Command> commits;
  final TestProbe<CompactorActor.Command> compactor;
  final ActorRef<DatabaseProtocol.Command> ref;
  final InvariantKit.Client client;

  long epoch;
  /** The snapshot the played CommitActor builds on (leased for it). */
  Snapshot base;
  /** The newest write id the played CommitActor was given. */
  long lastWriteId;

  private ProbedDatabase(ActorTestKit kit, String name, CarStore store, Cache<Cid, Block> cache, DatabaseSettings settings) {
    this.kit = kit;
    this.name = name;
    this.store = store;
    this.cache = cache;
    this.settings = settings;
    this.commits = kit.createTestProbe(CommitActor.Command.class);
    this.compactor = kit.createTestProbe(CompactorActor.Command.class);
    Wiring probes = new Wiring() {
      @Override
      public ActorRef<CommitActor.Command> commitActor(Parts parts) {
        return commits.ref();
      }

      @Override
      public ActorRef<CompactorActor.Command> compactor(Parts parts) {
        return compactor.ref();
      }
    };
    this.ref = kit.spawn(DatabaseActor.create(name, store, cache, settings, probes), name + "-" + System.nanoTime());
    this.client = new InvariantKit.Client(kit.system(), ref);
  }

  /** Starts the database and takes the Rebase it sends its CommitActor once the CarLog is loaded. */
  static ProbedDatabase start(ActorTestKit kit, String name, CarStore store, Cache<Cid, Block> cache,
      DatabaseSettings settings) {
    ProbedDatabase db = new ProbedDatabase(kit, name, store, cache, settings);
    db.expectRebase();
    return db;
  }

  // ------------------------------------------------------------------ the CommitActor's side

  CommitActor.Submit expectSubmit() {
    CommitActor.Submit s = commits.expectMessageClass(CommitActor.Submit.class, WAIT);
    assertThat(s.epoch()).isEqualTo(epoch);
    lastWriteId = Math.max(lastWriteId, s.unit().writeId());
    return s;
  }

  /** Builds one group commit of these writes on {@link #base}, writes its CAR and reports it. */
  CarIndex commit(CommitActor.Submit... submits) {
    List<CommitBuilder.Unit> units = new ArrayList<>();
    for (CommitActor.Submit s : submits) {
      units.add(s.unit());
    }
    CommitBuilder.Result result = CommitBuilder.build(
        new CarLogBlocks(store, base, cache, true), base.roots(), units, settings.maxDocBytes());
    CarIndex car = store.write(List.of(result.commit().cid()), result.blocks());
    ref.tell(new Internal.Committed(epoch, result, car));
    return car;
  }

  Snapshot expectAppended() {
    CommitActor.Appended a = commits.expectMessageClass(CommitActor.Appended.class, WAIT);
    assertThat(a.epoch()).isEqualTo(epoch);
    adopt(a.snapshot());
    return a.snapshot();
  }

  Snapshot expectRebase() {
    CommitActor.Rebase r = commits.expectMessageClass(CommitActor.Rebase.class, WAIT);
    assertThat(r.epoch()).isEqualTo(epoch);
    adopt(r.snapshot());
    return r.snapshot();
  }

  /** Builds on {@code next} from now on and releases the lease of the snapshot it replaces. */
  void adopt(Snapshot next) {
    if (base != null) {
      ref.tell(new Internal.ReleaseLease(epoch, base.generation()));
    }
    base = next;
  }

  /** Builds on {@code next} but keeps the old lease; returns the snapshot still leased. */
  Snapshot adoptKeepingLease(Snapshot next) {
    Snapshot old = base;
    base = next;
    return old;
  }

  void release(Snapshot leased) {
    ref.tell(new Internal.ReleaseLease(epoch, leased.generation()));
  }

  /** Reports that nothing is queued or in flight, naming the newest write received. */
  void idle() {
    idle(lastWriteId);
  }

  void idle(long writeId) {
    ref.tell(new Internal.Idle(epoch, writeId));
  }

  /** A put played through a whole commit cycle: Submit, commit, Appended, Idle; returns the ack. */
  WriteResult putCommitted(String id, long n) {
    CompletableFuture<WriteResult> ack = client.put(InvariantKit.doc(id, n));
    commit(expectSubmit());
    expectAppended();
    idle();
    return await(ack);
  }

  /** The CommitActor got nothing more from the database (after a barrier on the database). */
  void expectNoCommitMessage() {
    client.barrier();
    InvariantKit.expectNothingBefore(commits, new CommitMarker());
  }

  /** Stands for "nothing came before this" in the commit probe. */
  record CommitMarker() implements CommitActor.Command {}

  /** Stands for "nothing came before this" in the compactor probe. */
  record CompactMarker() implements CompactorActor.Command {}

  // ------------------------------------------------------------------ the CompactorActor's side

  CompactorActor.Compact expectCompact() {
    CompactorActor.Compact c = compactor.expectMessageClass(CompactorActor.Compact.class, WAIT);
    assertThat(c.epoch()).isEqualTo(epoch);
    return c;
  }

  /** The CompactorActor got nothing more from the database (after a barrier on the database). */
  void expectNoCompact() {
    client.barrier();
    InvariantKit.expectNothingBefore(compactor, new CompactMarker());
  }

  /** Does what the CompactorActor does: every block reachable from the snapshot's head, in one CAR. */
  CarIndex writeCompactedCar(Snapshot snapshot) {
    List<Block> blocks = BlockGraph.reachable(new CarLogBlocks(store, snapshot, cache, false), snapshot.head());
    return store.write(List.of(snapshot.head()), blocks);
  }

  /** Finishes the compaction as the CompactorActor does (major or minor, as asked): writes its CAR and reports it; returns the CAR. */
  CarIndex finishCompaction(CompactorActor.Compact c) {
    CompactorActor.Result result = CompactorActor.compact(store, cache, c.snapshot(), c.keep(), c.liveBytes());
    ref.tell(new Internal.CompactionDone(epoch, c.snapshot(), result));
    return result.car();
  }
}
