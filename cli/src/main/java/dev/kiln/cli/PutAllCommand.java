package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.client.ServerError;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.protocol.DatabaseProtocol.BulkResult;
import dev.kiln.protocol.KilnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Stores NDJSON documents. Every line is checked first (strict JSON, an object, a valid id, within
 * the size limit), so a bad line stores nothing; then the documents go in commits of {@code --batch},
 * reading the input again, so memory holds one batch whatever the input's size (stdin is spooled to a
 * temporary file for the second reading).
 */
@Command(name = "put-all", description = {
    "Store documents from NDJSON: one JSON object a line (blank lines are skipped), from FILE or - for stdin.",
    "Every line is checked before anything is stored, so a bad line stores nothing; then documents are stored "
        + "in commits of --batch. Progress goes to stderr."})
class PutAllCommand extends KilnCli.DatabaseCommand {
  @Parameters(index = "1", paramLabel = "FILE", description = "the NDJSON input, or - for stdin")
  String input;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1000",
      description = "documents per commit (default: ${DEFAULT-VALUE})")
  int batch;

  @Override
  boolean createsDatabase() {
    return true;
  }

  /** What one stored batch answers: the sequence of its last document and the commit's clock. */
  record Stored(long lastSeq, Object clock) {}

  @Override
  CompletionStage<?> call(Database database) {
    return CompletableFuture.completedFuture(run(docs -> {
      BulkResult r = database.putAll(docs).toCompletableFuture().join();
      return new Stored(r.results().get(r.results().size() - 1).seq(), r.clock());
    }));
  }

  @Override
  Object remote(KilnCli.Remote server) {
    return run(docs -> {
      ArrayNode body = KilnCli.JSON.createArrayNode().addAll(docs);
      JsonNode answer = server.server().post(server.path("/docs"), Map.of(), body);
      JsonNode results = answer.path("results");
      return new Stored(results.get(results.size() - 1).path("seq").asLong(), answer.path("clock"));
    });
  }

  /** Checks every line, then stores them in batches with {@code putAll}; answers the summary to print. */
  private Map<String, Object> run(Function<List<ObjectNode>, Stored> putAll) {
    if (batch < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch must be 1 or more, got " + batch);
    }
    Path spooled = null;
    try {
      Path file;
      String source;
      if (input.equals("-")) {
        spooled = Files.createTempFile("kiln-put-all", ".ndjson");
        Files.copy(stdin(), spooled, StandardCopyOption.REPLACE_EXISTING);
        file = spooled;
        source = "stdin";
      } else {
        file = Path.of(input);
        source = input;
      }
      com.typesafe.config.Config config = dataDir.config();
      int maxDocBytes = (int) config.getBytes("kiln.max-doc-bytes").longValue();
      BatchSize size = new BatchSize(batch, config.getBytes("kiln.http.max-body-bytes"));
      long lines = read(file, source, (where, doc) -> {
        try {
          DocumentCodec.prepare(doc, maxDocBytes);
        } catch (KilnException e) {
          throw new KilnException(e.code(), where + ": " + e.getMessage(), e);
        }
        size.add(where, doc);
      });
      return store(putAll, file, source, lines);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + input + ": " + e.getMessage(), e);
    } finally {
      if (spooled != null) {
        try {
          Files.deleteIfExists(spooled);
        } catch (IOException e) {
          // a temporary file left behind; the system's temp cleaning removes it
        }
      }
    }
  }

  private Map<String, Object> store(Function<List<ObjectNode>, Stored> putAll, Path file, String source, long total)
      throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    List<ObjectNode> pending = new ArrayList<>(Math.min(batch, 10_000));
    long[] stored = {0};
    long[] commits = {0};
    Stored[] last = {null};
    Runnable flush = () -> {
      if (pending.isEmpty()) {
        return;
      }
      try {
        last[0] = putAll.apply(List.copyOf(pending));
      } catch (java.util.concurrent.CompletionException | KilnException e) {
        if ((e instanceof KilnException ? e : e.getCause()) instanceof KilnException k) {
          throw new KilnException(k.code(), k.getMessage() + " (" + stored[0] + " of " + total
              + " documents were stored before this batch)", k);
        }
        throw e;
      }
      stored[0] += pending.size();
      commits[0]++;
      pending.clear();
      err.println("kiln: put-all " + stored[0] + " / " + total + " documents");
      err.flush();
    };
    read(file, source, (where, doc) -> {
      pending.add(doc);
      if (pending.size() == batch) {
        flush.run();
      }
    });
    flush.run();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("documents", stored[0]);
    out.put("commits", commits[0]);
    out.put("lastSeq", last[0] == null ? null : last[0].lastSeq());
    out.put("clock", last[0] == null ? null : last[0].clock());
    return out;
  }

  /**
   * The bytes of each batch as one request to a server would carry it (a JSON array). A batch is one
   * commit, all or nothing, so it cannot be split to fit {@code kiln.http.max-body-bytes}: one over it
   * is refused before anything is stored, with a server or without one, so both store the same.
   */
  private static final class BatchSize {
    private final int batch;
    private final long limit;
    private int docs;
    private long bytes;
    private String first;

    BatchSize(int batch, long limit) {
      this.batch = batch;
      this.limit = limit;
    }

    void add(String where, ObjectNode doc) {
      try {
        bytes += KilnCli.JSON.writeValueAsBytes(doc).length + (docs == 0 ? 2 : 1); // the brackets, or a comma
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
      if (docs++ == 0) {
        first = where;
      }
      if (bytes > limit) {
        throw new ServerError("BODY_TOO_LARGE", "the batch from " + first + " to " + where + " is over "
            + limit + " bytes as JSON, more than kiln.http.max-body-bytes lets one request to a server carry; a batch "
            + "is one commit, so it is refused whole, with or without a server: use a smaller --batch (nothing was "
            + "stored)", null);
      }
      if (docs == batch) {
        docs = 0;
        bytes = 0;
      }
    }
  }

  /** Reads every non-blank line as a document; returns how many there were. */
  private static long read(Path file, String source, BiConsumer<String, ObjectNode> each) throws IOException {
    long count = 0;
    long lineNo = 0;
    try (InputStream in = Files.newInputStream(file);
         BufferedReader lines = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String where = source + " line " + lineNo;
        each.accept(where, StrictJson.document(line, where));
        count++;
      }
    }
    return count;
  }
}
