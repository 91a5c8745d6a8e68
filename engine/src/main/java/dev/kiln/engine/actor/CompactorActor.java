package dev.kiln.engine.actor;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockGraph;
import dev.kiln.engine.block.CidSet;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.Varint;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Writes the blocks reachable from a snapshot's commit block into one CAR. It follows every link
 * of every block, so the compacted CAR holds the document tree, the sequence trees, each document
 * and anything a later format adds, without knowing their shapes (invariant 6). It reads through
 * the snapshot it was handed, which the DatabaseActor leased for it.
 *
 * <p>A major compaction ({@code keep} 0) writes every reachable block. A minor one keeps the
 * oldest {@code keep} CARs of the snapshot (those earlier compactions wrote) and writes only the
 * reachable blocks they do not hold, without descending into a block they hold: each of them holds
 * the whole graph below its reachable blocks (DESIGN.md, "Generational compaction"). Either way
 * the blocks stream into the CAR as the walk reads them; the walk keeps CIDs, not bytes.
 */
public final class CompactorActor extends AbstractBehavior<CompactorActor.Command> {

  /** Local only: sent among Kiln's actors of one system, never serialized. */
  public interface Command extends NoSerializationVerificationNeeded {}

  /**
   * @param keep how many of the oldest CARs of the snapshot's CarLog a minor compaction keeps; 0
   *     for a major compaction
   * @param liveBytes the live bytes at the last compaction, which a minor compaction updates
   */
  public record Compact(long epoch, Snapshot snapshot, int keep, long liveBytes) implements Command {
    /** A major compaction. */
    public Compact(long epoch, Snapshot snapshot) {
      this(epoch, snapshot, 0, 0);
    }
  }

  /**
   * What a compaction wrote.
   *
   * @param keep the oldest CARs of the snapshot it kept (0: it was a major compaction)
   * @param liveBytes bytes reachable from the snapshot's head: the CAR's size after a major
   *     compaction, a lower bound after a minor one
   */
  public record Result(CarIndex car, int keep, long liveBytes) {}

  private record Done(long epoch, Snapshot snapshot, Result result, Throwable error) implements Command {}

  private final ActorContext<Command> context;
  private final ActorRef<DatabaseProtocol.Command> database;
  private final CarStore store;
  private final Cache<Cid, Block> cache;
  private final Executor blocking;

  public static Behavior<Command> create(ActorRef<DatabaseProtocol.Command> database, CarStore store,
      Cache<Cid, Block> cache, Executor blocking) {
    return Behaviors.setup(ctx -> new CompactorActor(ctx, database, store, cache, blocking));
  }

  private CompactorActor(ActorContext<Command> context, ActorRef<DatabaseProtocol.Command> database,
      CarStore store, Cache<Cid, Block> cache, Executor blocking) {
    super(context);
    this.context = context;
    this.database = database;
    this.store = store;
    this.cache = cache;
    this.blocking = blocking;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Compact.class, this::onCompact)
        .onMessage(Done.class, this::onDone)
        .build();
  }

  private Behavior<Command> onCompact(Compact m) {
    Snapshot snapshot = m.snapshot();
    CompletableFuture<Done> work = CompletableFuture.supplyAsync(
        () -> new Done(m.epoch(), snapshot, compact(store, cache, snapshot, m.keep(), m.liveBytes()), null), blocking);
    context.pipeToSelf(work, (done, error) ->
        error == null ? done : new Done(m.epoch(), snapshot, null, Errors.unwrap(error)));
    return this;
  }

  private Behavior<Command> onDone(Done m) {
    if (m.error() != null) {
      database.tell(new Internal.CompactionFailed(m.epoch(), m.snapshot(), m.error()));
    } else {
      database.tell(new Internal.CompactionDone(m.epoch(), m.snapshot(), m.result()));
    }
    return this;
  }

  /**
   * Compacts {@code snapshot} into one new CAR: major when {@code keep} is 0, or when the kept
   * CARs already hold the head (then a minor compaction would have nothing to write).
   *
   * @param liveBytes the live bytes at the last compaction (a lower bound)
   */
  public static Result compact(CarStore store, Cache<Cid, Block> cache, Snapshot snapshot, int keep, long liveBytes) {
    CarLogBlocks source = new CarLogBlocks(store, snapshot, cache, false);
    List<CarIndex> log = snapshot.carLog();
    List<CarIndex> kept = log.subList(log.size() - keep, log.size());
    Predicate<Cid> inKept = cid -> holds(kept, cid);
    Cid head = snapshot.head();
    if (keep == 0 || inKept.test(head)) {
      CarIndex car = store.write(List.of(head), BlockGraph.walk(source, head, cid -> false, new CidSet()));
      return new Result(car, 0, car.byteSize());
    }
    CidSet written = new CidSet(); // every CID the walk met: the blocks written and the kept ones it stopped at
    CarIndex car = store.write(List.of(head), BlockGraph.walk(source, head, inKept, written));
    long sections = car.byteSize() - CarWriter.header(List.of(head)).length; // the live bytes count one header
    return new Result(car, keep, Math.max(0, liveBytes + sections - garbageBytes(source, kept, written)));
  }

  /**
   * An upper bound of the bytes that were live at the last compaction and are not now: the blocks
   * reachable from that compaction's head (the root of the newest kept CAR) by paths that meet no
   * block the new head reaches through the minor walk. A block the new head reaches only below a
   * kept block it stopped at counts too, which only overstates the garbage.
   */
  private static long garbageBytes(CarLogBlocks source, List<CarIndex> kept, CidSet reachedNow) {
    List<Cid> roots = kept.get(0).roots();
    if (roots.size() != 1) {
      return Long.MAX_VALUE / 2; // not a compacted CAR of ours: the estimate falls to 0, and a major one follows
    }
    long bytes = 0;
    for (Block block : BlockGraph.walk(source, roots.get(0), reachedNow::contains, new CidSet())) {
      bytes += sectionBytes(block);
    }
    return bytes;
  }

  /** What a block takes in a CAR: its section's length prefix, CID and bytes. */
  private static long sectionBytes(Block block) {
    long length = (long) block.cid().byteLength() + block.bytes().length;
    return Varint.size(length) + length;
  }

  /** Oldest first: the kept block a walk meets is most often in the large CAR of the last major compaction. */
  private static boolean holds(List<CarIndex> cars, Cid cid) {
    CarIndex.Key key = new CarIndex.Key(cid);
    for (int i = cars.size() - 1; i >= 0; i--) {
      if (cars.get(i).find(key) != null) {
        return true;
      }
    }
    return false;
  }
}
