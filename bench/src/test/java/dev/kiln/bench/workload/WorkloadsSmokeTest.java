package dev.kiln.bench.workload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workloads run end to end at a tiny scale, print one line each, and leave no data behind. */
class WorkloadsSmokeTest {
  @TempDir
  Path tmp;

  @Test
  void latency_and_heap_each_print_one_line_with_their_targets() throws Exception {
    Workloads w = new Workloads(0.01, tmp);

    String latency = w.run("latency").toString();
    String heap = w.run("heap").toString();

    assertThat(latency).doesNotContain("\n").startsWith("latency")
        .containsPattern("without compaction: p50=\\S+ms p99=\\S+ms")
        .containsPattern("p99_compacting/p99_quiet=\\S+x \\(target <=3.00x (PASS|MISS)\\)");
    assertThat(heap).doesNotContain("\n").startsWith("heap")
        .contains("docs=1000")
        .containsPattern("index_per_block=\\S+B \\(target <=100B (PASS|MISS)\\)");
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }
}
