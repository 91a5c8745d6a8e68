package dev.kiln.cli;

import dev.kiln.cli.client.KilnServer;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.config.StorageSettings;
import dev.kiln.http.DataDirectory;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The databases of a data directory: listing them, and destroying one. */
final class DirectoryCommands {
  private DirectoryCommands() {}

  @Command(name = "dbs", description = "List the databases of the data directory: {\"databases\": [names]}.")
  static final class Dbs implements Callable<Integer> {
    @Mixin
    KilnCli.DataDir dataDir = new KilnCli.DataDir();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      Optional<KilnServer> server = dataDir.server();
      Object answer = server.isPresent() ? server.get().get("/dbs", Map.of()) : Map.of("databases", offline());
      PrintWriter out = spec.commandLine().getOut();
      out.println(KilnCli.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
      out.flush();
      return 0;
    }

    /** Without a server: the data directory's, or (kiln.storage = postgres) PostgreSQL's, which only a started Kiln reads. */
    private java.util.List<String> offline() {
      com.typesafe.config.Config config = dataDir.config();
      if (!StorageSettings.from(config).postgres()) {
        return DataDirectory.databases(dataDir.dataDir);
      }
      try (Kiln kiln = Kiln.start(config)) {
        return kiln.databases();
      }
    }
  }

  @Command(name = "destroy", description = {
      "Delete a database and everything it stored (its CARs, its journal entries); prints {\"ok\": true}."})
  static final class Destroy extends KilnCli.DatabaseCommand {
    @Override
    CompletionStage<?> call(Database database) {
      return database.destroy().thenApply(done -> {
        DataDirectory.removeEmpty(dataDir.dataDir, db);
        return Map.of("ok", true);
      });
    }

    @Override
    Object remote(KilnCli.Remote r) {
      return r.server().delete(r.path(""), Map.of());
    }
  }
}
