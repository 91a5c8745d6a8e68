package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.api.Kiln;
import dev.kiln.http.HttpSettings;
import dev.kiln.http.KilnHttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiln serve}: Kiln's HTTP API on a data directory until SIGTERM (or Ctrl-C). Pekko's
 * CoordinatedShutdown runs the stop in order: /health turns 503, the port closes, requests in flight
 * are answered (up to {@code kiln.http.shutdown-deadline}), the databases close, the address file
 * goes, and the data directory's lock is released with the ActorSystem.
 */
@Command(name = "serve", description = {
    "Serve the HTTP API (and every database in the data directory) until SIGTERM or Ctrl-C.",
    "Prints the address and leaves it in <data-dir>/" + ServeCommand.ADDRESS_FILE + " while it runs."})
final class ServeCommand implements Callable<Integer> {
  /** Where a running server leaves its address in the data directory, for later clients. */
  static final String ADDRESS_FILE = dev.kiln.cli.client.KilnServer.ADDRESS_FILE;

  @Mixin
  KilnCli.DataDir dataDir = new KilnCli.DataDir();

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--port", paramLabel = "PORT", description = "TCP port (default: kiln.http.port, 8484; 0 picks a free one)")
  Integer port;

  @Option(names = "--host", paramLabel = "ADDRESS", description = "address to listen on (default: kiln.http.host, "
      + "127.0.0.1; any other needs kiln.http.token or kiln.http.token-file)")
  String host;

  @Option(names = "--cluster", paramLabel = "FILE", description = "run as a node of a Pekko cluster configured by "
      + "FILE (seed nodes, ports, roles, PostgreSQL, split brain resolver; see conf/cluster.conf): every database is "
      + "a sharded entity on one node of the cluster, reachable through every node")
  Path cluster;

  @Option(names = "--cluster-port", paramLabel = "PORT", description = "this node's cluster port (default: the "
      + "file's pekko.remote.artery.canonical.port)")
  Integer clusterPort;

  @Override
  public Integer call() {
    Config config = dataDir.config();
    if (cluster != null) {
      if (!Files.isRegularFile(cluster)) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cluster: no file " + cluster);
      }
      config = dataDir.config(com.typesafe.config.ConfigFactory.parseFile(cluster.toFile()));
      if (clusterPort != null) {
        config = config.withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(clusterPort));
      }
    }
    if (port != null) {
      config = config.withValue("kiln.http.port", ConfigValueFactory.fromAnyRef(port));
    }
    if (host != null) {
      config = config.withValue("kiln.http.host", ConfigValueFactory.fromAnyRef(host));
    }
    HttpSettings settings = HttpSettings.from(config);
    try {
      settings.checkExposure(); // before anything starts or is created
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kiln", config);
    KilnHttpServer server;
    Path addressFile = dataDir.dataDir.resolve(ADDRESS_FILE);
    try {
      Kiln kiln = Kiln.get(system);
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
      // after the server has answered its requests in flight (service-requests-done), before the system stops
      shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "kiln-close-databases",
          () -> CompletableFuture.supplyAsync(() -> {
            kiln.close(); // Kiln.get(system) does not own the system: this closes the databases only
            return Done.getInstance();
          }));
      shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "kiln-address-file", () -> {
        try {
          Files.deleteIfExists(addressFile);
        } catch (IOException e) {
          system.log().warn("cannot remove {}: {}", addressFile, e.getMessage());
        }
        return CompletableFuture.completedFuture(Done.getInstance());
      });
      server = KilnHttpServer.start(kiln, settings).toCompletableFuture().join();
      writeAddress(addressFile, server);
    } catch (RuntimeException e) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      throw e;
    }
    System.out.println("kiln: serving " + server.url() + " on data directory " + dataDir.dataDir.toAbsolutePath()
        + " (stop with Ctrl-C or SIGTERM)");
    System.out.flush();
    system.getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  /** {@code {"url": …, "pid": …}}, written whole (a temporary file moved in place) so a reader never sees half. */
  static void writeAddress(Path file, KilnHttpServer server) {
    ObjectNode address = KilnCli.JSON.createObjectNode();
    address.put("url", server.url());
    address.put("pid", ProcessHandle.current().pid());
    address.put("token", server.settings().token().isPresent());
    try {
      Files.createDirectories(file.getParent()); // with PostgreSQL storage nothing else creates the data directory
      Path tmp = Files.createTempFile(file.getParent(), ADDRESS_FILE, ".tmp");
      Files.writeString(tmp, address.toString() + "\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
