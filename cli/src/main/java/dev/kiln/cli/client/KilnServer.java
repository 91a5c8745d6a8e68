package dev.kiln.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A running {@code kiln serve} on a data directory, found through the address file it leaves there
 * ({@code {"url", "pid", "token"}}), and the calls the command line makes to it.
 *
 * <p>A file left by a killed server is stale: its process is gone, or nothing answers {@code /health}
 * at its address. {@link #find} then answers empty and the command opens the directory itself.
 */
public final class KilnServer {
  /** Where a running server leaves its address in the data directory. */
  public static final String ADDRESS_FILE = "kiln-http.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  /** A stale address (nothing listening) is refused at once; this bounds only a connect that hangs. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /**
   * A process that accepted the connection is a server, if a busy one (its first request after
   * starting can take seconds on a loaded machine): it gets time to answer rather than being taken for
   * stale, which would send the command to a directory the server holds.
   */
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(30);

  private final String url;
  private final String authorization;
  private final HttpClient http;

  private KilnServer(String url, String token) {
    this.url = url;
    this.authorization = token == null ? null : "Bearer " + token;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
  }

  /**
   * The server running on {@code dataDir}, if its address file names a live process that answers
   * {@code /health}. {@code token} is read only when the file says the server asks for one
   * ({@code kiln.http.token} or {@code kiln.http.token-file}, as the server reads them).
   */
  public static Optional<KilnServer> find(Path dataDir, Supplier<Optional<String>> token) {
    JsonNode address;
    try {
      address = JSON.readTree(Files.readAllBytes(dataDir.resolve(ADDRESS_FILE)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // half a file cannot be (it is moved in place whole); unreadable: not ours to use
    }
    String url = address.path("url").asText(null);
    long pid = address.path("pid").asLong(-1);
    if (url == null || pid < 0 || !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return Optional.empty();
    }
    KilnServer server = new KilnServer(url, address.path("token").asBoolean(false) ? token.get().orElse(null) : null);
    return server.healthy() ? Optional.of(server) : Optional.empty();
  }

  public String url() {
    return url;
  }

  private boolean healthy() {
    try {
      HttpResponse<Void> r = http.send(request("/health").timeout(HEALTH_TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false; // nothing listens there any more (or it went away while we asked)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ------------------------------------------------------------------ calls

  public JsonNode get(String path, Map<String, ?> query) {
    return call("GET", path, query, null);
  }

  public JsonNode put(String path, Map<String, ?> query, JsonNode body) {
    return call("PUT", path, query, body);
  }

  public JsonNode post(String path, Map<String, ?> query, JsonNode body) {
    return call("POST", path, query, body);
  }

  public JsonNode delete(String path, Map<String, ?> query) {
    return call("DELETE", path, query, null);
  }

  /**
   * A Server-Sent Events feed: hands the data of each event to {@code each} in order until it answers
   * false or the server ends the feed. Heartbeats (comment lines) are skipped. An {@code end} event
   * (the database closed, say) is thrown as the error it carries, as the feed fails without a server.
   */
  public void events(String path, Map<String, ?> query, Predicate<String> each) {
    HttpRequest request = request(path + Urls.queryString(query)).header("Accept", "text/event-stream").GET().build();
    HttpResponse<Stream<String>> response = send(request, HttpResponse.BodyHandlers.ofLines());
    try (Stream<String> lines = response.body()) {
      if (response.statusCode() != 200) {
        throw failure(response.statusCode(), String.join("\n", (Iterable<String>) lines::iterator));
      }
      StringBuilder data = new StringBuilder();
      boolean any = false;
      String type = null;
      for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (line.isEmpty()) { // an event ends with a blank line
          if (any && "end".equals(type)) {
            throw failure(response.statusCode(), data.toString());
          }
          if (any && !each.test(data.toString())) {
            return; // closing the stream closes the connection: the server's feed ends
          }
          data.setLength(0);
          any = false;
          type = null;
        } else if (line.startsWith("event:")) {
          type = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          if (any) {
            data.append('\n');
          }
          data.append(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
          any = true;
        }
      }
    }
  }

  private JsonNode call(String method, String path, Map<String, ?> query, JsonNode body) {
    HttpRequest.Builder b = request(path + Urls.queryString(query));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      try {
        b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(
            JSON.writeValueAsBytes(body)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    HttpResponse<String> response = send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() != 200) {
      throw failure(response.statusCode(), response.body());
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new ServerError("BAD_ANSWER", "the server at " + url + " answered " + method + " " + path
          + " with something that is not JSON: " + e.getMessage(), e);
    }
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request, handler);
    } catch (IOException e) {
      throw new ServerError("UNREACHABLE", "the server at " + url + " (from " + ADDRESS_FILE + ") went away: "
          + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServerError("UNREACHABLE", "interrupted while waiting for the server at " + url, e);
    }
  }

  /** The server's {@code {"error", "reason"}} as the exception the command would have got from the engine. */
  private RuntimeException failure(int status, String body) {
    String code = "HTTP_" + status;
    String reason = body;
    try {
      JsonNode error = JSON.readTree(body);
      code = error.path("error").asText(code);
      reason = error.path("reason").asText(body);
    } catch (IOException | RuntimeException e) {
      // not the server's JSON error (a proxy's page, say): the status and the text are all there is
    }
    for (ErrorCode known : ErrorCode.values()) {
      if (known.name().equals(code)) {
        return new KilnException(known, reason);
      }
    }
    return new ServerError(code, reason, null);
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + pathAndQuery));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b;
  }
}
