package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.cli.client.KilnServer;
import dev.kiln.cli.client.Urls;
import dev.kiln.cli.client.ServerError;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.doc.DocumentIds;
import dev.kiln.http.HttpSettings;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Expected;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.engine.config.StorageSettings;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code kiln} command line: a thin layer over the Java facade. */
@Command(name = "kiln", mixinStandardHelpOptions = true, version = "kiln 0.1.0",
    description = "Kiln, an embedded content-addressed document database.",
    subcommands = {
        KilnCli.Put.class, PutAllCommand.class, KilnCli.Get.class, KilnCli.Del.class, KilnCli.AllDocs.class, ChangesCommand.class,
        KilnCli.Query.class, IndexCommands.Define.class, IndexCommands.List.class,
        IndexCommands.Drop.class, TransferCommands.Export.class, TransferCommands.Import.class, KilnCli.Compact.class,
        KilnCli.Stats.class, DirectoryCommands.Dbs.class, DirectoryCommands.Destroy.class, ServeCommand.class, ReproCommand.class, TortureCommand.class,
        VerifyCommand.class, dev.kiln.cli.bench.BenchCommand.class})
public final class KilnCli implements Runnable {
  static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command, e.g. 'kiln repro' or 'kiln --help'");
  }

  /** Where {@code -} reads from. */
  InputStream stdin = System.in;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * Starts logging on the command's one thread, before any ActorSystem: SLF4J then has no calls from
   * Pekko's threads to buffer during its initialisation and nothing to replay (and warn about). Only
   * commands that start Kiln call it (through {@link DataDir#config()}): a command through a server
   * logs nothing and spares the JVM loading the logging backend.
   */
  static void startLogging() {
    org.slf4j.LoggerFactory.getILoggerFactory();
  }

  /** The command line with Kiln's error handling: a failure says why on stderr and exits non-zero. */
  public static CommandLine commandLine() {
    return commandLine(System.in);
  }

  /** The same, reading {@code -} from {@code stdin}. */
  public static CommandLine commandLine(InputStream stdin) {
    KilnCli root = new KilnCli();
    root.stdin = stdin;
    CommandLine cli = new CommandLine(root);
    cli.setExpandAtFiles(false); // picocli split an @file at spaces; documents come from --file or -
    for (CommandLine sub : cli.getSubcommands().values()) {
      sub.getCommandSpec().mixinStandardHelpOptions(true); // --help works without the required parameters
    }
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (t instanceof KilnException k) {
        commandLine.getErr().println("kiln: " + k.code() + ": " + k.getMessage());
      } else if (t instanceof ServerError s) {
        commandLine.getErr().println("kiln: " + s.code() + ": " + s.getMessage());
      } else {
        commandLine.getErr().println("kiln: " + t);
      }
      commandLine.getErr().flush();
      return 1;
    });
    return cli;
  }

  /** Options every command that opens a database shares. */
  static class DataDir {
    @Option(names = "--data-dir", description = "where databases live (default: ${DEFAULT-VALUE})", defaultValue = "./kiln-data")
    Path dataDir;

    DataDir() {}

    DataDir(Path dataDir) {
      this.dataDir = dataDir;
    }

    /** The configuration Kiln starts with on this directory (and logging, started before it). */
    Config config() {
      return config(ConfigFactory.empty());
    }

    /** With {@code file}'s settings over the application's (system properties still win). */
    Config config(Config file) {
      startLogging();
      Config overrides = ConfigFactory.empty()
          .withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toAbsolutePath().toString()));
      return KilnConfig.withDefaults(overrides.withFallback(file).withFallback(ConfigFactory.defaultApplication()));
    }

    /**
     * Whether database {@code db} may exist, as far as can be told before starting Kiln: with the
     * embedded storage its directory is there (so a mistyped name creates nothing); with PostgreSQL
     * only a started Kiln can tell ({@link Kiln#exists(String)}), so true.
     */
    boolean mayHold(Config config, String db) {
      return StorageSettings.from(config).postgres() || Kiln.exists(dataDir, db);
    }

    /** Where the databases are, for messages: the data directory, or PostgreSQL's URL. */
    String where() {
      StorageSettings storage = StorageSettings.from(config());
      return storage.postgres() ? storage.url() : dataDir.toAbsolutePath().toString();
    }

    /** The {@code kiln serve} running on this directory, if one is (its address file, alive). */
    Optional<KilnServer> server() {
      // the configuration is read only for a server that asks for a token: reading it costs more than the request
      return KilnServer.find(dataDir, () -> HttpSettings.from(config()).token());
    }
  }

  /** One database of a running server: its routes under {@code /db/NAME}. */
  record Remote(KilnServer server, String db) {
    String path(String rest) {
      return "/db/" + Urls.segment(db) + rest;
    }
  }

  /**
   * Runs one call on one database and prints its answer as JSON: through the {@code kiln serve} that
   * runs on the data directory if there is one (no ActorSystem, no journal: one HTTP request), else
   * by opening Kiln on the directory itself and closing it after. Both print the same.
   */
  abstract static class DatabaseCommand implements Callable<Integer> {
    @CommandLine.Mixin
    DataDir dataDir = new DataDir();

    @Parameters(index = "0", paramLabel = "DB", description = "database name")
    String db;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The running Kiln, while {@link #call(Database)} runs. */
    Kiln kiln;

    abstract CompletionStage<?> call(Database database);

    /** The same call through a running server: what to print (as {@link #call} answers it), or null. */
    abstract Object remote(Remote server);

    /** Whether this command goes through a running server (every one does, unless told otherwise). */
    boolean throughServer() {
      return true;
    }

    /** Whether this command may create the database; reads of one that does not exist fail instead. */
    boolean createsDatabase() {
      return false;
    }

    /** What {@code -} reads. */
    InputStream stdin() {
      return ((KilnCli) spec.root().userObject()).stdin;
    }

    @Override
    public Integer call() throws Exception {
      if (!createsDatabase() && !Kiln.exists(dataDir.dataDir, db) && !postgres()) {
        // checked before starting Kiln, so that a mistyped name leaves nothing behind
        throw notFound();
      }
      Optional<KilnServer> server = throughServer() ? dataDir.server() : Optional.empty();
      if (server.isPresent()) {
        print(remote(new Remote(server.get(), db)));
        return 0;
      }
      try (Kiln started = Kiln.start(dataDir.config())) {
        if (!createsDatabase() && !started.exists(db)) {
          throw notFound(); // on PostgreSQL: nobody ever opened it
        }
        kiln = started;
        print(call(started.open(db)).toCompletableFuture().join());
      }
      return 0;
    }

    /** With {@code kiln.storage = "postgres"}, whose databases only a started Kiln can see. */
    private boolean postgres() {
      return StorageSettings.from(dataDir.config()).postgres();
    }

    private KilnException notFound() {
      return new KilnException(ErrorCode.NOT_FOUND, "no database named " + db + " in " + dataDir.where()
          + " (a put creates one)");
    }

    private void print(Object answer) throws JsonProcessingException {
      if (answer != null) { // null: the command printed its own output
        PrintWriter out = spec.commandLine().getOut();
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
        out.flush();
      }
    }
  }

  @Command(name = "put", description = {"Store a JSON document; prints its id, sequence, version and clock.",
      "With --if-version, a conditional write: it fails with CONFLICT when the document moved on.",
      "The document is JSON, - for stdin, or --file PATH; it must be one object, with no key twice."})
  static final class Put extends DatabaseCommand {
    @Parameters(index = "1", arity = "0..1", paramLabel = "JSON", description = "the document, a JSON object, or - for stdin")
    String json;

    @Option(names = "--file", paramLabel = "PATH", description = "read the document from this file")
    Path file;

    @Override
    boolean createsDatabase() {
      return true;
    }

    @Option(names = "--if-version", paramLabel = "VERSION", description = "store only if the document is at this "
        + "version (as get --with-version or an earlier write printed it), or 'none': only if it does not exist; "
        + "else fail with CONFLICT")
    String ifVersion;

    @Override
    CompletionStage<?> call(Database database) {
      ObjectNode doc = document();
      return (ifVersion == null ? database.put(doc) : database.put(doc, Expected.parse(ifVersion)))
          .thenApply(KilnCli::written);
    }

    @Override
    Object remote(Remote r) {
      ObjectNode doc = document();
      if (ifVersion != null) {
        Expected.parse(ifVersion); // a malformed version is refused here, as it is without a server
      }
      // checked here as the engine checks it (same refusals, same words), and an id made for a document without one
      String id = DocumentCodec.prepare(doc, Integer.MAX_VALUE).id();
      if (ifVersion == null && !Urls.namable(id)) { // the id rides in the body of a bulk of one
        return r.server().post(r.path("/docs"), Map.of(), JSON.createArrayNode().add(doc)).path("results").path(0);
      }
      return r.server().put(r.path(docPath(id)), Urls.params("if-version", ifVersion), doc);
    }

    ObjectNode document() {
      if ((json == null) == (file == null)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "give the document either as JSON (or - for stdin) or with --file PATH");
      }
      if (file != null) {
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
          return StrictJson.document(in, file.toString());
        } catch (java.io.IOException e) {
          throw new KilnException(ErrorCode.INVALID_DOCUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
      }
      return json.equals("-") ? StrictJson.document(stdin(), "stdin") : StrictJson.document(json, "JSON");
    }
  }

  @Command(name = "get", description = "Print a document.")
  static final class Get extends DatabaseCommand {
    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Option(names = "--with-version", description = "print {id, version, clock, doc}: the version is what "
        + "put --if-version and del --if-version take")
    boolean withVersion;

    @Override
    CompletionStage<?> call(Database database) {
      return withVersion ? database.read(id) : database.get(id);
    }

    @Override
    Object remote(Remote r) {
      DocumentIds.validate(id);
      return r.server().get(r.path(docPath(id)), Urls.params("with-version", withVersion));
    }
  }

  @Command(name = "del", description = "Delete a document.")
  static final class Del extends DatabaseCommand {
    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Option(names = "--if-version", paramLabel = "VERSION",
        description = "delete only if the document is at this version; else fail with CONFLICT")
    String ifVersion;

    @Override
    CompletionStage<?> call(Database database) {
      return (ifVersion == null ? database.delete(id) : database.delete(id, Expected.parse(ifVersion)))
          .thenApply(KilnCli::written);
    }

    @Override
    Object remote(Remote r) {
      DocumentIds.validate(id);
      if (ifVersion != null) {
        Expected.parse(ifVersion);
      }
      return r.server().delete(r.path(docPath(id)), Urls.params("if-version", ifVersion));
    }
  }

  /** {@code /docs/ID}; an id the server cannot take in a path (a dot segment) is refused with a reason. */
  static String docPath(String id) {
    if (!Urls.namable(id)) {
      throw new KilnException(ErrorCode.INVALID_ID, "the id '" + id + "' is a dot segment, which the running server "
          + "refuses in a URL path; stop the server to reach this document from the command line");
    }
    return "/docs/" + Urls.segment(id);
  }

  /** A write's answer as printed: the same JSON as the HTTP API's, version ready for the next --if-version. */
  static Map<String, Object> written(WriteResult w) {
    return dev.kiln.http.Answers.written(w);
  }

  @Command(name = "all-docs", description = "List documents in id order.")
  static final class AllDocs extends DatabaseCommand {
    @Option(names = "--prefix") String prefix;
    @Option(names = "--start") String start;
    @Option(names = "--end") String end;
    @Option(names = "--limit", defaultValue = "0") int limit;
    @Option(names = "--descending") boolean descending;
    @Option(names = "--include-deleted") boolean includeDeleted;

    @Override
    CompletionStage<?> call(Database database) {
      return database.allDocs(new AllDocsQuery(start, end, prefix, null, limit, descending, includeDeleted));
    }

    @Override
    Object remote(Remote r) {
      return r.server().get(r.path("/all-docs"), Urls.params("prefix", prefix, "start", start, "end", end,
          "limit", limit, "descending", descending, "include-deleted", includeDeleted));
    }
  }

  @Command(name = "query", description = {
      "Rows of the index on FIELD (a dotted path or a JSON pointer), in key order.",
      "The index must exist: define it once with 'kiln index DB FIELD'; every later write keeps it current.",
      "Keys are JSON: a string needs quotes, e.g. --key '\"Oslo\"'."})
  static final class Query extends DatabaseCommand {
    @Parameters(index = "1", paramLabel = "FIELD", description = "the indexed field, e.g. address.city or /address/city")
    String field;

    @Option(names = "--key", paramLabel = "K", description = "only rows with this key (JSON)") String key;
    @Option(names = "--start", paramLabel = "K", description = "first key (JSON, inclusive; the high end with --descending)") String start;
    @Option(names = "--end", paramLabel = "K", description = "last key (JSON, inclusive)") String end;
    @Option(names = "--prefix", paramLabel = "P", description = "only string keys starting with P (plain text)") String prefix;
    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "at most N rows (0: all)") int limit;
    @Option(names = "--descending", description = "highest key first") boolean descending;
    @Option(names = "--include-docs", description = "add each row's document") boolean includeDocs;

    @Override
    CompletionStage<?> call(Database database) {
      IndexQuery q = new IndexQuery(key, null, start, end, prefix, limit, descending, includeDocs);
      return database.query(field, q).exceptionallyCompose(error -> {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return CompletableFuture.failedFuture(t instanceof KilnException k ? explained(k) : t);
      });
    }

    @Override
    Object remote(Remote r) {
      try {
        return r.server().get(r.path("/query/" + Urls.segment(field)), Urls.params("key", key, "start", start,
            "end", end, "prefix", prefix, "limit", limit, "descending", descending, "include-docs", includeDocs));
      } catch (KilnException k) {
        throw explained(k); // the database exists (checked first): NOT_FOUND is the index
      }
    }

    private KilnException explained(KilnException k) {
      if (k.code() != ErrorCode.NOT_FOUND) {
        return k;
      }
      // Defining an index here would make every later write pay for a mistyped field.
      return new KilnException(ErrorCode.NOT_FOUND, "no index on " + field + " in "
          + db + ": define it once with 'kiln index " + db + " " + field + "' (add --each to index each element"
          + " of an array), then query it; 'kiln indexes " + db + "' lists the indexes", k);
    }
  }

  @Command(name = "compact", description = {"Compact the CarLog into one CAR (a major compaction).",
      "With --minor, merge only the CARs appended since the last compaction, keeping the older compacted CARs."})
  static final class Compact extends DatabaseCommand {
    @Option(names = "--minor", description = "a minor compaction (a major one when nothing was compacted before)")
    boolean minor;

    @Override
    CompletionStage<?> call(Database database) {
      System.err.println((minor ? "minor" : "major") + " compaction of " + db + " …");
      return database.compact(minor ? DatabaseProtocol.CompactionKind.MINOR : DatabaseProtocol.CompactionKind.MAJOR);
    }

    @Override
    Object remote(Remote r) {
      System.err.println((minor ? "minor" : "major") + " compaction of " + db + " …");
      return r.server().post(r.path("/compact"), minor ? Map.of("minor", "true") : Map.of(), null);
    }
  }

  @Command(name = "stats", description = {"CarLog length, CAR files and bytes, documents, generation, compactions",
      "(major and minor), live bytes as of the last compaction and the bytes of the compacted CARs."})
  static final class Stats extends DatabaseCommand {
    @Override
    CompletionStage<?> call(Database database) {
      return database.stats();
    }

    @Override
    Object remote(Remote r) {
      return r.server().get(r.path("/stats"), Map.of());
    }
  }

}
