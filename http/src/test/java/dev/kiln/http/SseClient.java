package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A Server-Sent Events client on a plain socket, so a test controls exactly when it goes away. It asks
 * in HTTP/1.0, so the stream arrives without chunking and ends when the connection does.
 */
final class SseClient implements AutoCloseable {
  /** One event: its id (a change's sequence) and its data. */
  record Event(long id, JsonNode data) {}

  private final Socket socket;
  private final BufferedReader in;

  SseClient(int port, String path, String... headers) throws IOException {
    socket = new Socket("127.0.0.1", port);
    // a stream that goes silent fails the test instead of hanging it
    socket.setSoTimeout((int) dev.kiln.engine.TestTime.dilated(java.time.Duration.ofSeconds(60)).toMillis());
    StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    OutputStream out = socket.getOutputStream();
    out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    String status = in.readLine();
    assertThat(status).as("status line").contains(" 200 ");
    String line;
    boolean eventStream = false;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      eventStream |= line.toLowerCase().startsWith("content-type: text/event-stream");
    }
    assertThat(eventStream).as("Content-Type text/event-stream").isTrue();
  }

  /** The next change event (heartbeats skipped); null when the stream ended. */
  Event next() throws IOException {
    return next("change");
  }

  /** The next event of this type (others and heartbeats skipped; an event without an id has id -1); null when the stream ended. */
  Event next(String wanted) throws IOException {
    long id = -1;
    String data = null;
    String type = null;
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) {
        if (data != null && wanted.equals(type)) {
          return new Event(id, TestServer.JSON.readTree(data));
        }
        id = -1;
        data = null;
        type = null;
      } else if (line.startsWith("id:")) {
        id = Long.parseLong(line.substring(3).strip());
      } else if (line.startsWith("data:")) {
        data = line.substring(5).strip();
      } else if (line.startsWith("event:")) {
        type = line.substring(6).strip();
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
