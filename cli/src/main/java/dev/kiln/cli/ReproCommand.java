package dev.kiln.cli;

import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.api.Kiln;
import dev.kiln.testkit.ReproScenario;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the compaction stress scenario that breaks Fireproof, and reports what it found. */
@Command(name = "repro", description = {
    "The seed's stress scenario, made harder: for each auto-compact value, one database, N iterations of",
    "101 concurrent puts then 11 concurrent deletes, checked against a model, closed and reopened between iterations."})
final class ReproCommand implements Callable<Integer> {
  @Mixin
  KilnCli.DataDir dataDir = new KilnCli.DataDir();

  @Option(names = "--iterations", defaultValue = "30", description = "iterations per database (default: ${DEFAULT-VALUE})")
  int iterations;

  @Option(names = "--auto-compact", split = ",", defaultValue = "1,2,3",
      description = "auto-compact thresholds, one database each (default: ${DEFAULT-VALUE})")
  List<Integer> autoCompact;

  @Option(names = "--no-reopen", description = "keep each database open across iterations")
  boolean noReopen;

  @Override
  public Integer call() {
    String run = Long.toString(System.currentTimeMillis(), 36);
    ReproScenario.Result total = null;
    try (Kiln kiln = Kiln.start(dataDir.config())) {
      for (int threshold : autoCompact) {
        String name = "repro-" + run + "-ac" + threshold;
        System.out.println("repro: database " + name + " auto-compact=" + threshold + " iterations=" + iterations);
        DatabaseSettings settings = kiln.defaults().withAutoCompact(threshold);
        ReproScenario.Result r = new ReproScenario(kiln, System.out::println).run(name, settings, iterations, !noReopen);
        total = total == null ? r : total.plus(r);
      }
    }
    if (total == null) {
      System.out.println("repro: nothing to run");
      return 2;
    }
    for (String p : total.problems()) {
      System.out.println("problem: " + p);
    }
    System.out.println(total.summary());
    return total.ok() ? 0 : 1;
  }
}
