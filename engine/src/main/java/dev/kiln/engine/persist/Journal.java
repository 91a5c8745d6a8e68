package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
 * it is absent and checks that the journal and snapshot tables can be read and written.
 *
 * <p>Call {@link #prepare} (or {@link #prepareAsync}) once per {@code ActorSystem}, before spawning
 * an {@code EventSourcedBehavior}. Both are idempotent: on a journal that already has its schema
 * they create nothing and change no data. When the journal cannot be used they fail with a
 * {@link JournalUnavailableException} that names the JDBC URL, instead of leaving persistent actors
 * to fail one by one at recovery.
 */
public final class Journal {
  private static final String JOURNAL_PLUGIN = "pekko.persistence.journal.plugin";
  private static final String SNAPSHOT_PLUGIN = "pekko.persistence.snapshot-store.plugin";
  private static final String SHARED_DATABASES = "pekko-persistence-jdbc.shared-databases";

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
    Executor blocking = system.classicSystem().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
    CompletionStage<Done> schema;
    try {
      schema = SchemaUtils.createIfNotExists(journalPlugin, system);
    } catch (RuntimeException e) {
      schema = CompletableFuture.failedFuture(e);
    }
    return schema
        // The schema script ignores statements that fail, so read the tables to know it worked.
        .thenApplyAsync(done -> verify(system, config, url), blocking)
        .exceptionally(failure -> {
          throw unavailable(url, failure);
        });
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

  private static Done verify(ClassicActorSystemProvider system, Config config, String url) {
    String journalPlugin = config.getString(JOURNAL_PLUGIN);
    SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(system);
    SlickDatabase database = slick.database(config.getConfig(journalPlugin));
    try (Connection connection = database.database().source().createConnection()) {
      DatabaseMetaData meta = connection.getMetaData();
      if (meta.isReadOnly()) {
        throw new JournalUnavailableException(url, "the database opened read-only, so no event could be persisted", null);
      }
      checkReadable(connection, url, tableConfig(config, journalPlugin, "event_journal"));
      String snapshotPlugin = config.hasPath(SNAPSHOT_PLUGIN) ? config.getString(SNAPSHOT_PLUGIN) : "";
      if (!snapshotPlugin.isEmpty() && sameDatabase(config, journalPlugin, snapshotPlugin)) {
        checkReadable(connection, url, tableConfig(config, snapshotPlugin, "snapshot"));
      }
    } catch (SQLException e) {
      throw new JournalUnavailableException(url, "cannot connect", e);
    } finally {
      // A database of its own (not shared) was opened just for this check.
      if (database.allowShutdown()) {
        database.database().close();
      }
    }
    return Done.getInstance();
  }

  private static void checkReadable(Connection connection, String url, Config table) {
    String quote = "\"";
    try {
      quote = connection.getMetaData().getIdentifierQuoteString().trim();
    } catch (SQLException ignored) {
      // Fall back to the SQL standard quote.
    }
    String schema = table.hasPath("schemaName") ? table.getString("schemaName") : "";
    String name = table.getString("tableName");
    String qualified = (schema.isEmpty() ? "" : quote + schema + quote + ".") + quote + name + quote;
    try (Statement statement = connection.createStatement()) {
      statement.executeQuery("SELECT COUNT(*) FROM " + qualified + " WHERE 1 = 0").close();
    } catch (SQLException e) {
      throw new JournalUnavailableException(url, "table " + qualified + " cannot be read; the schema was not created", e);
    }
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
