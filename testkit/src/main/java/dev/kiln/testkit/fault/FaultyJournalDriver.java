package dev.kiln.testkit.fault;

import dev.kiln.engine.persist.KilnH2Driver;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * A journal that fails on a schedule: Kiln's H2 driver ({@link KilnH2Driver}), except that while a
 * fault is {@link #failWrites armed}, statements that write (INSERT, UPDATE, DELETE, MERGE) throw an
 * {@link SQLException} before they reach H2, as a full disk or a broken connection would. Reads are
 * never failed, so a database can always replay its journal.
 *
 * <p>Chosen by configuration, no engine change:
 * <pre>{@code
 * TestKiln.start(dir, Map.of(FaultyJournalDriver.SETTING, FaultyJournalDriver.class.getName()));
 * FaultyJournalDriver.failWrites(seed, 0.3);   // about 30% of journal writes fail, by seed
 * FaultyJournalDriver.heal();
 * }</pre>
 * The schedule is one for the whole JVM (the driver is found by class name, so it has nowhere else
 * to live); tests using it must not run at the same time as each other.
 */
public final class FaultyJournalDriver extends KilnH2Driver {
  /** The setting naming the journal's JDBC driver. */
  public static final String SETTING = "kiln.journal.driver";

  private static final Object LOCK = new Object();
  private static SplittableRandom schedule;
  private static double rate;
  private static final AtomicLong writes = new AtomicLong();
  private static final AtomicLong failed = new AtomicLong();

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

  /**
   * From now on each journal write fails with probability {@code failureRate}, drawn from a random
   * sequence seeded with {@code seed} (1.0: every write fails).
   */
  public static void failWrites(long seed, double failureRate) {
    if (failureRate < 0 || failureRate > 1) {
      throw new IllegalArgumentException("failure rate must be within 0..1, got " + failureRate);
    }
    synchronized (LOCK) {
      schedule = new SplittableRandom(seed);
      rate = failureRate;
    }
  }

  /** Journal writes succeed again. */
  public static void heal() {
    synchronized (LOCK) {
      schedule = null;
      rate = 0;
    }
  }

  /** Write statements seen since the JVM started (failed ones included). */
  public static long writes() {
    return writes.get();
  }

  /** Write statements this driver failed since the JVM started. */
  public static long failedWrites() {
    return failed.get();
  }

  private static void maybeFail(String sql) throws SQLException {
    if (sql == null || !isWrite(sql)) {
      return;
    }
    long n = writes.incrementAndGet();
    boolean fail;
    synchronized (LOCK) {
      fail = schedule != null && schedule.nextDouble() < rate;
    }
    if (fail) {
      failed.incrementAndGet();
      throw new SQLTransientConnectionException("injected journal fault: write #" + n + " refused (" + abbreviate(sql) + ")");
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
    return c == null ? null : wrap(Connection.class, c, new ConnectionHandler(c));
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
  private record ConnectionHandler(Connection c) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      Object result = call(c, m, args);
      if (m.getName().equals("prepareStatement") && result instanceof PreparedStatement p) {
        return wrap(PreparedStatement.class, p, new StatementHandler(p, (String) args[0]));
      }
      if (m.getName().equals("createStatement") && result instanceof Statement s) {
        return wrap(Statement.class, s, new StatementHandler(s, null));
      }
      return result;
    }
  }

  private record StatementHandler(Statement s, String preparedSql) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      if (m.getName().startsWith("execute")) {
        maybeFail(args != null && args.length > 0 && args[0] instanceof String sql ? sql : preparedSql);
      }
      return call(s, m, args);
    }
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }
}
