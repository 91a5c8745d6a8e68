package dev.kiln.testkit.node;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A PostgreSQL database a run owns, emptied first so it cannot depend on what an earlier run or build left. */
public final class PostgresTables {
  private PostgresTables() {}

  /** Drops every table of the public schema (journal, snapshots, CARs, claims); Kiln creates what it needs. */
  public static void dropAll(String jdbcUrl, String user, String password) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet r = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
        while (r.next()) {
          tables.add(r.getString(1));
        }
      }
      for (String table : tables) {
        s.execute("DROP TABLE IF EXISTS public.\"" + table.replace("\"", "\"\"") + "\" CASCADE");
      }
    }
  }
}
