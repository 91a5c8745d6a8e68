package dev.kiln.testkit.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The torture workload's calls as requests to Kiln's HTTP API ({@code kiln serve}, or a
 * {@code KilnHttpServer} on the run's Kiln): every thread of the run is then a client with a
 * connection of its own. Error answers ({@code {"error": CODE}}) become the same typed
 * {@link KilnException}s the facade raises, so {@link HistoryChecker} reads both histories alike; an
 * answer that is not Kiln's JSON (a broken connection, another status) is an untyped error, which the
 * checker reports.
 */
public final class HttpTortureDb implements TortureDb {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client;
  private final String db;
  private final String token;

  /**
   * @param url the server's base, e.g. {@code http://127.0.0.1:8484}
   * @param token the bearer token, or null
   */
  public HttpTortureDb(HttpClient client, String url, String token) {
    this.client = client;
    this.db = url + "/db/" + Torture.DB;
    this.token = token;
  }

  /** An {@link Torture.Access} through HTTP to {@code url}; {@code close} runs when the run ends (to stop the server). */
  public static Torture.Access access(String url, String token, Runnable close) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpTortureDb http = new HttpTortureDb(client, url, token);
    return new Torture.Access() {
      @Override
      public TortureDb wrap(TortureDb facade) {
        return http;
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }

  @Override
  public CompletionStage<WriteResult> put(ObjectNode doc) {
    return call("PUT", "/docs/" + doc.path("_id").asText(), doc.toString(), HttpTortureDb::written);
  }

  @Override
  public CompletionStage<WriteResult> delete(String id) {
    return call("DELETE", "/docs/" + id, null, HttpTortureDb::written);
  }

  @Override
  public CompletionStage<ObjectNode> get(String id) {
    return call("GET", "/docs/" + id, null, body -> (ObjectNode) body);
  }

  @Override
  public CompletionStage<AllDocsResult> allDocs() {
    return call("GET", "/all-docs", null, body -> {
      List<DocRow> rows = new ArrayList<>();
      for (JsonNode r : body.path("rows")) {
        rows.add(new DocRow(r.path("id").asText(), r.path("deleted").asBoolean(), object(r.get("doc"))));
      }
      return new AllDocsResult(rows, text(body.get("clock")));
    });
  }

  @Override
  public CompletionStage<ChangesResult> changes(long since) {
    return call("GET", "/changes?since=" + since, null, body -> {
      List<Change> changes = new ArrayList<>();
      for (JsonNode c : body.path("changes")) {
        changes.add(new Change(c.path("seq").asLong(), c.path("id").asText(), c.path("deleted").asBoolean(),
            object(c.get("doc"))));
      }
      return new ChangesResult(changes, body.path("lastSeq").asLong(), text(body.get("clock")));
    });
  }

  @Override
  public CompletionStage<CompactResult> compact(CompactionKind kind) {
    return call("POST", "/compact" + (kind == CompactionKind.MINOR ? "?minor=true" : ""), null,
        b -> new CompactResult(b.path("carLogBefore").asInt(), b.path("carLogAfter").asInt(),
            b.path("generation").asLong(), b.path("bytesBefore").asLong(), b.path("bytesAfter").asLong(),
            CompactionKind.valueOf(b.path("kind").asText("MAJOR"))));
  }

  @Override
  public CompletionStage<QueryResult> queryByWriter(String writer) {
    String key = URLEncoder.encode(IndexQuery.json(writer), StandardCharsets.UTF_8);
    return call("GET", "/query/" + Torture.WRITER_INDEX + "?include-docs=true&key=" + key, null, body -> {
      List<QueryRow> rows = new ArrayList<>();
      for (JsonNode r : body.path("rows")) {
        rows.add(new QueryRow(r.get("key"), r.path("id").asText(), r.get("value"), object(r.get("doc"))));
      }
      return new QueryResult(rows, text(body.get("clock")));
    });
  }

  private <T> CompletionStage<T> call(String method, String path, String body, Function<JsonNode, T> answer) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(db + path)).timeout(Torture.WAIT)
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).thenCompose(r -> {
      JsonNode json;
      try {
        json = JSON.readTree(r.body());
      } catch (IOException e) {
        return CompletableFuture.failedFuture(new UncheckedIOException("HTTP " + r.statusCode() + " " + method + " " + path
            + " answered no JSON: " + new String(r.body(), StandardCharsets.UTF_8), e));
      }
      if (r.statusCode() == 200) {
        return CompletableFuture.completedFuture(answer.apply(json));
      }
      return CompletableFuture.failedFuture(error(r.statusCode(), json, method + " " + path));
    });
  }

  /** Kiln's error answer as the facade's typed exception; anything else untyped (the checker reports it). */
  private static RuntimeException error(int status, JsonNode json, String request) {
    String code = json.path("error").asText("");
    String reason = json.path("reason").asText("");
    if (Arrays.stream(ErrorCode.values()).anyMatch(c -> c.name().equals(code))) {
      return new KilnException(ErrorCode.valueOf(code), reason);
    }
    return new IllegalStateException("HTTP " + status + " " + request + ": " + json);
  }

  private static WriteResult written(JsonNode w) {
    return new WriteResult(w.path("id").asText(), w.path("seq").asLong(), text(w.get("clock")));
  }

  private static ObjectNode object(JsonNode node) {
    return node instanceof ObjectNode o ? o : null;
  }

  private static String text(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }
}
