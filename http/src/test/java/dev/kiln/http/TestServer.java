package dev.kiln.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.config.KilnConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A Kiln with its HTTP server on 127.0.0.1 and a free port, in a data directory of the test's, and a client. */
final class TestServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dataDir;
  final Kiln kiln;
  final KilnHttpServer server;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  String token;

  TestServer(Path dataDir, Map<String, Object> settings) {
    this.dataDir = dataDir;
    Map<String, Object> all = new HashMap<>(Map.of("kiln.data-dir", dataDir.toString(), "kiln.car.fsync", "off",
        "kiln.http.port", 0));
    all.putAll(settings);
    Config config = KilnConfig.withDefaults(ConfigFactory.parseMap(all));
    this.kiln = Kiln.start(config);
    try {
      this.server = KilnHttpServer.start(kiln, HttpSettings.from(config)).toCompletableFuture().join();
    } catch (RuntimeException e) {
      kiln.close();
      throw e;
    }
    this.token = server.settings().token().orElse(null);
  }

  HttpResponse<String> send(String method, String path, String contentType, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> get(String path) {
    return send("GET", path, null, null);
  }

  HttpResponse<String> put(String path, String json, String... headers) {
    return send("PUT", path, "application/json", json, headers);
  }

  HttpResponse<String> post(String path, String json) {
    return send("POST", path, json == null ? null : "application/json", json);
  }

  HttpResponse<String> delete(String path, String... headers) {
    return send("DELETE", path, null, null, headers);
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
    }
  }

  @Override
  public void close() {
    try {
      server.stop().toCompletableFuture().join();
    } finally {
      kiln.close();
    }
  }
}
