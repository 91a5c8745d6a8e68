package dev.kiln.engine.persist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2 with Kiln's journal URL finds every committed row in the file as a killed process leaves it.
 *
 * <p>With {@code WRITE_DELAY=0} H2 has written a commit to the file before {@code commit()}
 * returns, and a SIGKILL leaves the file exactly as written (the kernel keeps what the process
 * wrote). So a copy of the file taken right after a commit is the image a crash at that instant
 * leaves, and opening the copy runs H2's crash recovery on it. Checking that after each of many
 * commits is a fast, deterministic companion to {@link KillNineDurabilityTest}; it caught H2
 * 2.5.252, whose recovery drops the newest commit when that commit's chunk went into reused space.
 * {@code RETENTION_TIME=0} makes H2 reuse space from the start, as a journal does after 45 s.
 */
class H2CrashImageTest {
  private static final int COMMITS = 40;

  @TempDir Path temp;

  @Test
  void aCrashImageTakenAfterAnyCommitRecoversThatCommit() throws Exception {
    Path dataDir = temp.resolve("data");
    // Kiln's own journal URL, with space reuse from the first write.
    String url = Journal.url(JournalTest.kilnConfig(dataDir)) + ";RETENTION_TIME=0";
    Path live = dataDir.resolve("journal/kiln");
    FsyncFileSystem.register();
    try (Connection connection = DriverManager.getConnection(url, "sa", "")) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE event(n BIGINT PRIMARY KEY, payload VARBINARY(400))");
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO event VALUES (?, ?)")) {
        for (long n = 1; n <= COMMITS; n++) {
          insert.setLong(1, n);
          insert.setBytes(2, new byte[120 + (int) (n % 200)]);
          insert.executeUpdate();
          // Auto-commit: the row is committed, so the file must already hold it.
          assertThat(highestIn(crashImageOf(live, n))).as("rows recovered from the image taken after commit %d", n).isEqualTo(n);
        }
      }
    }
  }

  private Path crashImageOf(Path live, long n) throws Exception {
    Path image = temp.resolve("image-" + n);
    Files.copy(Path.of(live + ".mv.db"), Path.of(image + ".mv.db"), StandardCopyOption.REPLACE_EXISTING);
    return image;
  }

  private static long highestIn(Path image) throws SQLException {
    try (Connection connection = DriverManager.getConnection("jdbc:h2:file:" + image, "sa", "");
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT COALESCE(MAX(n), 0), COUNT(*) FROM event")) {
      rows.next();
      assertThat(rows.getLong(2)).as("no gaps").isEqualTo(rows.getLong(1));
      return rows.getLong(1);
    }
  }
}
