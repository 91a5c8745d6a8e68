package dev.kiln.engine.car;

import static dev.kiln.engine.car.CarFixtures.blocks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.config.StorageSettings;
import dev.kiln.protocol.Cid;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CarStore contract on PostgreSQL, with chunks of 1 KiB so that the contract's CARs span several
 * rows and its reads cross row boundaries; the store is fenced (claimed), as Kiln makes it.
 */
@Tag(PostgresTestDatabase.TAG)
class PostgresCarStoreTest extends CarStoreContract {
  static final int CHUNK = 1024;
  private static HikariDataSource pool;
  private static PostgresCarStorage storage;

  @BeforeAll
  static void connect() {
    pool = PostgresTestDatabase.pool(PostgresTestDatabase.url(), 8);
    storage = PostgresCarStorage.over(pool, PostgresTestDatabase.url(), CHUNK);
    storage.createSchema();
  }

  @AfterAll
  static void disconnect() {
    pool.close();
  }

  @Override
  protected CarStore newStore() {
    String db = PostgresTestDatabase.uniqueName("contract");
    return storage.store(db, storage.claim(db, "PostgresCarStoreTest"));
  }

  private String db() {
    return ((PostgresCarStore) store).db();
  }

  /** Flips bits of one stored byte in its chunk row, as a damaged table page would. */
  @Override
  protected void corrupt(Cid car, long offset, int xor) {
    int changed = PostgresTestDatabase.execute(pool, "UPDATE kiln_car_chunk k SET data = set_byte(k.data, ?,"
        + " get_byte(k.data, ?) # ?) FROM kiln_car c WHERE c.db = ? AND c.car = ? AND k.upload = c.upload AND k.seq = ?",
        (int) (offset % CHUNK), (int) (offset % CHUNK), xor, db(), car.toString(), (int) (offset / CHUNK));
    if (changed != 1) {
      throw new IllegalStateException("no chunk holds offset " + offset + " of " + car);
    }
  }

  /** Drops the chunks after {@code length} and cuts the one it falls in, as a lost tail would. */
  @Override
  protected void truncate(Cid car, long length) {
    PostgresTestDatabase.execute(pool, "DELETE FROM kiln_car_chunk k USING kiln_car c WHERE c.db = ? AND c.car = ?"
        + " AND k.upload = c.upload AND k.seq::bigint * ? >= ?", db(), car.toString(), CHUNK, length);
    PostgresTestDatabase.execute(pool, "UPDATE kiln_car_chunk k SET data = substring(k.data FROM 1 FOR ?)"
        + " FROM kiln_car c WHERE c.db = ? AND c.car = ? AND k.upload = c.upload AND k.seq = ?",
        (int) (length % CHUNK), db(), car.toString(), (int) (length / CHUNK));
  }

  @Override
  protected String fileOf(Cid car) {
    return ((PostgresCarStore) store).nameOf(car);
  }

  /** Blocks larger than a chunk between small ones, so block ranges start, end and lie inside chunk rows. */
  private static List<Block> mixed(long seed, int n) {
    Random random = new Random(seed);
    List<Block> out = new ArrayList<>(blocks(seed, n));
    for (int i = 0; i < n / 4; i++) {
      byte[] big = new byte[CHUNK + random.nextInt(3 * CHUNK)];
      random.nextBytes(big);
      out.add(i * 4, Block.raw(big));
    }
    return out;
  }

