package dev.kiln.engine.actor;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.Close;
import dev.kiln.protocol.DatabaseProtocol.Command;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.pattern.StatusReply;

/**
 * The first phase of a database that a hosting runs (a cluster's entity): its CAR store is claimed
 * (on PostgreSQL a round trip that raises the database's epoch, fencing the former owner) on the
 * blocking dispatcher, not on the actor's thread, and the requests that arrive meanwhile wait in a
 * bounded stash. Then the fenced {@link DatabaseActor} runs on that store and gets them in order.
 * When the claim fails, each waiting request is answered with the STORAGE error and the entity
 * stops; its next request starts it again.
 */
public final class ClaimingStart {
  private record Claimed(CarStore store) implements Command, NoSerializationVerificationNeeded {}

  private record ClaimFailed(KilnException error) implements Command, NoSerializationVerificationNeeded {}

  private final String name;
  private final ActorContext<Command> context;
  private final StashBuffer<Command> waiting;
  private final BiConsumer<ActorRef<Command>, CarStore> adopt;
  private final Cache<Cid, Block> cache;
  private final DatabaseSettings settings;

  private ClaimingStart(String name, ActorContext<Command> context, StashBuffer<Command> waiting,
      BiConsumer<ActorRef<Command>, CarStore> adopt, Cache<Cid, Block> cache, DatabaseSettings settings) {
    this.name = name;
    this.context = context;
    this.waiting = waiting;
    this.adopt = adopt;
    this.cache = cache;
    this.settings = settings;
  }

  /**
   * Database {@code name}, whose store {@code claim} opens (blocking; may throw a KilnException);
   * {@code adopt} is told, on the actor's thread, which store the running database uses (whoever
   * closes it when the database stops).
   */
  public static Behavior<Command> create(String name, Supplier<CarStore> claim,
      BiConsumer<ActorRef<Command>, CarStore> adopt, Cache<Cid, Block> cache, DatabaseSettings settings) {
    // room for every request the bound lets in, and for the internal messages (a passivation)
    int capacity = settings.maxWaitingRequests() + 16;
    return Behaviors.setup(ctx -> Behaviors.withStash(capacity, stash -> {
      Executor blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("kiln.blocking-dispatcher"));
      ctx.pipeToSelf(CompletableFuture.supplyAsync(claim, blocking), (store, error) -> error == null
          ? new Claimed(store) : new ClaimFailed(asKiln(name, error)));
      return new ClaimingStart(name, ctx, stash, adopt, cache, settings).claiming();
    }));
  }

  private Behavior<Command> claiming() {
    return Behaviors.receive(Command.class)
        .onMessage(Claimed.class, this::onClaimed)
        .onMessage(ClaimFailed.class, this::onClaimFailed)
        .onAnyMessage(this::onWaiting)
        .build();
  }

  private Behavior<Command> onWaiting(Command m) {
    if (Internal.isRequest(m) && waiting.size() >= settings.maxWaitingRequests()) {
      Internal.replyError(m, new KilnException(ErrorCode.OVERLOADED, "database " + name + " is overloaded: "
          + waiting.size() + " requests wait for it to start (kiln.max-waiting-requests); nothing of this request was "
          + "done, retry later"));
    } else {
      waiting.stash(m);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onClaimed(Claimed m) {
    adopt.accept(context.getSelf(), m.store());
    return waiting.unstashAll(DatabaseActor.createFenced(name, m.store(), cache, settings));
  }

  private Behavior<Command> onClaimFailed(ClaimFailed m) {
    waiting.forEach(c -> {
      if (c instanceof Close close) {
        close.replyTo().tell(StatusReply.ack()); // nothing runs to be closed
      } else {
        Internal.replyError(c, m.error());
      }
    });
    waiting.clear();
    return Behaviors.stopped();
  }

  private static KilnException asKiln(String name, Throwable error) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return t instanceof KilnException k ? k
        : new KilnException(ErrorCode.STORAGE, "database " + name + " cannot be opened: " + t, t);
  }
}
