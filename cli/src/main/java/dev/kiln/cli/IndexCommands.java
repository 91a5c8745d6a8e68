package dev.kiln.cli;

import dev.kiln.cli.client.KilnServer;
import dev.kiln.cli.client.Urls;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.index.IndexDefinition;
import java.io.PrintWriter;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Defining, listing and dropping query indexes from the command line. */
final class IndexCommands {
  private IndexCommands() {}

  @Command(name = "index", description = {
      "Define a field index on FIELD (a dotted path or a JSON pointer), named by the path, and build it",
      "(over existing documents in commits of kiln.index.catch-up-batch, with a progress bar on stderr).",
      "From then on every write keeps it current (and pays for it); 'kiln drop-index' removes it."})
  static final class Define extends KilnCli.DatabaseCommand {
    @Parameters(index = "1", paramLabel = "FIELD", description = "the field, e.g. address.city or /address/city")
    String field;

    @Option(names = "--each", description = "index each element of an array at FIELD (tags), not the whole array")
    boolean each;

    @Override
    CompletionStage<?> call(Database database) {
      String name = IndexDefinition.field(field, each).name();
      java.util.concurrent.CompletableFuture<?> defined = database.defineIndex(field, each).toCompletableFuture();
      PrintWriter err = spec.commandLine().getErr();
      // Over existing documents the index is built in bounded commits: show how far it is.
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-index-progress");
        t.setDaemon(true);
        return t;
      });
      boolean[] shown = {false};
      ticker.scheduleWithFixedDelay(() -> database.stats().thenAccept(stats -> {
        Long at = stats.indexedSeqs().get(name);
        if (at != null && !defined.isDone() && stats.lastSeq() > 0) {
          err.print("\r" + progressBar(name, at, stats.lastSeq()));
          err.flush();
          shown[0] = true;
        }
      }), 500, 500, TimeUnit.MILLISECONDS);
      return defined.whenComplete((ok, error) -> {
        ticker.shutdownNow();
        if (shown[0]) {
          err.println();
        }
      });
    }

    @Override
    Object remote(KilnCli.Remote r) {
      return r.server().put(r.path("/indexes/" + Urls.segment(field)), Urls.params("each", each), null);
    }
  }

  /** {@code index n [##########..........]  50% (seq 500 of 1000)}. */
  static String progressBar(String name, long at, long of) {
    int width = 30;
    int filled = (int) Math.min(width, of == 0 ? width : at * width / of);
    return "index " + name + " [" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
        + String.format(java.util.Locale.ROOT, "%3d%%", of == 0 ? 100 : at * 100 / of) + " (seq " + at + " of " + of + ")";
  }

  @Command(name = "indexes", description = {
      "List the indexes: kind, entries, documents, blocks and bytes, and how many sequences each is behind."})
  static final class List extends KilnCli.DatabaseCommand {
    @Override
    CompletionStage<?> call(Database database) {
      return database.indexes();
    }

    @Override
    Object remote(KilnCli.Remote r) {
      return r.server().get(r.path("/indexes"), java.util.Map.of());
    }
  }

  @Command(name = "drop-index", description = {
      "Drop an index: writes stop paying for it, and its blocks go at the next compaction."})
  static final class Drop extends KilnCli.DatabaseCommand {
    @Parameters(index = "1", paramLabel = "NAME", description = "the index name (a field index is named by its path)")
    String name;

    @Override
    CompletionStage<?> call(Database database) {
      return database.dropIndex(name);
    }

    @Override
    Object remote(KilnCli.Remote r) {
      return r.server().delete(r.path("/indexes/" + Urls.segment(name)), java.util.Map.of());
    }
  }
}
