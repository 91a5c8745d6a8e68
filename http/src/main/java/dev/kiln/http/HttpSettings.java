package dev.kiln.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The server's settings, from {@code kiln.http.*} (defaults in this module's {@code reference.conf}).
 *
 * @param token the bearer token every request must carry, or empty when none is asked for
 * @param statsInterval how often the status page's stream ({@code GET /events/stats}) sends the databases' statistics
 */
public record HttpSettings(String host, int port, Optional<String> token, long maxBodyBytes, int maxUriLength,
    Duration bodyTimeout, Duration shutdownDeadline, Duration sseKeepAlive, int sseBuffer, Duration statsInterval) {

  public HttpSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("kiln.http.port must be 0 to 65535, got " + port);
    }
    if (token.isPresent() && token.get().isBlank()) {
      throw new IllegalArgumentException("a bearer token must not be blank");
    }
    if (statsInterval.isNegative() || statsInterval.isZero()) {
      throw new IllegalArgumentException("kiln.http.stats-interval must be positive, got " + statsInterval);
    }
  }

  /** Reads {@code kiln.http}; the token comes from {@code token}, else from the first line of {@code token-file}. */
  public static HttpSettings from(Config config) {
    Config c = config.getConfig("kiln.http");
    String token = c.getString("token");
    String tokenFile = c.getString("token-file");
    if (token.isEmpty() && !tokenFile.isEmpty()) {
      token = readToken(Path.of(tokenFile));
    }
    return new HttpSettings(c.getString("host"), c.getInt("port"), token.isEmpty() ? Optional.empty() : Optional.of(token),
        c.getBytes("max-body-bytes"), Math.toIntExact(c.getBytes("max-uri-length")), c.getDuration("body-timeout"),
        c.getDuration("shutdown-deadline"), c.getDuration("sse-keep-alive"), c.getInt("sse-buffer"),
        c.getDuration("stats-interval"));
  }

  public HttpSettings withHost(String h) {
    return new HttpSettings(h, port, token, maxBodyBytes, maxUriLength, bodyTimeout, shutdownDeadline, sseKeepAlive, sseBuffer,
        statsInterval);
  }

  public HttpSettings withPort(int p) {
    return new HttpSettings(host, p, token, maxBodyBytes, maxUriLength, bodyTimeout, shutdownDeadline, sseKeepAlive, sseBuffer,
        statsInterval);
  }

  public HttpSettings withToken(String t) {
    return new HttpSettings(host, port, Optional.ofNullable(t), maxBodyBytes, maxUriLength, bodyTimeout, shutdownDeadline,
        sseKeepAlive, sseBuffer, statsInterval);
  }

  public HttpSettings withMaxBodyBytes(long b) {
    return new HttpSettings(host, port, token, b, maxUriLength, bodyTimeout, shutdownDeadline, sseKeepAlive, sseBuffer,
        statsInterval);
  }

  public HttpSettings withStatsInterval(Duration d) {
    return new HttpSettings(host, port, token, maxBodyBytes, maxUriLength, bodyTimeout, shutdownDeadline, sseKeepAlive,
        sseBuffer, d);
  }

  /**
   * Refuses to listen beyond this machine without a token: a database on a network address, open to
   * anyone who can reach it, is the mistake this check exists for. {@link KilnHttpServer#start} checks
   * it; an application may check it earlier, before it starts anything else.
   *
   * @throws IllegalArgumentException for a host that is not a loopback address when no token is set
   */
  public void checkExposure() {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("kiln.http.host '" + host + "' does not resolve", e);
    }
    if (!address.isLoopbackAddress() && token.isEmpty()) {
      throw new IllegalArgumentException("refusing to listen on " + host + " without a token: set kiln.http.token or "
          + "kiln.http.token-file (every request must then carry Authorization: Bearer <token>), or listen on 127.0.0.1");
    }
  }

  private static String readToken(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int eol = text.indexOf('\n');
      String first = (eol < 0 ? text : text.substring(0, eol)).strip();
      if (first.isEmpty()) {
        throw new IllegalArgumentException("kiln.http.token-file " + file + " holds no token on its first line");
      }
      return first;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kiln.http.token-file " + file + ": " + e.getMessage(), e);
    }
  }
}
