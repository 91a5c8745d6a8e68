package dev.kiln.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

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
  private final URI base;
  private final String authorization;

  private KilnServer(String url, String token) {
    this.url = url;
    this.base = URI.create(url);
    this.authorization = token == null ? null : "Bearer " + token;
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
    try (PlainHttp.Response r = exchange("GET", "/health", null, (int) HEALTH_TIMEOUT.toMillis())) {
      return r.status() == 200;
    } catch (IOException e) {
      return false; // nothing listens there any more (or it went away while we asked)
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
    try (PlainHttp.Response response = send("GET", path + Urls.queryString(query), null, "Accept", "text/event-stream")) {
      BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
      if (response.status() != 200) {
        throw failure(response.status(), String.join("\n", (Iterable<String>) lines.lines()::iterator));
      }
      StringBuilder data = new StringBuilder();
      boolean any = false;
      String type = null;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isEmpty()) { // an event ends with a blank line
          if (any && "end".equals(type)) {
            throw failure(response.status(), data.toString());
          }
          if (any && !each.test(data.toString())) {
            return; // closing the connection ends the server's feed
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
    } catch (IOException e) {
      throw wentAway(e);
    }
  }

  private JsonNode call(String method, String path, Map<String, ?> query, JsonNode body) {
    byte[] bytes;
    try {
      bytes = body == null ? null : JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String answer;
    int status;
    try (PlainHttp.Response response = bytes == null ? send(method, path + Urls.queryString(query), null)
        : send(method, path + Urls.queryString(query), bytes, "Content-Type", "application/json")) {
      status = response.status();
      answer = new String(response.readBody(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw wentAway(e);
    }
    if (status != 200) {
      throw failure(status, answer);
    }
    try {
      return JSON.readTree(answer);
    } catch (IOException e) {
      throw new ServerError("BAD_ANSWER", "the server at " + url + " answered " + method + " " + path
          + " with something that is not JSON: " + e.getMessage(), e);
    }
  }

  /** An exchange with no read timeout: a command waits as long as its request takes. */
  private PlainHttp.Response send(String method, String pathAndQuery, byte[] body, String... headers) {
    try {
      return exchange(method, pathAndQuery, body, 0, headers);
    } catch (IOException e) {
      throw wentAway(e);
    }
  }

  private PlainHttp.Response exchange(String method, String pathAndQuery, byte[] body, int readTimeoutMillis,
      String... headers) throws IOException {
    String[] all = headers;
    if (authorization != null) {
      all = java.util.Arrays.copyOf(headers, headers.length + 2);
      all[headers.length] = "Authorization";
      all[headers.length + 1] = authorization;
    }
    return PlainHttp.exchange(base, method, pathAndQuery, body, (int) CONNECT_TIMEOUT.toMillis(), readTimeoutMillis, all);
  }

  private ServerError wentAway(IOException e) {
    return new ServerError("UNREACHABLE", "the server at " + url + " (from " + ADDRESS_FILE + ") went away: "
        + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
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

}
