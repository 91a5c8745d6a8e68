package dev.kiln.cli;

import dev.kiln.testkit.crash.CrashFigures;
import dev.kiln.testkit.crash.CrashHarness;
import dev.kiln.testkit.torture.Torture;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the seeded torture workload against a real database and checks its history. */
@Command(name = "torture", mixinStandardHelpOptions = true, description = {
    "Writers, deleters and readers hammer one database (real CAR files, the H2 journal) while compaction is "
        + "forced and the database is reopened at random, optionally on a failing disk; then every read is checked "
        + "against what was acknowledged.",
    "Progress every 10 s on stderr; the last line on stdout is the summary. Exit status 1 if anything was wrong "
        + "(each anomaly is printed with the seed and the operations that show it)."})
final class TortureCommand implements Callable<Integer> {
  @Option(names = "--minutes", description = "how long to run, in minutes")
  Double minutes;

  @Option(names = "--seconds", description = "how long to run, in seconds (default 60 when neither is given)")
  Double seconds;

  @Option(names = "--seed", defaultValue = "1", description = "the seed of every random choice (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--writers", defaultValue = "8", description = "writer threads (default: ${DEFAULT-VALUE})")
  int writers;

  @Option(names = "--deleters", defaultValue = "1", description = "deleter threads (default: ${DEFAULT-VALUE})")
  int deleters;

  @Option(names = "--readers", defaultValue = "3", description = "reader threads: get, all-docs, changes (default: ${DEFAULT-VALUE})")
  int readers;

  @Option(names = "--docs", defaultValue = "50", description = "document ids in use (default: ${DEFAULT-VALUE})")
  int docs;

  @Option(names = "--compact", defaultValue = "0.1",
      description = "chance every 100 ms of forcing a compaction (default: ${DEFAULT-VALUE})")
  double compact;

  @Option(names = "--minor-share", defaultValue = "0.5",
      description = "share of the forced compactions asked to be minor, the rest major (default: ${DEFAULT-VALUE})")
  double minorShare;

  @Option(names = "--reopen", defaultValue = "0.01",
      description = "chance every 100 ms of closing and reopening the database (default: ${DEFAULT-VALUE})")
  double reopen;

  @Option(names = "--faults", description = "fail the disk for short spells (seeded), then check the database recovers")
  boolean faults;

  @Option(names = "--crash-cycles", defaultValue = "0", description = "after the workload, this many crash cycles: "
      + "a child JVM writing, compacting and deleting replaced CARs is killed with SIGKILL, restarted and checked "
      + "against every write it acknowledged (default: ${DEFAULT-VALUE})")
  int crashCycles;

  @Option(names = "--engine-log", description = "show the engine's warnings (the failures a run provokes are many)")
  boolean engineLog;

  @Option(names = "--data-dir", description = "where the database and journal go (default: a temporary directory, "
      + "removed after a clean run)")
  Path dataDir;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    KilnCli.startLogging(); // before the torture run starts its ActorSystems
    if (minutes != null && seconds != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give --minutes or --seconds, not both");
    }
    double secs = minutes != null ? minutes * 60 : seconds != null ? seconds : 60;
    if (!(secs > 0) || writers < 0 || deleters < 0 || readers < 0 || docs < 1
        || compact < 0 || compact > 1 || reopen < 0 || reopen > 1 || crashCycles < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "the duration must be positive, thread counts "
          + "not negative, --docs at least 1, --compact and --reopen between 0 and 1");
    }
    ch.qos.logback.classic.Logger engine = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.kiln");
    ch.qos.logback.classic.Level level = engine.getLevel();
    if (!engineLog) {
      engine.setLevel(ch.qos.logback.classic.Level.OFF); // the failures the run provokes would drown the progress
    }
    try {
      return run(secs);
    } finally {
      engine.setLevel(level);
    }
  }

  private int run(double secs) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    err.printf("torture: seed %d, %.0f s, writers=%d deleters=%d readers=%d docs=%d compact=%s reopen=%s faults=%s%n",
        seed, secs, writers, deleters, readers, docs, compact, reopen, faults ? "on" : "off");
    Torture.Report report = Torture.run(Torture.options()
        .seed(seed)
        .duration(Duration.ofMillis((long) (secs * 1000)))
        .writers(writers).deleters(deleters).readers(readers).docs(docs)
        .compactProbability(compact).minorShare(minorShare).reopenProbability(reopen)
        .faults(faults)
        .dataDir(dataDir)
        .progress(line -> {
          err.println(line);
          err.flush();
        }, Duration.ofSeconds(10)));
    err.println("torture: " + report.breakdown());
    err.flush();
    if (!report.ok()) {
      out.println(report.describe(20));
      Map<String, Long> byKind = new TreeMap<>();
      report.anomalies().forEach(a -> byKind.merge(a.kind(), 1L, Long::sum));
      out.println("anomalies by kind: " + byKind);
    }
    CrashFigures crashes = null;
    if (crashCycles > 0) {
      err.printf("torture: %d crash cycles, seed %d …%n", crashCycles, seed);
      err.flush();
      crashes = CrashHarness.run(CrashHarness.Config.of(seed, crashCycles), line -> {
        err.println("torture: " + line);
        err.flush();
      });
      err.println("torture: " + crashes.summary());
      if (!crashes.passed()) {
        out.println("crash cycles failed (seed " + seed + "): " + crashes.failure() + "; kept in " + crashes.dir());
      }
    }
    long anomalies = report.anomalies().size() + (crashes == null || crashes.passed() ? 0 : Math.max(1, crashes.lostAcks()));
    out.println(report.summary().replaceFirst("anomalies=\\d+$", "anomalies=" + anomalies));
    out.flush();
    return anomalies == 0 ? 0 : 1;
  }
}
