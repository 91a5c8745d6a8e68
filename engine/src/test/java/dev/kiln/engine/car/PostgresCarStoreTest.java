package dev.kiln.engine.car;

import com.zaxxer.hikari.HikariDataSource;
import dev.kiln.protocol.Cid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

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
}
