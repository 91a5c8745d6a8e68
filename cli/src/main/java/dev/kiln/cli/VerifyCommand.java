package dev.kiln.cli;

import dev.kiln.engine.api.Kiln;
import com.typesafe.config.Config;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.verify.DatabaseVerifier;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.KilnException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln verify DB}: the full check that opening skips. Reads every CAR whole (every block
 * and the file hashed), compares every index file with its CAR, opens the database for its head and
 * walks from it, reporting every link no CAR holds. Progress on stderr, the report on stdout; exit
 * status 0 when healthy, 1 on any problem.
 */
@Command(name = "verify", description = {
    "Check a database fully: every CAR hashed block by block, every index file against its CAR,",
    "every block reachable from the head present. Exit status 1 on any problem."})
final class VerifyCommand implements Callable<Integer> {
  /** How long opening the database for its head may take. */
  private static final long OPEN_TIMEOUT_SECONDS = 300;

  @Mixin
  KilnCli.DataDir dataDir = new KilnCli.DataDir();

  @Parameters(index = "0", paramLabel = "DB", description = "database name")
  String db;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Config config = dataDir.config();
    if (!dataDir.mayHold(config, db)) {
      return notFound(err);
    }
    DatabaseVerifier.Report report;
    // the store kiln.storage configures (files or PostgreSQL), read beside the database the same Kiln opens
    try (Kiln kiln = Kiln.start(config)) {
      if (!kiln.exists(db)) {
        return notFound(err);
      }
      try (CarStore store = kiln.readStore(db)) {
        DatabaseVerifier verifier = new DatabaseVerifier(store, new Ticker(err)).checkFiles();
        report = verifier.checkGraph(head(kiln, verifier)).report();
      }
    }
    out.printf(Locale.ROOT, "verify %s: %d CARs, %d bytes, %d blocks hashed; %d blocks reachable from the head%n",
        db, report.cars(), report.carBytes(), report.blocks(), report.reachable());
    for (String note : report.notes()) {
      out.println("note: " + note);
    }
    for (String problem : report.problems()) {
      out.println("problem: " + problem);
    }
    out.println(report.healthy() ? "verify " + db + ": OK" : "verify " + db + ": " + report.problems().size() + " problem(s)");
    out.flush();
    return report.healthy() ? 0 : 1;
  }

  /** Opens the database for its head (null: empty or not opening, which is then one of the problems). */
  private Cid head(Kiln kiln, DatabaseVerifier verifier) throws InterruptedException {
    try {
      DatabaseStats stats = kiln.open(db).stats().toCompletableFuture().get(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (stats.carLogLength() != stats.carFiles()) {
        verifier.problem("the CarLog names " + stats.carLogLength() + " CARs but " + stats.carFiles() + " are stored");
      }
      return stats.clock().isEmpty() ? null : Cid.parse(stats.clock());
    } catch (ExecutionException | CompletionException e) {
      Throwable t = e.getCause() != null ? e.getCause() : e;
      verifier.problem("the database does not open: "
          + (t instanceof KilnException k ? k.code() + ": " + k.getMessage() : t.toString()));
    } catch (TimeoutException e) {
      verifier.problem("the database did not open within " + OPEN_TIMEOUT_SECONDS + " s");
    }
    return null;
  }

  private int notFound(PrintWriter err) {
    err.println("kiln: NOT_FOUND: no database '" + db + "' in " + dataDir.where());
    err.flush();
    return 1;
  }

  /** Progress on stderr, at most one line a second per pass, and the last one always. */
  private static final class Ticker implements DatabaseVerifier.Progress {
    private final PrintWriter err;
    private long last;

    Ticker(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void update(String pass, long done, long total) {
      long now = System.nanoTime();
      boolean finished = total > 0 && done == total;
      if (!finished && now - last < TimeUnit.SECONDS.toNanos(1)) {
        return;
      }
      last = now;
      if (total > 0) {
        err.printf(Locale.ROOT, "verify: %s %.0f%% (%d of %d bytes)%n", pass, 100.0 * done / total, done, total);
      } else {
        err.printf(Locale.ROOT, "verify: %s: %d%n", pass, done);
      }
      err.flush();
    }
  }
}
