package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.client.KilnServer;
import dev.kiln.cli.client.Urls;
import dev.kiln.engine.api.Database;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Export and import of a whole database: one CARv1 file, or plain documents as NDJSON. */
final class TransferCommands {
  private TransferCommands() {}

  @Command(name = "export", description = {
      "Write the database as one CARv1 file: every block reachable from the head commit, which is the root",
      "(readable by any IPLD tool; 'kiln import' loads it). With --ndjson, the live documents as JSON lines,",
      "read a page at a time (bounded memory), with progress on stderr."})
  static final class Export extends KilnCli.DatabaseCommand {
    @Option(names = "--out", paramLabel = "FILE", description = "where to write (default: DB.car, or DB.ndjson; - for stdout with --ndjson)")
    String out;

    @Option(names = "--ndjson", description = "plain documents, one JSON object a line")
    boolean ndjson;

    @Option(names = "--page", paramLabel = "N", defaultValue = "1000", description = "documents read at a time with --ndjson (default: ${DEFAULT-VALUE})")
    int page;

    @Override
    CompletionStage<?> call(Database database) {
      if (!ndjson) {
        return database.exportCar(Path.of(out == null ? db + ".car" : out));
      }
      return CompletableFuture.completedFuture(exportNdjson(q -> database.allDocs(q).toCompletableFuture().join().rows()
          .stream().map(row -> new Row(row.id(), row.doc())).toList(),
          () -> database.stats().toCompletableFuture().join().clock()));
    }

    /** A CAR is written where the engine runs, so only the documents (--ndjson) go through a server. */
    @Override
    boolean throughServer() {
      return ndjson;
    }

    @Override
    Object remote(KilnCli.Remote r) {
      return exportNdjson(q -> {
        List<Row> rows = new ArrayList<>();
        for (JsonNode row : r.server().get(r.path("/all-docs"), Urls.params("start", q.start(), "limit", q.limit()))
            .path("rows")) {
          rows.add(new Row(row.path("id").asText(), row.path("doc")));
        }
        return rows;
      }, () -> r.server().get(r.path("/stats"), Map.of()).path("clock").textValue());
    }

    private record Row(String id, Object doc) {}

    private Map<String, Object> exportNdjson(Function<AllDocsQuery, List<Row>> pages, Supplier<String> headClock) {
      String target = out == null ? db + ".ndjson" : out;
      PrintWriter err = spec.commandLine().getErr();
      long count = 0;
      String clock = null;
      try (Writer w = target.equals("-") ? null : Files.newBufferedWriter(Path.of(target), StandardCharsets.UTF_8)) {
        PrintWriter lines = w == null ? spec.commandLine().getOut() : new PrintWriter(new BufferedWriter(w));
        String after = null;
        while (true) {
          // all-docs pages: each from the head of its time; ids only move forward, so none twice
          AllDocsQuery q = AllDocsQuery.all().withStart(after).withLimit(page + (after == null ? 0 : 1));
          List<Row> rows = pages.apply(q);
          int fresh = 0;
          for (Row row : rows) {
            if (row.id().equals(after)) {
              continue;
            }
            lines.println(KilnCli.JSON.writeValueAsString(row.doc()));
            after = row.id();
            fresh++;
          }
          count += fresh;
          lines.flush();
          err.println("kiln: export " + count + " documents");
          err.flush();
          if (fresh < page) {
            break;
          }
        }
        clock = headClock.get();
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
      }
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("path", target);
      summary.put("documents", count);
      summary.put("clock", clock);
      if (target.equals("-")) {
        err.println("kiln: " + summary);
        err.flush();
        return null;
      }
      return summary;
    }
  }

  @Command(name = "import", description = {
      "Load an export into an empty database: a CARv1 file from 'kiln export' (every block checked against its",
      "CID, the graph below the root complete, or nothing is stored), giving the same documents and head CID;",
      "or with --ndjson, documents as JSON lines, checked first and then stored in commits of --batch."})
  static final class Import extends PutAllCommand {
    @Option(names = "--ndjson", description = "FILE holds one JSON object a line (- for stdin)")
    boolean ndjson;

    @Override
    CompletionStage<?> call(Database database) {
      return ndjson ? super.call(database) : database.importCar(Path.of(input));
    }

    /** A CAR is read where the engine runs, so only documents (--ndjson) go through a server. */
    @Override
    boolean throughServer() {
      return ndjson;
    }
  }
}
