package dev.kiln.engine.persist;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The H2 JDBC driver with Kiln's {@code fsync:} file system registered first.
 *
 * <p>Kiln's defaults name this class as the journal's JDBC driver so that a URL such as
 * {@code jdbc:h2:fsync:/data/journal/kiln} works however the connection pool gets opened: H2 would
 * otherwise read an unknown prefix as part of a plain file name. Not final, so a test driver can
 * wrap its connections (testkit's {@code FaultyJournalDriver}).
 */
public class KilnH2Driver implements Driver {
  static {
    FsyncFileSystem.register();
    // Registered like any JDBC driver, so connection pools find it in DriverManager by class name.
    try {
      DriverManager.registerDriver(new KilnH2Driver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Driver h2 = new org.h2.Driver();

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    return h2.connect(url, info);
  }

  @Override
  public boolean acceptsURL(String url) throws SQLException {
    return h2.acceptsURL(url);
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
    return h2.getPropertyInfo(url, info);
  }

  @Override
  public int getMajorVersion() {
    return h2.getMajorVersion();
  }

  @Override
  public int getMinorVersion() {
    return h2.getMinorVersion();
  }

  @Override
  public boolean jdbcCompliant() {
    return h2.jdbcCompliant();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return h2.getParentLogger();
  }
}
