package dev.kiln.engine.actor;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarReader;
import dev.kiln.engine.car.PostgresCarStorage;
import dev.kiln.engine.car.PostgresCarStore;
import dev.kiln.engine.car.PostgresTestDatabase;
import dev.kiln.engine.commit.FormatMigration;
import dev.kiln.engine.config.StorageSettings;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The format migration on open, on PostgreSQL: its second pass reads the old trees from the store while
 * the new CAR is made, so the CAR's write transaction must not hold a connection across that pass. With a
 * pool of one connection, a transaction held across it leaves the pass's reads waiting for the
 * connection the write holds, and the migration fails; spooled first, the write takes the connection
 * only to copy the finished CAR in.
 */
@Tag(PostgresTestDatabase.TAG)
class PostgresMigrationTest {
  @Test
  @Timeout(120)
  void theSecondPassReadsTheStoreWhileTheOnlyConnectionIsFree() throws Exception {
    String db = PostgresTestDatabase.uniqueName("migrate");
    try (HikariDataSource pool = PostgresTestDatabase.pool(PostgresTestDatabase.url(), 1)) {
      PostgresCarStorage storage = PostgresCarStorage.over(pool, PostgresTestDatabase.url(), StorageSettings.MIN_CHUNK_BYTES);
      storage.createSchema();
      try (PostgresCarStore store = storage.store(db, storage.claim(db, "migration test"))) {
        // the format 1 fixture's CARs, stored in PostgreSQL as they are
        List<CarIndex> log = new ArrayList<>();
        Block head = null;
        long headSeq = -1;
        for (Path file : fixtureCars()) {
          List<Block> blocks = new ArrayList<>();
          List<Cid> roots = new ArrayList<>();
          try (InputStream in = Files.newInputStream(file)) {
            CarReader.read(file.toString(), in, new dev.kiln.engine.car.CarVisitor() {
              @Override
              public void header(List<Cid> r) {
                roots.addAll(r);
              }

              @Override
              public void block(Cid cid, byte[] bytes, long offset) {
                blocks.add(Block.verified(cid, bytes, file.toString()));
              }
            });
          }
          log.add(store.write(roots, blocks));
          for (Block b : blocks) {
            if (roots.contains(b.cid()) && FormatMigration.isFormat1(b)
                && (Long) ((Map<?, ?>) b.decode()).get("seq") > headSeq) {
              head = b;
              headSeq = (Long) ((Map<?, ?>) b.decode()).get("seq");
            }
          }
        }
        assertThat(head).as("a format 1 head among the fixture's CARs").isNotNull();

        // as Opening reads them: no block kept between the passes, so the second pass reads PostgreSQL again
        CarLogBlocks blocks = new CarLogBlocks(store, new Snapshot(0, log, head.cid(), null), InvariantKit.noCache(), false);
        FormatMigration.Migrated migrated = HeadMigration.of(blocks, head);
        assertThat(migrated).isNotNull();
        Internal.Migration migration = HeadMigration.write(store, migrated);

        assertThat(migration.commit()).isEqualTo(migrated.commit().cid());
        CarIndex written = store.check(migration.car().car());
        assertThat(written.roots()).containsExactly(migrated.commit().cid());
        assertThat(written.contains(migrated.roots().docs())).isTrue();
        assertThat(store.list()).contains(migration.car().car());
      }
    }
  }

  /** A spool file a crash left (the CAR's rows need nothing: its transaction never committed) goes at the next open. */
  @Test
  void aSpoolFileACrashLeftIsRemovedAtTheNextOpenAndNoOtherDatabases() throws Exception {
    String db = PostgresTestDatabase.uniqueName("spool");
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path left = Files.createTempFile(tmp, db + "+", ".car-spool");
    Path other = Files.createTempFile(tmp, db + ".other+", ".car-spool");
    try (HikariDataSource pool = PostgresTestDatabase.pool(PostgresTestDatabase.url(), 1)) {
      PostgresCarStorage storage = PostgresCarStorage.over(pool, PostgresTestDatabase.url(), StorageSettings.MIN_CHUNK_BYTES);
      try (PostgresCarStore store = storage.unfencedStore(db)) {
        assertThat(store.removeTempFiles()).isEqualTo(1);
      }
      assertThat(left).doesNotExist();
      assertThat(other).as("database " + db + ".other's").exists();
    } finally {
      Files.deleteIfExists(left);
      Files.deleteIfExists(other);
    }
  }

  private static List<Path> fixtureCars() throws Exception {
    Path cars = Path.of(PostgresMigrationTest.class.getResource("/format1/ops.ndjson").toURI()).getParent()
        .resolve("data").resolve("legacy").resolve("cars");
    try (Stream<Path> files = Files.list(cars)) {
      return files.filter(p -> p.toString().endsWith(".car")).sorted().toList();
    }
  }
}
