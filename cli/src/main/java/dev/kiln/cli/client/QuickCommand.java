package dev.kiln.cli.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The common database commands through a running {@code kiln serve}, with nothing heavy loaded: no
 * picocli, no Jackson databind, no Kiln engine (its HTTP is {@link PlainHttp}, as the full command
 * line's). Together they cost a JVM start about a second of CPU before
 * its one request (docs/benchmarks.md, "CLI latency").
 *
 * <p>It handles only what it can answer exactly as the full command line would: {@code get},
 * {@code put}, {@code del}, {@code all-docs}, {@code query}, {@code stats} and {@code dbs} with
 * their plain options, on names, ids and documents that need no check of the engine's, to a server
 * that asks for no token. Anything else ({@code --help}, an unusual id, a document without
 * {@code _id}, a failed read, no server) it {@link #DEFER defers}: the full command line runs it and
 * prints what it prints. A failed write is not run again: it prints the server's error, as the full
 * command line does.
 */
public final class QuickCommand {
  /** What {@link #run} answers when it leaves the command to the full command line. */
  public static final int DEFER = -1;

  /** Names the full command line passes on unchanged (see {@code Kiln.exists}). */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** Ids that need no check of the engine's and ride in a URL path as they are. */
  private static final Pattern PLAIN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,255}");
  /** A limit picocli reads as the same decimal number. */
  private static final Pattern LIMIT = Pattern.compile("0|[1-9][0-9]{0,8}");
  /** A version as put and del print it, or none. */
  private static final Pattern VERSION = Pattern.compile("none|[1-9][0-9]{0,18}-b[a-z2-7]{20,100}");
  /** The largest document sent here; a larger one (over the engine's default limit anyway) goes the full way. */
  private static final int MAX_BODY = 1 << 20;
  /** Nesting a document may have here; deeper ones go the full way (DAG-CBOR has a limit). */
  private static final int MAX_DEPTH = 32;

  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** One command's shape: its positional parameters, flags and valued options (without {@code --}). */
  private record Shape(int positionals, Set<String> flags, Set<String> valued) {}

  private static final Map<String, Shape> SHAPES = Map.of(
      "get", new Shape(2, Set.of("with-version"), Set.of()),
      "put", new Shape(2, Set.of(), Set.of("if-version")),
      "del", new Shape(2, Set.of(), Set.of("if-version")),
      "all-docs", new Shape(1, Set.of("descending", "include-deleted"), Set.of("prefix", "start", "end", "limit")),
      "query", new Shape(2, Set.of("descending", "include-docs"), Set.of("key", "start", "end", "prefix", "limit")),
      "stats", new Shape(1, Set.of(), Set.of()),
      "dbs", new Shape(0, Set.of(), Set.of()));

  private final InputStream stdin;
  private final PrintWriter out;
  private final PrintWriter err;

  private QuickCommand(InputStream stdin, PrintWriter out, PrintWriter err) {
    this.stdin = stdin;
    this.out = out;
    this.err = err;
  }

  /**
   * Runs {@code args} through the server on its data directory and answers the exit status, or
   * {@link #DEFER} having printed nothing and sent nothing that changes data.
   */
  public static int run(String[] args, InputStream stdin, PrintWriter out, PrintWriter err) {
    try {
      return new QuickCommand(stdin, out, err).run(args);
    } catch (IOException | RuntimeException e) {
      return DEFER; // nothing printed yet: every print is the last thing a command does
    }
  }

  private int run(String[] args) throws IOException {
    if (args.length == 0 || !SHAPES.containsKey(args[0])) {
      return DEFER;
    }
    String command = args[0];
    Shape shape = SHAPES.get(command);
    List<String> positionals = new java.util.ArrayList<>();
    Map<String, String> options = new LinkedHashMap<>();
    Path dataDir = Path.of("./kiln-data");
    boolean dataDirGiven = false;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("-") || a.equals("-")) {
        positionals.add(a);
        continue;
      }
      String name = a.startsWith("--") ? a.substring(2) : "";
      boolean valued = shape.valued().contains(name) || name.equals("data-dir") || (command.equals("put") && name.equals("file"));
      if (shape.flags().contains(name) && !options.containsKey(name)) {
        options.put(name, "true");
      } else if (valued && i + 1 < args.length && !args[i + 1].startsWith("-") && !options.containsKey(name)
          && !(name.equals("data-dir") && dataDirGiven)) {
        String value = args[++i];
        if (name.equals("data-dir")) {
          dataDir = Path.of(value);
          dataDirGiven = true;
        } else {
          options.put(name, value);
        }
      } else {
        return DEFER; // --help, --x=y, a repeat, an unknown option: picocli's to answer
      }
    }
    int expected = command.equals("put") && options.containsKey("file") ? shape.positionals() - 1 : shape.positionals();
    if (positionals.size() != expected || !plainOptions(options)) {
      return DEFER;
    }
    String db = positionals.isEmpty() ? null : positionals.get(0);
    if (db != null && (!NAME.matcher(db).matches()
        || (!command.equals("put") && !Files.isDirectory(dataDir.resolve(db).resolve("cars"))))) {
      return DEFER; // a bad name or a missing database: the full command line says which
    }
    Server server = Server.find(dataDir);
    if (server == null) {
      return DEFER;
    }
    return switch (command) {
      case "get" -> read(server, docPath(db, positionals.get(1)), query(options));
      case "del" -> write(server, "DELETE", docPath(db, positionals.get(1)), query(options), null);
      case "put" -> put(server, db, positionals.size() > 1 ? positionals.get(1) : null, options);
      case "all-docs" -> read(server, "/db/" + db + "/all-docs", query(options));
      case "query" -> read(server, "/db/" + db + "/query/" + Urls.segment(positionals.get(1)), query(options));
      case "stats" -> read(server, "/db/" + db + "/stats", "");
      default -> read(server, "/dbs", "");
    };
  }

  private static boolean plainOptions(Map<String, String> options) {
    String limit = options.get("limit");
    String version = options.get("if-version");
    return (limit == null || LIMIT.matcher(limit).matches()) && (version == null || VERSION.matcher(version).matches());
  }

  private static String docPath(String db, String id) {
    if (!PLAIN_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a plain id"); // deferred: the engine's checks word the refusal
    }
    return "/db/" + db + "/docs/" + Urls.segment(id);
  }

  /** The options as the server's query parameters (the same names; flags as {@code =true}). */
  private static String query(Map<String, String> options) {
    Map<String, Object> params = new LinkedHashMap<>();
    options.forEach((k, v) -> {
      if (!k.equals("file")) {
        params.put(k, v);
      }
    });
    return Urls.queryString(params);
  }

  private int put(Server server, String db, String json, Map<String, String> options) throws IOException {
    if ((json != null) == options.containsKey("file")) { // the document as text or from a file, not both
      return DEFER;
    }
    byte[] text = json == null ? Files.readAllBytes(Path.of(options.get("file")))
        : json.equals("-") ? stdin.readAllBytes() : json.getBytes(StandardCharsets.UTF_8);
    if (text.length > MAX_BODY) {
      return DEFER; // a server may refuse it before reading it all: the full command line's client reads that answer
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(text.length);
    String id = plainDocument(text, body);
    return write(server, "PUT", docPath(db, id), query(options), body.toByteArray());
  }

  /**
   * The {@code _id} of {@code text} once copied to {@code body}, if it is one object with no key twice
   * and nothing after it, a plain string {@code _id}, no other reserved field and nothing DAG-CBOR
   * refuses; else an exception (deferred: the full command line words the refusal).
   */
  private static String plainDocument(byte[] text, OutputStream body) throws IOException {
    String id = null;
    try (JsonParser p = JSON.createParser(text); JsonGenerator g = JSON.createGenerator(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not an object");
      }
      g.writeStartObject();
      int depth = 1;
      while (depth > 0) {
        JsonToken t = p.nextToken();
        if (t == JsonToken.FIELD_NAME && depth == 1 && p.currentName().startsWith("_")) {
          if (!p.currentName().equals("_id") || p.nextToken() != JsonToken.VALUE_STRING) {
            throw new IOException("a reserved field");
          }
          id = p.getText();
          g.writeStringField("_id", id);
          continue;
        }
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          depth++;
        } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
          depth--;
        } else if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            || t == JsonToken.VALUE_NUMBER_FLOAT && !Double.isFinite(p.getDoubleValue())) {
          throw new IOException("a number out of DAG-CBOR's range");
        }
        if (depth > MAX_DEPTH) {
          throw new IOException("deep");
        }
        g.copyCurrentEvent(p);
      }
      if (p.nextToken() != null) {
        throw new IOException("something after the object");
      }
    }
    if (id == null) {
      throw new IOException("no _id: the full command line makes one");
    }
    return id;
  }

  /** A read: its answer printed, or deferred when it fails (a read can be asked again). */
  private int read(Server server, String path, String query) throws IOException {
    Answer a = server.call("GET", path + query, null);
    if (a.status() != 200) {
      return DEFER; // the full command line words some refusals its own way (a missing index, say)
    }
    print(a.body());
    return 0;
  }

  /** A write: asked once; its answer or its refusal printed as the full command line prints them. */
  private int write(Server server, String method, String path, String query, byte[] body) throws IOException {
    Answer a;
    try {
      a = server.call(method, path + query, body);
    } catch (IOException e) {
      err.println("kiln: UNREACHABLE: the server at " + server.url + " (from " + KilnServer.ADDRESS_FILE
          + ") went away: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      err.flush();
      return 1;
    }
    if (a.status() == 200) {
      print(a.body());
      return 0;
    }
    String code = "HTTP_" + a.status();
    String reason = new String(a.body(), StandardCharsets.UTF_8);
    try (JsonParser p = JSON.createParser(a.body())) {
      Map<String, String> fields = topLevelStrings(p);
      code = fields.getOrDefault("error", code);
      reason = fields.getOrDefault("reason", reason);
    } catch (IOException e) {
      // not the server's JSON error: the status and the text are all there is
    }
    err.println("kiln: " + code + ": " + reason);
    err.flush();
    return 1;
  }

  private static Map<String, String> topLevelStrings(JsonParser p) throws IOException {
    Map<String, String> fields = new HashMap<>();
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return fields;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_STRING) {
        fields.put(name, p.getText());
      } else {
        p.skipChildren();
      }
    }
    return fields;
  }

  /** The answer pretty-printed as Jackson's default printer prints it (the full command line's output). */
  private void print(byte[] json) throws IOException {
    StringWriter text = new StringWriter();
    try (JsonParser p = JSON.createParser(json); JsonGenerator g = JSON.createGenerator(text)) {
      g.useDefaultPrettyPrinter();
      p.nextToken();
      g.copyCurrentStructure(p);
    }
    out.println(text);
    out.flush();
  }

  /** A response: its status and its whole body. */
  private record Answer(int status, byte[] body) {}

  /** The server of the address file, found as {@link KilnServer#find} finds it; null when there is none. */
  private static final class Server {
    private final String url;

    private Server(String url) {
      this.url = url;
    }

    static Server find(Path dataDir) throws IOException {
      Map<String, String> address;
      try (JsonParser p = JSON.createParser(Files.readAllBytes(dataDir.resolve(KilnServer.ADDRESS_FILE)))) {
        address = new HashMap<>();
        if (p.nextToken() != JsonToken.START_OBJECT) {
          return null;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          address.put(name, p.getText());
        }
      }
      String url = address.get("url");
      String pid = address.get("pid");
      if (url == null || pid == null || !"false".equals(address.get("token"))) {
        return null; // a server that asks for a token: the full command line reads it from the configuration
      }
      if (!alive(Long.parseLong(pid))) {
        return null;
      }
      Server server = new Server(url);
      return server.call("GET", "/health", null).status() == 200 ? server : null;
    }

    private static boolean alive(long pid) {
      java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
      return process.isPresent() && process.get().isAlive();
    }

    /** One exchange with the server (see {@link PlainHttp}). */
    Answer call(String method, String pathAndQuery, byte[] body) throws IOException {
      String[] headers = body == null ? new String[0] : new String[] {"Content-Type", "application/json"};
      try (PlainHttp.Response r = PlainHttp.exchange(URI.create(url), method, pathAndQuery, body, 2_000, 0, headers)) {
        return new Answer(r.status(), r.readBody());
      }
    }
  }
}
