package dev.kiln.cli;

import dev.kiln.cli.client.KilnServer;
import dev.kiln.engine.api.Database;
import java.util.concurrent.CompletionStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Defining, listing and dropping query indexes from the command line. */
final class IndexCommands {
  private IndexCommands() {}

  @Command(name = "index", description = {
      "Define a field index on FIELD (a dotted path or a JSON pointer), named by the path, and build it.",
      "From then on every write keeps it current (and pays for it); 'kiln drop-index' removes it."})
  static final class Define extends KilnCli.DatabaseCommand {
    @Parameters(index = "1", paramLabel = "FIELD", description = "the field, e.g. address.city or /address/city")
    String field;

    @Option(names = "--each", description = "index each element of an array at FIELD (tags), not the whole array")
    boolean each;

    @Override
    CompletionStage<?> call(Database database) {
      return database.defineIndex(field, each);
    }

    @Override
    Object remote(KilnCli.Remote r) {
      return r.server().put(r.path("/indexes/" + KilnServer.segment(field)), KilnServer.params("each", each), null);
    }
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
      return r.server().delete(r.path("/indexes/" + KilnServer.segment(name)), java.util.Map.of());
    }
  }
}
