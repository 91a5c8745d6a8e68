package dev.kiln.cli.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 exchange with a Kiln server on a socket of its own ({@code Connection: close}). The
 * command line uses this rather than the JDK's clients: {@code java.net.http} builds the default TLS
 * context even for plain HTTP, and {@code HttpURLConnection} scans every jar on the class path for
 * URL handlers; each costs a short-lived JVM more than its request (docs/benchmarks.md, "CLI latency").
 * It speaks only what {@code kiln serve} answers: plain HTTP, a body by length, chunked or up to the end.
 */
final class PlainHttp {
  private PlainHttp() {}

  /** An answer whose body is read from the open connection; closing it closes the connection. */
  static final class Response implements Closeable {
    private final Socket socket;
    private final int status;
    private final InputStream body;

    private Response(Socket socket, int status, InputStream body) {
      this.socket = socket;
      this.status = status;
      this.body = body;
    }

    int status() {
      return status;
    }

    /** The body as it arrives (chunks joined); it ends where the answer ends. */
    InputStream body() {
      return body;
    }

    byte[] readBody() throws IOException {
      return body.readAllBytes();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /**
   * Sends {@code method pathAndQuery} to the server at {@code base} with {@code headers} (name, value,
   * …) and {@code body} (null: none) and reads the answer's status line and headers. A read waits at
   * most {@code readTimeoutMillis} (0: as long as it takes).
   */
  static Response exchange(URI base, String method, String pathAndQuery, byte[] body, int connectTimeoutMillis,
      int readTimeoutMillis, String... headers) throws IOException {
    Socket socket = new Socket();
    try {
      int port = base.getPort() < 0 ? 80 : base.getPort();
      socket.connect(new InetSocketAddress(base.getHost(), port), connectTimeoutMillis);
      socket.setSoTimeout(readTimeoutMillis);
      StringBuilder head = new StringBuilder(method).append(' ').append(pathAndQuery).append(" HTTP/1.1\r\nHost: ")
          .append(base.getHost()).append(':').append(port).append("\r\nConnection: close\r\n");
      for (int i = 0; i + 1 < headers.length; i += 2) {
        head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      if (body != null) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      } else if (!method.equals("GET")) {
        head.append("Content-Length: 0\r\n");
      }
      OutputStream out = new BufferedOutputStream(socket.getOutputStream());
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      return read(socket, new BufferedInputStream(socket.getInputStream()));
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private static Response read(Socket socket, InputStream in) throws IOException {
    String status = line(in);
    if (!status.startsWith("HTTP/1.") || status.length() < 12) {
      throw new IOException("not an HTTP response: " + status);
    }
    long length = -1;
    boolean chunked = false;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      String name = header.substring(0, Math.max(colon, 0)).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      }
    }
    int code = Integer.parseInt(status.substring(9, 12));
    InputStream body = chunked ? new Chunked(in) : length >= 0 ? new Bounded(in, length) : in;
    return new Response(socket, code, body);
  }

  /** One header line without its CRLF. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("the answer ended early");
      }
      if (c != '\r') {
        line.write(c);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  /** A body read part by part, each of a known length: one part, or one a chunk. */
  private abstract static class Parts extends InputStream {
    final InputStream in;
    long left;
    boolean done;

    Parts(InputStream in) {
      this.in = in;
    }

    /** Sets {@link #left} to the next part's length, or {@link #done} at the end of the body. */
    abstract void nextPart() throws IOException;

    /** Reads what follows a part's bytes, if anything. */
    abstract void partEnded() throws IOException;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!done && left == 0) {
        nextPart();
      }
      if (done) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException("the answer ended early");
      }
      left -= n;
      if (left == 0) {
        partEnded();
      }
      return n;
    }
  }

  /** A body of a known length. */
  private static final class Bounded extends Parts {
    Bounded(InputStream in, long length) {
      super(in);
      left = length;
      done = length == 0;
    }

    @Override
    void nextPart() {
      done = true;
    }

    @Override
    void partEnded() {}
  }

  /** A chunked body, decoded as it arrives (a feed's events come one chunk at a time). */
  private static final class Chunked extends Parts {
    Chunked(InputStream in) {
      super(in);
    }

    @Override
    void nextPart() throws IOException {
      String size = line(in);
      int semicolon = size.indexOf(';');
      left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
      if (left == 0) {
        while (!line(in).isEmpty()) {
          // trailers: none that matter here
        }
        done = true;
      }
    }

    @Override
    void partEnded() throws IOException {
      line(in); // the CRLF after each chunk
    }
  }
}
