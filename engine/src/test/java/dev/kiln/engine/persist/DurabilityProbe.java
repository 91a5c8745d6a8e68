package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.config.KilnConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A separate JVM for the crash test: runs {@link SequenceLog} on Kiln's configuration with the data
 * directory given as an argument (other keys may be overridden with {@code -Dkiln.…}).
 *
 * <pre>
 * DurabilityProbe write   DATA_DIR          prints "RECOVERED h e o", then "ACK n" after each persisted n, forever
 * DurabilityProbe recover DATA_DIR          prints "RECOVERED h e o" and exits
 * DurabilityProbe rate    DATA_DIR COUNT    persists COUNT events one after another and prints the rate
 * </pre>
 *
 * where h is the highest recovered number, e the number of events replayed and o how many of them
 * did not follow their predecessor by one. Every line goes to stdout and is flushed at once, so a
 * parent that reads "ACK n" knows the event n was acknowledged before it kills this process.
 */
public final class DurabilityProbe {
  /** Generous and scaled: what it waits for comes; a loaded machine only makes it come later. */
  private static final Duration TIMEOUT = TestTime.dilated(Duration.ofMinutes(2));

  private DurabilityProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: DurabilityProbe write|recover|rate DATA_DIR [COUNT]");
      System.exit(64);
    }
    // Start logging before Pekko's threads do, so SLF4J has nothing to buffer and replay.
    org.slf4j.LoggerFactory.getILoggerFactory();
    String mode = args[0];
    Path dataDir = Path.of(args[1]).toAbsolutePath();
    Config config = KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of("kiln.data-dir", dataDir.toString())));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "durability-probe", config);
    PrintStream out = System.out;
    int status = 0;
    try {
      Journal.prepare(system, TIMEOUT);
      ActorRef<SequenceLog.Command> log = system.systemActorOf(SequenceLog.create(), "sequence-log", Props.empty());
      SequenceLog.State recovered = read(system, log);
      say(out, "RECOVERED " + recovered.highest() + " " + recovered.events() + " " + recovered.outOfSequence());
      switch (mode) {
        case "write" -> {
          for (long n = recovered.highest() + 1; ; n++) {
            append(system, log, n);
            say(out, "ACK " + n);
          }
        }
        case "rate" -> {
          long count = Long.parseLong(args[2]);
          long start = System.nanoTime();
          for (long n = recovered.highest() + 1; n <= recovered.highest() + count; n++) {
            append(system, log, n);
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          say(out, String.format("RATE %d events in %.2f s: %.0f events/s (%.2f ms each) url=%s",
              count, seconds, count / seconds, seconds * 1000 / count, Journal.url(config)));
        }
        case "recover" -> { }
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
    } catch (Exception e) {
      e.printStackTrace();
      status = 2;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
    System.exit(status);
  }

  private static SequenceLog.State read(ActorSystem<?> system, ActorRef<SequenceLog.Command> log) throws Exception {
    return AskPattern.<SequenceLog.Command, SequenceLog.State>ask(
            log, SequenceLog.Read::new, TIMEOUT, system.scheduler())
        .toCompletableFuture()
        .get();
  }

  private static void append(ActorSystem<?> system, ActorRef<SequenceLog.Command> log, long n) throws Exception {
    long confirmed = AskPattern.<SequenceLog.Command, Long>ask(
            log, replyTo -> new SequenceLog.Append(n, replyTo), TIMEOUT, system.scheduler())
        .toCompletableFuture()
        .get();
    if (confirmed != n) {
      throw new IllegalStateException("asked to persist " + n + " but the log confirmed " + confirmed);
    }
  }

  private static void say(PrintStream out, String line) {
    out.println(line);
    out.flush();
  }
}
