package dev.kiln.engine.api;

import dev.kiln.engine.car.CarStore;
import dev.kiln.protocol.DatabaseProtocol;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The parent of every database of one {@link Kiln}: the system actor {@code /system/kiln}, with one
 * child {@code db-<name>} per open database. A child's name is its database's name, so Pekko itself
 * refuses a second actor on a database (and so on its persistence id) while the first is alive.
 * When a database stops, this actor closes its CAR store and completes its termination future.
 */
final class KilnGuardian extends AbstractBehavior<KilnGuardian.Command> {
  /** Messages of this actor; local only, never serialized. */
  interface Command extends NoSerializationVerificationNeeded {}

  /** Starts a database under this guardian, or answers why it cannot. */
  record Spawn(String name, Behavior<DatabaseProtocol.Command> behavior, CarStore store,
      CompletableFuture<Void> terminated, ActorRef<Spawned> replyTo) implements Command {}

  /** The database's actor, or the reason it was not started (then {@code ref} is null). */
  record Spawned(ActorRef<DatabaseProtocol.Command> ref, RuntimeException error) implements NoSerializationVerificationNeeded {}

  /** A database started elsewhere (a cluster's entity): close its store when it stops. */
  record Adopt(ActorRef<DatabaseProtocol.Command> database, CarStore store) implements Command {}

  private record Stopped(CarStore store, CompletableFuture<Void> terminated) implements Command {}

  static Behavior<Command> create() {
    return Behaviors.setup(KilnGuardian::new);
  }

  private KilnGuardian(ActorContext<Command> context) {
    super(context);
  }

  /** The child name of a database; names are already restricted to characters actor names accept. */
  static String childName(String database) {
    return "db-" + database;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Spawn.class, this::onSpawn)
        .onMessage(Adopt.class, this::onAdopt)
        .onMessage(Stopped.class, this::onStopped)
        .build();
  }

  private Behavior<Command> onSpawn(Spawn m) {
    ActorRef<DatabaseProtocol.Command> ref;
    try {
      ref = getContext().spawn(m.behavior(), childName(m.name()));
    } catch (RuntimeException e) { // the name is still taken: the previous actor has not stopped yet
      m.store().close();
      m.replyTo().tell(new Spawned(null, e));
      return this;
    }
    getContext().watchWith(ref, new Stopped(m.store(), m.terminated()));
    m.replyTo().tell(new Spawned(ref, null));
    return this;
  }

  private Behavior<Command> onAdopt(Adopt m) {
    getContext().watchWith(m.database(), new Stopped(m.store(), new CompletableFuture<>()));
    return this;
  }

  private Behavior<Command> onStopped(Stopped m) {
    m.store().close();
    m.terminated().complete(null);
    return this;
  }
}
