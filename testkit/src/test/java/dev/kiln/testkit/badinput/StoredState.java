package dev.kiln.testkit.badinput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything a Kiln data directory stores, read while Kiln is closed: each file with a hash of its
 * bytes, and each journal and snapshot row. Two equal images mean nothing stored changed.
 */
record StoredState(Map<String, String> files, List<String> journalRows, List<String> snapshotRows) {

  static StoredState read(Path dataDir) {
    return new StoredState(files(dataDir), rows(dataDir, "SELECT \"persistence_id\", \"sequence_number\", \"event_ser_id\", "
        + "\"event_ser_manifest\", \"event_payload\" FROM \"event_journal\" ORDER BY \"ordering\""),
        rows(dataDir, "SELECT \"persistence_id\", \"sequence_number\", \"snapshot_payload\" FROM \"snapshot\" "
            + "ORDER BY \"persistence_id\", \"sequence_number\""));
  }

  /** Every file but the journal's own (H2 rewrites its file when it opens), relative path to SHA-256. */
  static Map<String, String> files(Path dataDir) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dataDir)) {
      for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        Path rel = dataDir.relativize(p);
        if (!rel.startsWith("journal")) {
          out.put(rel.toString(), sha256(Files.readAllBytes(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** A connection to the journal's H2 file (Kiln must be closed). */
  static Connection journal(Path dataDir) throws SQLException {
    return DriverManager.getConnection("jdbc:h2:" + dataDir.toAbsolutePath().resolve("journal").resolve("kiln"), "sa", "");
  }

  private static List<String> rows(Path dataDir, String sql) {
    List<String> out = new ArrayList<>();
    try (Connection c = journal(dataDir); PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
      int n = r.getMetaData().getColumnCount();
      while (r.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          Object v = r.getObject(i);
          if (v instanceof java.sql.Blob blob) {
            v = blob.getBytes(1, (int) blob.length());
          }
          row.append(v instanceof byte[] b ? sha256(b) : String.valueOf(v)).append('|');
        }
        out.add(row.toString());
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the journal of " + dataDir + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
