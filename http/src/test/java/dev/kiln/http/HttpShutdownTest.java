package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.TestTime;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping the server: no new connections, and a request already in flight is still answered. */
class HttpShutdownTest {
  @TempDir Path dir;

  @Test
  void aRequestInFlightWhenTheServerStopsIsAnsweredAndStored() throws Exception {
    try (TestServer s = new TestServer(dir, Map.of("kiln.http.shutdown-deadline", "60s"))) {
      int port = s.server.address().getPort();
      String body = "{\"late\":true}";
      try (Socket socket = new Socket("127.0.0.1", port)) {
        OutputStream out = socket.getOutputStream();
        out.write(("PUT /db/inflight/docs/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length() + "\r\n\r\n" + body.substring(0, 5)).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        TestTime.await("the half-sent request has arrived", () -> s.server.requestsInFlight() == 1,
            Duration.ofSeconds(30));

        CompletableFuture<Done> stopped = s.server.stop().toCompletableFuture();
        // no new connections once the port is closed
        TestTime.await("the port is closed", () -> !canConnect(port), Duration.ofSeconds(30));
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        assertThat(stopped).isNotDone();

        out.write(body.substring(5).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
        stopped.join();
      }
      assertThat(s.kiln.open("inflight").get("a").toCompletableFuture().join().path("late").asBoolean()).isTrue();
    }
  }

  private static boolean canConnect(int port) {
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
