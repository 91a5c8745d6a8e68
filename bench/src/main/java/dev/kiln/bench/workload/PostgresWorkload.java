package dev.kiln.bench.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A write's latency on PostgreSQL ({@code kiln.storage = "postgres"}: journal, snapshots and CARs in
 * PostgreSQL) against the embedded default (H2 journal file, CAR files, fsync on), measured in the same
 * run: awaited puts one after another, then four concurrent writers, the two storages alternating
 * round by round so drift on the machine touches both. Auto-compaction is off in both, so the figures
 * are the write path alone. Not part of {@code all}: it needs a server ({@code .ci/postgres.sh}).
 *
 * <p>Server: {@code -Dkiln.bench.pg.url} (default jdbc:postgresql://127.0.0.1:5432/kiln_store_test),
 * {@code -Dkiln.bench.pg.user} / {@code -Dkiln.bench.pg.password} (default kiln / kiln). The
 * database it writes is destroyed at the end (its CAR rows go; the journal keeps its few rows).
 */
final class PostgresWorkload {
  static final String NAME = "postgres";
  private static final int ROUNDS = 4;
  private static final int WRITERS = 4;

  private final Path tmp;
  private final int perRound;

  PostgresWorkload(Path tmp, int perRound) {
    this.tmp = tmp;
    this.perRound = perRound;
  }

  Line run() {
    String w = NAME;
    Map<String, Object> embedded = Map.of("kiln.auto-compact", 0);
    Map<String, Object> postgres = new HashMap<>(embedded);
    postgres.put("kiln.storage", "postgres");
    postgres.put("kiln.postgres.url", System.getProperty("kiln.bench.pg.url", "jdbc:postgresql://127.0.0.1:5432/kiln_store_test"));
    postgres.put("kiln.postgres.user", System.getProperty("kiln.bench.pg.user", "kiln"));
    postgres.put("kiln.postgres.password", System.getProperty("kiln.bench.pg.password", "kiln"));
    String pgName = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    try (Fixture fe = new Fixture(w + "-embedded", tmp, embedded); Fixture fp = new Fixture(w + "-pg", tmp, postgres)) {
      Database e = fe.db();
      Database p = fp.db(pgName);
      AtomicLong nextE = new AtomicLong();
      AtomicLong nextP = new AtomicLong();
      Workloads.sequentialPuts(w + " warm-up embedded", e, nextE.getAndAdd(perRound), perRound);
      Workloads.sequentialPuts(w + " warm-up postgres", p, nextP.getAndAdd(perRound), perRound);
      Latencies seqE = new Latencies(perRound * ROUNDS);
      Latencies seqP = new Latencies(perRound * ROUNDS);
      Latencies conE = new Latencies(perRound * ROUNDS);
      Latencies conP = new Latencies(perRound * ROUNDS);
      double secE = 0;
      double secP = 0;
      int perWriter = Math.max(1, perRound / WRITERS);
      Function<Integer, ObjectNode> docE = i -> Docs.doc(nextE.getAndIncrement(), 0);
      Function<Integer, ObjectNode> docP = i -> Docs.doc(nextP.getAndIncrement(), 0);
      for (int round = 0; round < ROUNDS; round++) {
        Workloads.mergeInto(seqE, Workloads.sequentialPuts(w + " embedded", e, nextE.getAndAdd(perRound), perRound).latencies());
        Workloads.mergeInto(seqP, Workloads.sequentialPuts(w + " postgres", p, nextP.getAndAdd(perRound), perRound).latencies());
        Workloads.Timed ce = Workloads.concurrentPuts(w + " embedded", e, WRITERS, perWriter, docE);
        Workloads.Timed cp = Workloads.concurrentPuts(w + " postgres", p, WRITERS, perWriter, docP);
        Workloads.mergeInto(conE, ce.latencies());
        Workloads.mergeInto(conP, cp.latencies());
        secE += ce.totalSeconds();
        secP += cp.totalSeconds();
      }
      Workloads.join(p.destroy());
      return new Line(w)
          .count("puts_per_storage", seqE.count() + conE.count())
          .section("sequential embedded").ms("p50", seqE.percentileMs(50)).ms("p99", seqE.percentileMs(99))
          .section("sequential postgres").ms("p50", seqP.percentileMs(50)).ms("p99", seqP.percentileMs(99))
          .section(WRITERS + " writers embedded").ms("p50", conE.percentileMs(50)).ms("p99", conE.percentileMs(99))
          .rate("puts", conE.count() / secE)
          .section(WRITERS + " writers postgres").ms("p50", conP.percentileMs(50)).ms("p99", conP.percentileMs(99))
          .rate("puts", conP.count() / secP)
          .section("ratio postgres/embedded")
          .ratio("seq_p50", seqP.percentileMs(50) / seqE.percentileMs(50))
          .ratio("seq_p99", seqP.percentileMs(99) / seqE.percentileMs(99))
          .ratio("conc_p99", conP.percentileMs(99) / conE.percentileMs(99))
          .ratio("conc_throughput", (conP.count() / secP) / (conE.count() / secE));
    }
  }
}
