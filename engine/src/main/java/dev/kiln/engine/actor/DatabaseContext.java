package dev.kiln.engine.actor;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.Command;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * What the parts of one DatabaseActor share: its name, actor context and timers (used on the
 * actor's thread only), its store and cache, where blocking work and reads run, and its settings.
 */
record DatabaseContext(String name, ActorContext<Command> actor, TimerScheduler<Command> timers, CarStore store,
    Cache<Cid, Block> cache, Executor blocking, Executor reads, DatabaseSettings settings) {

  static KilnException overloaded(String name, String why) {
    return new KilnException(ErrorCode.OVERLOADED, "database " + name + " is overloaded: " + why
        + "; nothing of this request was done, retry later");
  }
}
