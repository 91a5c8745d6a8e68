package dev.kiln.engine.actor;

import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.commit.Format1Content;
import dev.kiln.engine.persist.KilnEventSourcedBehavior;
import dev.kiln.engine.persist.KilnPersistence;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;

/**
 * Writes a database of commit format 1 as an older Kiln left it: one CAR of {@link Format1Content}
 * in the database's CAR directory and the {@link Events.CarAppended} naming it in Kiln's own
 * journal, persisted under the database's persistence id by a stand-in for the DatabaseActor (the
 * database must not be open). Opening the database afterwards migrates it.
 */
public final class Format1Database {
  private Format1Database() {}

  /** What was written: the format 1 commit and its CAR. */
  public record Written(Block commit, CarIndex car) {}

  public static Written write(Kiln kiln, Path dataDir, String name, Format1Content content) throws Exception {
    Block commit = content.commit();
    CarIndex car = new FileCarStore(dataDir.resolve(name).resolve("cars"), true)
        .write(List.of(commit.cid()), content.blocks());
    long seq = (Long) ((java.util.Map<?, ?>) commit.decode()).get("seq");
    ActorRef<Append> writer = kiln.system().systemActorOf(new Writer(name, KilnPersistence.from(kiln.system().settings().config())),
        "format1-" + name, Props.empty());
    AskPattern.<Append, Done>ask(writer, reply -> new Append(new Events.CarAppended(car.car(), commit.cid(), seq), reply),
        Duration.ofMinutes(1), kiln.system().scheduler()).toCompletableFuture().get();
    return new Written(commit, car);
  }

  private record Append(Events.CarAppended event, ActorRef<Done> replyTo) {}

  private static final class Writer extends KilnEventSourcedBehavior<Append, Events.Event, Done> {
    Writer(String name, KilnPersistence persistence) {
      super(DatabaseActor.persistenceId(name),
          SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2), persistence);
    }

    @Override
    public Done emptyState() {
      return Done.getInstance();
    }

    @Override
    public CommandHandler<Append, Events.Event, Done> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          // it stops once the event is stored, so the journal is left to the database alone
          .onCommand(Append.class, (state, m) -> Effect().persist(m.event())
              .thenRun(s -> m.replyTo().tell(Done.getInstance())).thenStop())
          .build();
    }

    @Override
    public EventHandler<Done, Events.Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> state);
    }
  }
}