  private long query(String sql, Object... params) {
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  @Test
  void aCarOfManyChunksIsStoredInRowsOfAtMostOneChunkAndReadBackByRanges() {
    List<Block> blocks = mixed(41, 80);
    CarIndex index = store.write(List.of(blocks.get(1).cid()), blocks);

    long rows = query("SELECT count(*) FROM kiln_car_chunk k JOIN kiln_car c ON c.upload = k.upload"
        + " WHERE c.db = ? AND c.car = ?", db(), index.car().toString());
    long longest = query("SELECT max(length(k.data)) FROM kiln_car_chunk k JOIN kiln_car c ON c.upload = k.upload"
        + " WHERE c.db = ? AND c.car = ?", db(), index.car().toString());
    assertThat(rows).isEqualTo((index.byteSize() + CHUNK - 1) / CHUNK).isGreaterThan(40);
    assertThat(longest).isEqualTo(CHUNK);
    assertThat(store.size(index.car())).isEqualTo(index.byteSize());
    for (Block block : blocks) {
      assertThat(store.read(index.car(), block.cid(), index.find(block.cid()))).isEqualTo(block);
    }
    List<Cid> cids = CarFixtures.cids(blocks);
    assertThat(store.readMany(index.car(), cids, cids.stream().map(index::find).toList())).isEqualTo(blocks);
    assertThat(store.check(index.car())).isEqualTo(index);
  }

  /**
   * Opening takes the stored index and reads no block: a block damaged after the write still opens,
   * and is reported by its first read. A damaged stored index is rebuilt from the bytes and stored again.
   */
  @Test
  void openUsesTheStoredIndexAndRebuildsADamagedOne() {
    List<Block> blocks = mixed(42, 20);
    CarIndex index = store.write(List.of(blocks.get(0).cid()), blocks);
    Block victim = blocks.get(5);
    BlockLocation at = index.find(victim.cid());

    corrupt(index.car(), at.offset() + 1, 0x01);
    assertThat(store.open(index.car())).isEqualTo(index);
    assertThatThrownBy(() -> store.read(index.car(), victim.cid(), at)).isInstanceOf(CorruptBlockException.class);
    corrupt(index.car(), at.offset() + 1, 0x01);

    PostgresTestDatabase.execute(pool, "UPDATE kiln_car SET idx = set_byte(idx, 20, get_byte(idx, 20) # 255)"
        + " WHERE db = ? AND car = ?", db(), index.car().toString());
    assertThat(store.open(index.car())).isEqualTo(index);
    corrupt(index.car(), at.offset() + 1, 0x01);
    assertThat(store.open(index.car())).as("the rebuilt index was stored: open reads no block again")
        .isEqualTo(index);
  }

  /**
   * A write cut off mid-way, as a crash would (its server connection is terminated while it sends
   * chunks), leaves nothing: no CAR and no chunk. A write that returned is committed: a separate pool
   * sees it at once, so an event persisted after it can always be served.
   */
  @Test
  void aWriteCutOffMidwayLeavesNothingAndAReturnedWriteIsCommitted() throws Exception {
    long strayBefore = query("SELECT count(*) FROM kiln_car_chunk k WHERE NOT EXISTS"
        + " (SELECT 1 FROM kiln_car c WHERE c.upload = k.upload)");
    // CarWriter hands bytes on 64 KiB at a time: 100 blocks of 2 KiB have sent chunks by block 90.
    Random random = new Random(43);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      byte[] bytes = new byte[2048];
      random.nextBytes(bytes);
      blocks.add(Block.raw(bytes));
    }
    // A list (blocks in memory, as a commit's are) streams straight into the transaction; a lazy
    // Iterable would be spooled first and never leave the transaction idle between its chunks.
    List<Block> killedMidway = new AbstractList<>() {
      @Override
      public int size() {
        return blocks.size();
      }

      @Override
      public Block get(int i) {
        if (i == 90) {
          // The writer is between two chunk inserts, idle in its transaction: end its backend.
          long ended = query("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
              + " WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()");
          assertThat(ended).as("the writer's backend was ended").isEqualTo(1);
        }
        return blocks.get(i);
      }
    };

    assertThatThrownBy(() -> store.write(List.of(blocks.get(0).cid()), killedMidway))
        .isInstanceOf(CarStoreException.class).hasMessageContaining("PostgreSQL");
    assertThat(store.list()).isEmpty();
    assertThat(query("SELECT count(*) FROM kiln_car_chunk k WHERE NOT EXISTS"
        + " (SELECT 1 FROM kiln_car c WHERE c.upload = k.upload)")).isEqualTo(strayBefore);

    CarIndex written = store.write(List.of(blocks.get(0).cid()), blocks);
    try (HikariDataSource other = PostgresTestDatabase.pool(PostgresTestDatabase.url(), 1)) {
      PostgresCarStore fresh = PostgresCarStorage.over(other, PostgresTestDatabase.url(), CHUNK).unfencedStore(db());
      assertThat(fresh.list()).containsExactly(written.car());
      assertThat(fresh.check(written.car())).isEqualTo(written);
    }
  }

