package dev.kiln.cluster;

import static dev.kiln.cluster.ShardedDatabasesTest.doc;
import static dev.kiln.cluster.ShardedDatabasesTest.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a cluster the facade sends a request again when an attempt had no answer within
 * {@code kiln.attempt-timeout}, a write with the same request id: a lost first attempt is answered by
 * the next one, and a first attempt that arrives after the second still commits once. The loss is
 * injected between the facade and the shard region ({@link LossyHosting}); the database is the real
 * sharded entity on another node or this one.
 */
class ResendTest {
  @TempDir Path dir;
  InJvmCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static final String LOSSY = "kiln.hosting = \"dev.kiln.cluster.LossyHosting\"\n"
      + "kiln.attempt-timeout = 300ms\n";

  @Test
  void aLostFirstAttemptIsAnsweredByTheNextOneAndCommitsOnce() throws Exception {
    cluster = new InJvmCluster(dir, LOSSY + "kiln.test.lossy = drop\n");
    cluster.start();
    cluster.start();
    for (int n = 0; n < 2; n++) {
      Database db = Kiln.get(cluster.nodes.get(n)).open("lost-" + n);
      DatabaseProtocol.WriteResult put = join(db.put(doc("a", 1)));
      assertThat(join(db.get("a")).get("v").asInt()).as("a read sent again").isEqualTo(1);
      DatabaseProtocol.BulkResult bulk = join(db.putAll(List.of(doc("b", 1), doc("c", 1))));
      join(db.delete("c"));
      DatabaseProtocol.DatabaseStats stats = join(db.stats());
      assertThat(stats.lastSeq()).as("one commit per write").isEqualTo(4);
      assertThat(stats.documents()).isEqualTo(2);
      assertThat(put.seq()).isEqualTo(1);
      assertThat(bulk.results()).hasSize(2);
    }
  }

  @Test
  void aFirstAttemptArrivingAfterTheSecondCommitsOnce() throws Exception {
    cluster = new InJvmCluster(dir, LOSSY + "kiln.test.lossy = late\n");
    cluster.start();
    cluster.start();
    for (int n = 0; n < 2; n++) {
      Database db = Kiln.get(cluster.nodes.get(n)).open("late-" + n);
      DatabaseProtocol.WriteResult first = join(db.put(doc("a", 1)));
      DatabaseProtocol.WriteResult second = join(db.put(doc("a", 2)));
      DatabaseProtocol.BulkResult bulk = join(db.putAll(List.of(doc("b", 1), doc("c", 1))));
      DatabaseProtocol.DatabaseStats stats = join(db.stats());
      // each write reached the database twice (the resend, then the late first attempt): one commit each
      assertThat(stats.lastSeq()).as("one commit per write").isEqualTo(4);
      assertThat(List.of(first.seq(), second.seq(), bulk.results().get(1).seq())).containsExactly(1L, 2L, 4L);
      assertThat(join(db.changes(0, 0)).changes()).hasSize(3);
    }
  }
}
