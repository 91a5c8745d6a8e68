package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.dispatch.Dispatchers;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * Gets the persistence journal ready before any persistent actor starts: creates its schema when
 * a table is missing and checks that the journal and snapshot tables can be read from a database
 * that is open for writing.
 *
 * <p>Call {@link #prepare} (or {@link #prepareAsync}) once per {@code ActorSystem}, before spawning
 * an {@code EventSourcedBehavior}. Both are idempotent: on a journal that already has its schema
 * they create nothing and change no data. When the configured journal plugin is not the JDBC one
 * (the persistence testkit's in-memory journal, say) there is nothing to prepare and they succeed. When the journal cannot be used they fail with a
 * {@link JournalUnavailableException} that names the JDBC URL, instead of leaving persistent actors
 * to fail one by one at recovery.
 */
public final class Journal {
  private static final String JOURNAL_PLUGIN = "pekko.persistence.journal.plugin";
  private static final String SNAPSHOT_PLUGIN = "pekko.persistence.snapshot-store.plugin";
  private static final String SHARED_DATABASES = "pekko-persistence-jdbc.shared-databases";
  private static final String JDBC_JOURNAL_CLASS = "org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal";

  private Journal() {}

  /**
   * Creates the journal schema if absent and verifies the journal, waiting at most {@code timeout}.
   *
   * @throws JournalUnavailableException when the journal cannot be opened, created or read in time
   */
  public static void prepare(ClassicActorSystemProvider system, Duration timeout) {
    String url = url(system.classicSystem().settings().config());
    try {
      prepareAsync(system).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw unavailable(url, e.getCause());
    } catch (TimeoutException e) {
      throw new JournalUnavailableException(url, "no answer within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JournalUnavailableException(url, "interrupted while preparing the journal", e);
    }
  }

  /**
   * Like {@link #prepare} without blocking the caller; the stage fails with a {@link
   * JournalUnavailableException}.
   */
  public static CompletionStage<Done> prepareAsync(ClassicActorSystemProvider system) {
    // The default URL names the fsync: file system; H2 must know it before the pool opens.
    FsyncFileSystem.register();
    Config config = system.classicSystem().settings().config();
    String url = url(config);
    String journalPlugin = config.getString(JOURNAL_PLUGIN);
    if (!usesJdbcJournal(config, journalPlugin)) {
      // Another journal (for instance the persistence testkit's, in tests) has no schema to create.
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    Executor blocking = system.classicSystem().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
    // Run the schema script only when a table is missing: on an existing schema its CREATE INDEX
    // statements fail (and H2 logs each failure), although the script ignores those failures.
    return CompletableFuture.supplyAsync(() -> checkTables(system, config, url), blocking)
        .thenCompose(before -> {
          if (before.allReadable()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          return createSchema(journalPlugin, system).thenApplyAsync(done -> {
            // The script swallows failing statements, so only reading the tables tells if it worked.
            TableCheck after = checkTables(system, config, url);
            if (!after.allReadable()) {
              throw new JournalUnavailableException(
                  url, "table(s) " + after.unreadable() + " cannot be read after creating the schema", after.firstError());
            }
            return Done.getInstance();
          }, blocking);
        })
        .exceptionally(failure -> {
          throw unavailable(url, failure);
        });
  }

  private static boolean usesJdbcJournal(Config config, String journalPlugin) {
    String classPath = journalPlugin + ".class";
    return !journalPlugin.isEmpty() && config.hasPath(classPath) && JDBC_JOURNAL_CLASS.equals(config.getString(classPath));
  }

  private static CompletionStage<Done> createSchema(String journalPlugin, ClassicActorSystemProvider system) {
    try {
      return SchemaUtils.createIfNotExists(journalPlugin, system);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The JDBC URL of the configured journal plugin's database, or a note saying it has none. */
  public static String url(Config config) {
    if (!config.hasPath(JOURNAL_PLUGIN) || config.getString(JOURNAL_PLUGIN).isEmpty()) {
      return "(no journal plugin configured at " + JOURNAL_PLUGIN + ")";
    }
    Config db = databaseConfig(config, config.getString(JOURNAL_PLUGIN));
    if (db != null && db.hasPath("url")) {
      return db.getString("url");
    }
    return "(journal plugin " + config.getString(JOURNAL_PLUGIN) + " has no JDBC url)";
  }

  /** Which journal tables cannot be read, and the first reason why. */
  private record TableCheck(List<String> unreadable, SQLException firstError) {
    boolean allReadable() {
      return unreadable.isEmpty();
    }
  }

  /** Connects (failing if the database cannot be opened or is read-only) and reads each table. */
  private static TableCheck checkTables(ClassicActorSystemProvider system, Config config, String url) {
    String journalPlugin = config.getString(JOURNAL_PLUGIN);
    SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(system);
    SlickDatabase database = slick.database(config.getConfig(journalPlugin));
    try (Connection connection = database.database().source().createConnection()) {
      if (connection.getMetaData().isReadOnly()) {
        throw new JournalUnavailableException(url, "the database opened read-only, so no event could be persisted", null);
      }
      List<Config> tables = new ArrayList<>();
      tables.add(tableConfig(config, journalPlugin, "event_journal"));
      String snapshotPlugin = config.hasPath(SNAPSHOT_PLUGIN) ? config.getString(SNAPSHOT_PLUGIN) : "";
      if (!snapshotPlugin.isEmpty() && sameDatabase(config, journalPlugin, snapshotPlugin)) {
        tables.add(tableConfig(config, snapshotPlugin, "snapshot"));
      }
      List<String> unreadable = new ArrayList<>();
      SQLException firstError = null;
      for (Config table : tables) {
        String name = qualifiedName(connection, table);
        // Ask the catalogue first: a query on a missing table is an error H2 would log.
        if (!exists(connection, table)) {
          unreadable.add(name);
          continue;
        }
        try (Statement statement = connection.createStatement()) {
          statement.executeQuery("SELECT COUNT(*) FROM " + name + " WHERE 1 = 0").close();
        } catch (SQLException e) {
          unreadable.add(name);
          firstError = firstError == null ? e : firstError;
        }
      }
      return new TableCheck(unreadable, firstError);
    } catch (SQLException e) {
      throw new JournalUnavailableException(url, "cannot connect", e);
    } finally {
      // A database of its own (not shared) was opened just for this check.
      if (database.allowShutdown()) {
        database.database().close();
      }
    }
  }

  private static boolean exists(Connection connection, Config table) throws SQLException {
    String schema = table.hasPath("schemaName") ? table.getString("schemaName") : "";
    try (ResultSet found = connection.getMetaData().getTables(
        null, schema.isEmpty() ? null : schema, table.getString("tableName"), null)) {
      return found.next();
    }
  }

  private static String qualifiedName(Connection connection, Config table) {
    String quote = "\"";
    try {
      quote = connection.getMetaData().getIdentifierQuoteString().trim();
    } catch (SQLException ignored) {
      // Fall back to the SQL standard quote.
    }
    String schema = table.hasPath("schemaName") ? table.getString("schemaName") : "";
    String name = table.getString("tableName");
    return (schema.isEmpty() ? "" : quote + schema + quote + ".") + quote + name + quote;
  }

  private static Config tableConfig(Config config, String plugin, String table) {
    return config.getConfig(plugin + ".tables." + table);
  }

  private static boolean sameDatabase(Config config, String journalPlugin, String snapshotPlugin) {
    String journalShared = sharedDbName(config, journalPlugin);
    return !journalShared.isEmpty() && journalShared.equals(sharedDbName(config, snapshotPlugin));
  }

  private static String sharedDbName(Config config, String plugin) {
    String path = plugin + ".use-shared-db";
    if (!config.hasPath(path)) {
      return "";
    }
    return config.getString(path).trim();
  }

  /** The Slick {@code db} block a plugin uses: its shared database's, or its own. */
  private static Config databaseConfig(Config config, String plugin) {
    String shared = sharedDbName(config, plugin);
    String path = shared.isEmpty() ? plugin + ".slick.db" : SHARED_DATABASES + "." + shared + ".db";
    return config.hasPath(path) ? config.getConfig(path) : null;
  }

  private static JournalUnavailableException unavailable(String url, Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof JournalUnavailableException) {
      return (JournalUnavailableException) cause;
    }
    return new JournalUnavailableException(url, "cannot open or create the journal", cause);
  }
}
