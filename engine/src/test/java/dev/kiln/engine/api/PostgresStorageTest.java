package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.ForwardingCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.engine.car.PostgresCarStorage;
import dev.kiln.engine.car.PostgresTestDatabase;
import dev.kiln.engine.config.StorageSettings;
import dev.kiln.engine.car.TcpProxy;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A whole database on PostgreSQL ({@code kiln.storage = "postgres"}): journal, snapshots and CARs. */
@Tag(PostgresTestDatabase.TAG)
class PostgresStorageTest {
  @TempDir Path dir;

  static Map<String, Object> postgres(String url) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("kiln.storage", "postgres");
    settings.put("kiln.postgres.url", url);
    settings.put("kiln.postgres.user", PostgresTestDatabase.user());
    settings.put("kiln.postgres.password", PostgresTestDatabase.password());
    settings.put("kiln.postgres.connection-timeout", "1s");
    settings.put("kiln.journal.connection-timeout", "1s");
    return settings;
  }

  private static ObjectNode doc(String id, int n) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("n", n);
  }

  @Test
  @Timeout(180)
  void putGetCompactAndReopenKeepEverythingInPostgresAndNothingOnDisk() throws Exception {
    String name = PostgresTestDatabase.uniqueName("roundtrip");
    Map<String, Object> settings = postgres(PostgresTestDatabase.url());
    settings.put("kiln.auto-compact", 0);
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("a"), settings))) {
      Database db = kiln.open(name);
      for (int i = 0; i < 30; i++) {
        await(db.put(doc("d" + i, i)));
      }
      await(db.delete("d7"));
      assertThat(await(db.get("d3")).get("n").asInt()).isEqualTo(3);
      assertThat(carRows(name)).isEqualTo(31);
      var compacted = await(db.compact());
      assertThat(compacted.carLogAfter()).isEqualTo(1);
      // The replaced CARs are deleted once no lease reaches them: wait for that, not for a time.
      TestTime.await("replaced CARs deleted", () -> carRows(name) == 1, Duration.ofSeconds(90));
      await(db.put(doc("after", 1)));
    }
    // Another process (a new ActorSystem, another data directory) finds all of it in PostgreSQL.
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("b"), settings))) {
      Database db = kiln.open(name);
      assertThat(await(db.allDocs()).rows()).hasSize(30);
      assertThat(await(db.get("after")).get("n").asInt()).isEqualTo(1);
      assertThat(await(db.get("d29")).get("n").asInt()).isEqualTo(29);
      KilnTestSupport.failsWith(db.get("d7"), ErrorCode.NOT_FOUND);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(p -> p.toString().endsWith(".car") || p.toString().endsWith(".mv.db")).toList())
          .as("no CAR file and no H2 journal on disk").isEmpty();
    }
  }

  /**
   * A database claimed again behind an open's back (a new owner on another node) refuses the former
   * owner's writes with FENCED, not STORAGE, and none of them is stored: the fence is checked in the
   * CAR's transaction, before the CAR is committed and before any event names it.
   */
  @Test
  @Timeout(120)
  void aFormerOwnersWriteIsRefusedWithFencedAndNothingIsStored() throws Exception {
    String name = PostgresTestDatabase.uniqueName("fenced");
    Map<String, Object> settings = postgres(PostgresTestDatabase.url());
    settings.put("kiln.auto-compact", 0);
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("a"), settings))) {
      Database db = kiln.open(name);
      await(db.put(doc("kept", 1)));
      try (HikariDataSource pool = PostgresTestDatabase.pool(PostgresTestDatabase.url(), 1)) {
        PostgresCarStorage.over(pool, PostgresTestDatabase.url(), StorageSettings.MIN_CHUNK_BYTES).claim(name, "new owner");
      }
      KilnException refused = KilnTestSupport.failsWith(db.put(doc("refused", 2)), ErrorCode.FENCED);
      assertThat(refused.getMessage()).contains(name).contains("moved to another owner");
      KilnTestSupport.failsWith(db.delete("kept"), ErrorCode.FENCED);
    }
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("b"), settings))) {
      Database db = kiln.open(name);
      assertThat(await(db.get("kept")).get("n").asInt()).isEqualTo(1);
      KilnTestSupport.failsWith(db.get("refused"), ErrorCode.NOT_FOUND);
      assertThat(await(db.allDocs()).rows()).hasSize(1);
    }
  }

  /**
   * PostgreSQL cut off (every connection closed and new ones refused, by a proxy) while a writer
   * keeps writing: every write meanwhile fails with a typed error, none hangs; once PostgreSQL is
   * reachable again writes succeed without restarting anything, and every acknowledged write is
   * there, in this process and in a new one that reads PostgreSQL directly.
   */
  @Test
  @Timeout(300)
  void postgresCutOffGivesTypedErrorsLosesNothingAcknowledgedAndRecovers() throws Exception {
    String name = PostgresTestDatabase.uniqueName("outage");
    Writer writer;
    try (TcpProxy proxy = new TcpProxy(PostgresTestDatabase.host(), PostgresTestDatabase.port());
        Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("a"),
            postgres(PostgresTestDatabase.url("127.0.0.1", proxy.port()))))) {
      writer = new Writer(kiln.open(name));
      writer.awaitAcks(20);
      proxy.cut();
      writer.awaitFailures(5);
      // Failures on the broken connections first, then on new ones that the proxy refuses.
      TestTime.await("Kiln tries to reconnect while cut off", () -> proxy.refused() > 0, Duration.ofSeconds(90));
      int failedSoFar = writer.failed.size();
      writer.awaitFailures(failedSoFar + 1);
      // asking whether a database exists reads PostgreSQL too: a typed error that says so
      assertThatThrownBy(() -> kiln.exists(name)).isInstanceOfSatisfying(KilnException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE));
      proxy.restore();
      writer.awaitAcks(writer.acknowledged.size() + 20);
      writer.stop();
      assertThat(writer.errors.keySet()).as("failures while cut off: %s", writer.errors)
          .isNotEmpty().isSubsetOf(ErrorCode.STORAGE, ErrorCode.JOURNAL);
      writer.checkEveryAcknowledgedWriteIsIn(kiln.open(name));
    }
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("b"), postgres(PostgresTestDatabase.url())))) {
      writer.checkEveryAcknowledgedWriteIsIn(kiln.open(name));
    }
  }

  /**
   * PostgreSQL goes away between a commit's CAR and its event (the CAR is committed, the journal
   * insert cannot be sent): that write fails with JOURNAL and is not stored, the database restarts
   * from its journal once PostgreSQL is back, and nothing acknowledged is lost.
   */
  @Test
  @Timeout(300)
  void postgresLostBetweenTheCarAndItsEventFailsThatWriteWithJournalAndRecovers() throws Exception {
    String name = PostgresTestDatabase.uniqueName("journal-outage");
    AtomicInteger writes = new AtomicInteger();
    Writer writer;
    try (TcpProxy proxy = new TcpProxy(PostgresTestDatabase.host(), PostgresTestDatabase.port());
        Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("a"),
            postgres(PostgresTestDatabase.url("127.0.0.1", proxy.port()))))) {
      Database db = kiln.open(name, kiln.defaults(), store -> new ForwardingCarStore(store) {
        @Override
        public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
          CarIndex written = super.write(roots, blocks);
          if (writes.incrementAndGet() == 10) {
            proxy.cut(); // the CAR is committed; its event will not get through
          }
          return written;
        }
      });
      writer = new Writer(db);
      writer.awaitFailures(3);
      proxy.restore();
      writer.awaitAcks(writer.acknowledged.size() + 20);
      writer.stop();
      assertThat(writer.errors).as("failures: %s", writer.errors).containsKey(ErrorCode.JOURNAL);
      assertThat(writer.errors.keySet()).isSubsetOf(ErrorCode.STORAGE, ErrorCode.JOURNAL);
      assertThat(writer.acknowledged).doesNotContain(writer.firstFailed());
      KilnTestSupport.failsWith(db.get(writer.firstFailed()), ErrorCode.NOT_FOUND);
      writer.checkEveryAcknowledgedWriteIsIn(db);
    }
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("b"), postgres(PostgresTestDatabase.url())))) {
      writer.checkEveryAcknowledgedWriteIsIn(kiln.open(name));
    }
  }

  /**
   * Writes w0, w1, … one after the other from a thread of its own, recording which were acknowledged
   * and the error code of each that failed; a failure that is not a KilnException fails the test.
   */
  private static final class Writer {
    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final Map<ErrorCode, AtomicInteger> errors = new ConcurrentHashMap<>();
    private final List<Throwable> untyped = new CopyOnWriteArrayList<>();
    final List<String> failed = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Writer(Database db) {
      thread = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = "w" + i;
          try {
            db.put(doc(id, i)).toCompletableFuture().get(60, TimeUnit.SECONDS);
            acknowledged.add(id);
          } catch (ExecutionException e) {
            if (e.getCause() instanceof KilnException k) {
              errors.computeIfAbsent(k.code(), c -> new AtomicInteger()).incrementAndGet();
              failed.add(id);
            } else {
              untyped.add(e.getCause());
            }
          } catch (Exception e) {
            untyped.add(e);
            return;
          }
        }
      }, "writer");
      thread.start();
    }

    void awaitAcks(int n) throws InterruptedException {
      TestTime.await(n + " writes acknowledged", () -> acknowledged.size() >= n || !untyped.isEmpty(),
          Duration.ofSeconds(90));
      assertThat(untyped).as("every failure is a typed KilnException").isEmpty();
    }

    void awaitFailures(int n) throws InterruptedException {
      TestTime.await(n + " writes failed", () -> failed.size() >= n || !untyped.isEmpty(),
          Duration.ofSeconds(90));
      assertThat(untyped).as("every failure is a typed KilnException").isEmpty();
    }

    String firstFailed() {
      return failed.get(0);
    }

    void stop() throws InterruptedException {
      stop.set(true);
      thread.join(TestTime.dilated(Duration.ofSeconds(90)).toMillis());
      assertThat(thread.isAlive()).isFalse();
      assertThat(untyped).as("every failure is a typed KilnException").isEmpty();
    }

    void checkEveryAcknowledgedWriteIsIn(Database db) {
      Set<String> stored = new HashSet<>();
      await(db.allDocs()).rows().forEach(r -> stored.add(r.id()));
      assertThat(stored).as("every acknowledged write is stored").containsAll(acknowledged);
    }
  }

  private static long carRows(String db) {
    try (HikariDataSource pool = PostgresTestDatabase.pool(PostgresTestDatabase.url(), 1);
        Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM kiln_car WHERE db = ?")) {
      s.setString(1, db);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
