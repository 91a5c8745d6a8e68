package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
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

/**
 * Gets Kiln's embedded journal ready before any of Kiln's persistent actors starts: creates its
 * schema when a table is missing and checks that the journal and snapshot tables can be read from a
 * database that is open for writing.
 *
 * <p>Call {@link #prepare} (or {@link #prepareAsync}) once per {@code ActorSystem}, before spawning
 * an {@code EventSourcedBehavior} on {@link KilnPersistence}'s plugins. Both are idempotent: on a
 * journal that already has its schema they create nothing and change no data. When {@code
 * kiln.journal.plugin-id} names another plugin than Kiln's embedded one (the persistence testkit's
 * in-memory journal, say, or an application's own database) its schema is its owner's business and
 * they succeed at once. When the journal cannot be used they fail with a {@link
 * JournalUnavailableException} that names the JDBC URL, instead of leaving persistent actors to fail
 * one by one at recovery.
 */
public final class Journal {
  /** The JDBC plugin's H2 schema, shipped in its jar; every statement is made idempotent before it runs. */
  private static final String SCHEMA_SCRIPT = "schema/h2/h2-create-schema.sql";
  /** The plugin's PostgreSQL schema; its indexes have no IF NOT EXISTS and two are built CONCURRENTLY. */
  private static final String POSTGRES_SCHEMA_SCRIPT = "schema/postgres/postgres-create-schema.sql";
  /** Key of the transaction-scoped advisory lock that keeps nodes starting at once from racing on DDL. */
  public static final long POSTGRES_SCHEMA_LOCK = 0x6b696c6e_4a4e4cL;

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
    Config config = system.classicSystem().settings().config();
    KilnPersistence persistence = KilnPersistence.from(config);
    if (!persistence.embeddedJournal()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    boolean postgres = persistence.storage().postgres();
    if (!postgres) {
      // The default URL names the fsync: file system; H2 must know it before anything connects.
      FsyncFileSystem.register();
    }
    Config merged = persistence.journalPluginConfig().orElseThrow().withFallback(config);
    List<Config> tables = new ArrayList<>();
    tables.add(merged.getConfig(persistence.journalPluginId() + ".tables.event_journal"));
    if (persistence.snapshotPluginConfig().isPresent()) {
      tables.add(persistence.snapshotPluginConfig().get().withFallback(config)
          .getConfig(persistence.snapshotPluginId() + ".tables.snapshot"));
    }
    Config db = merged.getConfig(persistence.journalPluginId() + ".slick.db");
    Executor blocking = system.classicSystem().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
    String url = persistence.url();
    return CompletableFuture.supplyAsync(() -> {
      try (Connection connection = connect(persistence, db)) {
        if (connection.getMetaData().isReadOnly()) {
          throw new JournalUnavailableException(url, "the database opened read-only, so no event could be persisted", null);
        }
        TableCheck before = checkTables(connection, tables);
        if (before.allReadable()) {
          return Done.getInstance();
        }
        if (postgres && !persistence.storage().createSchema()) {
          throw new JournalUnavailableException(url, "table(s) " + before.unreadable() + " are missing and "
              + "kiln.postgres.create-schema is off: create them (the plugin's " + POSTGRES_SCHEMA_SCRIPT + ")", null);
        }
        if (postgres) {
          createPostgresSchema(connection);
        } else {
          createSchema(connection);
        }
        // Only reading the tables tells whether the script made what the plugins expect.
        TableCheck after = checkTables(connection, tables);
        if (!after.allReadable()) {
          throw new JournalUnavailableException(
              url, "table(s) " + after.unreadable() + " cannot be read after creating the schema", after.firstError());
        }
        return Done.getInstance();
      } catch (SQLException e) {
        throw new JournalUnavailableException(url, "cannot open or create the journal", e);
      }
    }, blocking).exceptionally(failure -> {
      throw unavailable(url, failure);
    });
  }

  /** The JDBC URL of Kiln's embedded journal, or a note naming the plugin Kiln uses instead. */
  public static String url(Config config) {
    KilnPersistence persistence = KilnPersistence.from(config);
    return persistence.embeddedJournal() ? persistence.url() : "(journal plugin " + persistence.journalPluginId() + ")";
  }

  /** A connection of its own through the configured driver, closed again before the plugins open their pools. */
  private static Connection connect(KilnPersistence persistence, Config db) throws SQLException {
    Driver driver;
    try {
      driver = (Driver) Class.forName(persistence.driver()).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new SQLException("JDBC driver " + persistence.driver() + " cannot be loaded", e);
    }
    Properties credentials = new Properties();
    credentials.setProperty("user", db.getString("user"));
    credentials.setProperty("password", db.getString("password"));
    Connection connection = driver.connect(persistence.url(), credentials);
    if (connection == null) {
      throw new SQLException("JDBC driver " + persistence.driver() + " does not accept " + persistence.url());
    }
    return connection;
  }

  private static void createSchema(Connection connection) throws SQLException {
    String script = script(SCHEMA_SCRIPT);
    try (Statement statement = connection.createStatement()) {
      for (String sql : script.split(";")) {
        if (!sql.isBlank()) {
          // The script's one index without IF NOT EXISTS would fail on a half-created schema.
          statement.execute(sql.replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \""));
        }
      }
    }
  }

  /**
   * The plugin's PostgreSQL script made re-runnable: IF NOT EXISTS on every index, and no CONCURRENTLY
   * (those two indexes are on the durable-state table, which Kiln never writes, so building them
   * plainly blocks nothing), so that the whole script runs as one transaction. A transaction-scoped
   * advisory lock serializes nodes that start at once: the second finds the tables made.
   */
  private static void createPostgresSchema(Connection connection) throws SQLException {
    String script = script(POSTGRES_SCHEMA_SCRIPT);
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_xact_lock(" + POSTGRES_SCHEMA_LOCK + ")");
      for (String sql : script.split(";")) {
        if (!sql.isBlank()) {
          statement.execute(sql
              .replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ")
              .replace("CREATE INDEX CONCURRENTLY ", "CREATE INDEX IF NOT EXISTS "));
        }
      }
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  private static String script(String resource) throws SQLException {
    try (InputStream in = Journal.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new SQLException(resource + " is missing from the classpath (pekko-persistence-jdbc)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SQLException("cannot read " + resource, e);
    }
  }

  /** Which journal tables cannot be read, and the first reason why. */
  private record TableCheck(List<String> unreadable, SQLException firstError) {
    boolean allReadable() {
      return unreadable.isEmpty();
    }
  }

  /** Reads each table, asking the catalogue first: a query on a missing table is an error H2 would log. */
  private static TableCheck checkTables(Connection connection, List<Config> tables) throws SQLException {
    List<String> unreadable = new ArrayList<>();
    SQLException firstError = null;
    for (Config table : tables) {
      String name = qualifiedName(connection, table);
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
