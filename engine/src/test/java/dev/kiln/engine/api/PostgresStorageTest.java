package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.car.PostgresTestDatabase;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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
      awaitCondition(() -> carRows(name) == 1, "replaced CARs deleted");
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
   * PostgreSQL cut off (every connection closed and new ones refused, by a proxy) while a writer
   * keeps writing: every write meanwhile fails with a typed error, none hangs; once PostgreSQL is
   * reachable again writes succeed without restarting anything, and every acknowledged write is
   * there, in this process and in a new one that reads PostgreSQL directly.
   */
  @Test
  @Timeout(300)
  void postgresCutOffGivesTypedErrorsLosesNothingAcknowledgedAndRecovers() throws Exception {
    String name = PostgresTestDatabase.uniqueName("outage");
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    Map<ErrorCode, AtomicInteger> errors = new ConcurrentHashMap<>();
    List<Throwable> untyped = new ArrayList<>();
    try (TcpProxy proxy = new TcpProxy(PostgresTestDatabase.host(), PostgresTestDatabase.port());
        Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("a"),
            postgres(PostgresTestDatabase.url("127.0.0.1", proxy.port()))))) {
      Database db = kiln.open(name);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger failuresInARow = new AtomicInteger();
      CountDownLatch firstAcks = new CountDownLatch(20);
      CountDownLatch failing = new CountDownLatch(5);
      Thread writer = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = "w" + i;
          try {
            db.put(doc(id, i)).toCompletableFuture().get(60, TimeUnit.SECONDS);
            acknowledged.add(id);
            failuresInARow.set(0);
            firstAcks.countDown();
          } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof KilnException k) {
              errors.computeIfAbsent(k.code(), c -> new AtomicInteger()).incrementAndGet();
              failuresInARow.incrementAndGet();
              failing.countDown();
            } else {
              synchronized (untyped) {
                untyped.add(e.getCause());
              }
            }
          } catch (Exception e) {
            synchronized (untyped) {
              untyped.add(e);
            }
            return;
          }
        }
      }, "outage-writer");
      writer.start();
      assertThat(firstAcks.await(TestTime.dilated(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      proxy.cut();
      assertThat(failing.await(TestTime.dilated(Duration.ofSeconds(120)).toMillis(), TimeUnit.MILLISECONDS))
          .as("writes fail while PostgreSQL is cut off").isTrue();
      int ackedBeforeRestore = acknowledged.size();
      proxy.restore();
      awaitCondition(() -> acknowledged.size() >= ackedBeforeRestore + 20, "writes succeed again after the restore");
      stop.set(true);
      writer.join(TestTime.dilated(Duration.ofSeconds(60)).toMillis());
      assertThat(untyped).as("every failure is a typed KilnException").isEmpty();
      assertThat(errors.keySet()).as("failures while cut off: %s", errors)
          .isNotEmpty().isSubsetOf(ErrorCode.STORAGE, ErrorCode.JOURNAL);
      assertThat(proxy.refused()).as("Kiln tried to reconnect while cut off").isPositive();
      for (String id : acknowledged) {
        assertThat(await(db.get(id)).get("_id").asText()).isEqualTo(id);
      }
    }
    Map<String, Object> direct = postgres(PostgresTestDatabase.url());
    try (Kiln kiln = Kiln.start(KilnTestSupport.config(dir.resolve("b"), direct))) {
      Database db = kiln.open(name);
      Set<String> stored = new java.util.HashSet<>();
      await(db.allDocs()).rows().forEach(r -> stored.add(r.id()));
      assertThat(stored).as("every acknowledged write survives, read by a new process").containsAll(acknowledged);
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

  /** Polls a condition that an event makes true, failing after a generous, time-factor-scaled wait. */
  private static void awaitCondition(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TestTime.dilated(Duration.ofSeconds(90)).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("did not happen: " + what);
      }
      Thread.sleep(50);
    }
  }
}
