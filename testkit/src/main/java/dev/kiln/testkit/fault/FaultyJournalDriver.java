package dev.kiln.testkit.fault;

import dev.kiln.engine.persist.KilnH2Driver;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A journal that fails on a schedule: Kiln's H2 driver ({@link KilnH2Driver}), except that while a
 * fault is {@link #failWrites armed}, statements that write (INSERT, UPDATE, DELETE, MERGE) throw an
 * {@link SQLException} before they reach H2, as a full disk or a broken connection would. Reads are
 * never failed, so a database can always replay its journal.
 *
 * <p>Chosen by configuration, no engine change; the faults belong to one data directory, so two
 * tests (or two Kilns) with their own directories never share a schedule:
 * <pre>{@code
 * FaultyJournalDriver.Faults faults = FaultyJournalDriver.faults(dir);
 * TestKiln.start(dir, FaultyJournalDriver.settings());
 * faults.failWrites(seed, 0.3);   // about 30% of this journal's writes fail, by seed
 * faults.heal();
 * }</pre>
 * The driver is found by class name, so it looks a connection's faults up by its URL (which names
 * the data directory); a journal whose directory has no {@link Faults} never fails.
 */
public final class FaultyJournalDriver extends KilnH2Driver {
  /** The setting naming the journal's JDBC driver. */
  public static final String SETTING = "kiln.journal.driver";

  /** Faults by data directory (absolute, normalized). */
  private static final Map<String, Faults> BY_DIR = new ConcurrentHashMap<>();
  /** For connections to a journal nobody armed. */
  private static final Faults NONE = new Faults();

  static {
    try {
      DriverManager.registerDriver(new FaultyJournalDriver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The settings that make Kiln's journal go through this driver. */
  public static Map<String, Object> settings() {
    return Map.of(SETTING, FaultyJournalDriver.class.getName());
  }

  /** The faults of the journal under {@code dataDir}: the same object for the same directory. */
  public static Faults faults(Path dataDir) {
    return BY_DIR.computeIfAbsent(dataDir.toAbsolutePath().normalize().toString(), k -> new Faults());
  }

  private static Faults faultsOf(String url) {
    Faults found = NONE;
    int longest = -1;
    for (Map.Entry<String, Faults> e : BY_DIR.entrySet()) {
      if (url.contains(e.getKey() + "/") && e.getKey().length() > longest) {
        found = e.getValue();
        longest = e.getKey().length();
      }
    }
    return found;
  }

  /** The fault schedule of one journal, and what it did. */
  public static final class Faults {
    private SplittableRandom schedule; // guarded by this
    private double rate; // guarded by this
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * From now on each journal write fails with probability {@code failureRate}, drawn from a random
     * sequence seeded with {@code seed} (1.0: every write fails).
     */
    public synchronized void failWrites(long seed, double failureRate) {
      if (failureRate < 0 || failureRate > 1) {
        throw new IllegalArgumentException("failure rate must be within 0..1, got " + failureRate);
      }
      schedule = new SplittableRandom(seed);
      rate = failureRate;
    }

    /** Journal writes succeed again. */
    public synchronized void heal() {
      schedule = null;
      rate = 0;
    }

    /** Write statements seen (failed ones included). */
    public long writes() {
      return writes.get();
    }

    /** Write statements failed. */
    public long failedWrites() {
      return failed.get();
    }

    private void maybeFail(String sql) throws SQLException {
      if (sql == null || !isWrite(sql)) {
        return;
      }
      long n = writes.incrementAndGet();
      boolean fail;
      synchronized (this) {
        fail = schedule != null && schedule.nextDouble() < rate;
      }
      if (fail) {
        failed.incrementAndGet();
        throw new SQLTransientConnectionException("injected journal fault: write #" + n + " refused (" + abbreviate(sql) + ")");
      }
    }
  }

  private static boolean isWrite(String sql) {
    String s = sql.stripLeading().toUpperCase(Locale.ROOT);
    return s.startsWith("INSERT") || s.startsWith("UPDATE") || s.startsWith("DELETE") || s.startsWith("MERGE");
  }

  private static String abbreviate(String sql) {
    String s = sql.strip().replaceAll("\\s+", " ");
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  // ------------------------------------------------------------------ the wrapping

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    Connection c = super.connect(url, info);
    return c == null ? null : wrap(Connection.class, c, new ConnectionHandler(c, faultsOf(url)));
  }

  @SuppressWarnings("unchecked")
  private static <T> T wrap(Class<T> type, Object target, InvocationHandler handler) {
    return (T) Proxy.newProxyInstance(FaultyJournalDriver.class.getClassLoader(), new Class<?>[] {type}, handler);
  }

  private static Object call(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** Hands out statements that check the schedule before they run. */
  private record ConnectionHandler(Connection c, Faults faults) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      Object result = call(c, m, args);
      if (m.getName().equals("prepareStatement") && result instanceof PreparedStatement p) {
        return wrap(PreparedStatement.class, p, new StatementHandler(p, (String) args[0], faults));
      }
      if (m.getName().equals("createStatement") && result instanceof Statement s) {
        return wrap(Statement.class, s, new StatementHandler(s, null, faults));
      }
      return result;
    }
  }

  private record StatementHandler(Statement s, String preparedSql, Faults faults) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      if (m.getName().startsWith("execute")) {
        faults.maybeFail(args != null && args.length > 0 && args[0] instanceof String sql ? sql : preparedSql);
      }
      return call(s, m, args);
    }
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }
}