  @Test
  void aStoreWhoseDatabaseWasClaimedAgainCanNeitherWriteNorDelete() {
    List<Block> blocks = blocks(44, 6);
    CarIndex kept = store.write(List.of(blocks.get(0).cid()), blocks.subList(0, 3));
    long newEpoch = storage.claim(db(), "the new owner");
    PostgresCarStore newOwner = storage.store(db(), newEpoch);

    assertThatThrownBy(() -> store.delete(kept.car())).isInstanceOf(CarStoreFencedException.class)
        .hasMessageContaining("epoch " + newEpoch);
    assertThatThrownBy(() -> store.write(List.of(blocks.get(4).cid()), blocks.subList(3, 6)))
        .isInstanceOf(CarStoreFencedException.class);
    assertThat(newOwner.list()).containsExactly(kept.car());
    assertThat(store.read(kept.car(), blocks.get(1).cid(), kept.find(blocks.get(1).cid())))
        .as("reads are not fenced").isEqualTo(blocks.get(1));

    CarIndex added = newOwner.write(List.of(blocks.get(4).cid()), blocks.subList(3, 6));
    newOwner.delete(kept.car());
    assertThat(newOwner.list()).containsExactly(added.car());
  }

  /** A write still sending its chunks when the database is claimed again installs nothing. */
  @Test
  void aWriteInFlightWhenTheDatabaseIsClaimedInstallsNothing() throws Exception {
    List<Block> blocks = mixed(45, 20);
    CountDownLatch midway = new CountDownLatch(1);
    CountDownLatch claimed = new CountDownLatch(1);
    Iterable<Block> slow = () -> new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < blocks.size();
      }

      @Override
      public Block next() {
        if (next == 10) {
          midway.countDown();
          try {
            claimed.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return blocks.get(next++);
      }
    };
    CompletableFuture<CarIndex> write = CompletableFuture.supplyAsync(() -> store.write(List.of(blocks.get(0).cid()), slow));
    assertThat(midway.await(60, TimeUnit.SECONDS)).isTrue();
    storage.claim(db(), "the new owner");
    claimed.countDown();

    assertThatThrownBy(write::join).hasCauseInstanceOf(CarStoreFencedException.class);
    assertThat(store.list()).isEmpty();
  }
  /**
   * A former owner paused in the middle of a commit holds the row lock its write took on the database's
   * owner row; the next owner's claim waits for it. PostgreSQL ends that idle transaction after Kiln's
   * idle-in-transaction timeout, so the claim goes through instead of waiting for as long as the pause.
   */
  @Test
  void aClaimDoesNotWaitForeverForAFormerOwnerPausedInTheMiddleOfACommit() throws Exception {
    StorageSettings settings = new StorageSettings(StorageSettings.Kind.POSTGRES, PostgresTestDatabase.url(),
        PostgresTestDatabase.user(), PostgresTestDatabase.password(), 2, false, CHUNK, java.time.Duration.ofSeconds(5),
        java.time.Duration.ofSeconds(1));
    String db = PostgresTestDatabase.uniqueName("paused");
    try (PostgresCarStorage former = PostgresCarStorage.start(settings, "paused-former");
        PostgresCarStorage next = PostgresCarStorage.start(settings, "paused-next")) {
      former.claim(db, "former");
      try (Connection paused = former.pool().getConnection()) {
        paused.setAutoCommit(false);
        try (PreparedStatement s = paused.prepareStatement("SELECT epoch FROM kiln_car_owner WHERE db = ? FOR SHARE")) {
          s.setString(1, db);
          s.executeQuery().close();
        }
        // the former owner now sends nothing more: paused with its transaction open
        long claimed = CompletableFuture.supplyAsync(() -> next.claim(db, "next")).get(2, TimeUnit.MINUTES);
        assertThat(claimed).isEqualTo(2);
        assertThatThrownBy(paused::commit).as("the paused session was ended").isInstanceOf(SQLException.class);
      }
    }
  }
}
