package dev.kiln.http;

import com.typesafe.config.Config;
import dev.kiln.engine.api.Kiln;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Kiln's HTTP API on a {@link Kiln}: binds {@code kiln.http.host:port} and serves until {@link
 * #stop()} or until the ActorSystem's CoordinatedShutdown runs (SIGTERM included): then it stops
 * accepting, lets requests in flight finish (up to {@code kiln.http.shutdown-deadline}) and closes the
 * connections, before Kiln's databases close.
 *
 * <pre>{@code
 * KilnHttpServer server = KilnHttpServer.start(Kiln.get(system), HttpSettings.from(config)).toCompletableFuture().join();
 * System.out.println(server.url());
 * }</pre>
 */
public final class KilnHttpServer {
  private final ServerBinding binding;
  private final KilnRoutes routes;
  private final HttpSettings settings;

  private KilnHttpServer(ServerBinding binding, KilnRoutes routes, HttpSettings settings) {
    this.binding = binding;
    this.routes = routes;
    this.settings = settings;
  }

  /**
   * Binds the server. Fails at once with IllegalArgumentException when the host is not a loopback
   * address and no token is set; the stage fails when the port cannot be bound.
   */
  public static CompletionStage<KilnHttpServer> start(Kiln kiln, HttpSettings settings) {
    try {
      settings.checkExposure();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    var system = kiln.system();
    KilnRoutes routes = new KilnRoutes(kiln, settings);
    ServerSettings defaults = ServerSettings.create(system.classicSystem());
    // Our own limits on our own binding: a 10,000-character id reaches the id check (400), not the URI limit.
    ServerSettings serverSettings = defaults.withParserSettings(defaults.getParserSettings()
        .withMaxUriLength(settings.maxUriLength())
        .withMaxContentLength(settings.maxBodyBytes()))
        .withRawRequestUriHeader(true) // KilnRoutes.safePath reads the target as sent
        .withTimeouts(defaults.getTimeouts().withRequestTimeout(scala.concurrent.duration.Duration.fromNanos(
            requestTimeout(system.settings().config()).toNanos())));
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "kiln-http-not-ready", () -> {
      routes.stopping = true; // /health answers 503 from here on
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    return Http.get(system).newServerAt(settings.host(), settings.port()).withSettings(serverSettings)
        .bind(routes.route())
        .thenApply(binding -> {
          binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system);
          return new KilnHttpServer(binding, routes, settings);
        });
  }

  /** {@code kiln.http.request-timeout}; by default longer than Kiln's own ask timeout, so a slow operation ends in Kiln's TIMEOUT. */
  static Duration requestTimeout(Config config) {
    return config.getString("kiln.http.request-timeout").isEmpty()
        ? config.getDuration("kiln.ask-timeout").plusSeconds(5) : config.getDuration("kiln.http.request-timeout");
  }

  /** The address the server listens on (with the port it got when asked for port 0). */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** {@code http://host:port}, the base of every route. */
  public String url() {
    InetSocketAddress a = address();
    String host = a.getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  public HttpSettings settings() {
    return settings;
  }

  /** Live change feeds open now (for tests and the status of a shutdown). */
  public int liveFeeds() {
    return routes.metrics.liveFeeds.get();
  }

  /** Requests received and not answered yet. */
  public int requestsInFlight() {
    return routes.metrics.inFlight.get();
  }

  /** Stops accepting, lets requests in flight finish (up to the shutdown deadline), closes the connections. */
  public CompletionStage<Done> stop() {
    routes.stopping = true;
    return binding.terminate(settings.shutdownDeadline()).thenApply(terminated -> Done.getInstance());
  }
}
