package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Result lines as the workloads print them, taken apart into figures. */
class ResultLineTest {
  @Test
  void keysWithSpacesTargetsAndSectionsAreKept() {
    ResultLine line = ResultLine.parse("compaction  docs=1000 dbs=3 time_median=105ms | baseline raw write: time_median=19.1ms"
        + " | ratio: compaction/raw_write (median)=16.0x (target <=2.00x MISS) | by hand (best of 5), 1069 blocks: walk=74.0ms");
    assertThat(line.workload()).isEqualTo("compaction");
    assertThat(line.ran()).isTrue();
    assertThat(line.figures()).containsExactly(
        new ResultLine.Figure("", "docs", 1000, "", "1000", "", ""),
        new ResultLine.Figure("", "dbs", 3, "", "3", "", ""),
        new ResultLine.Figure("", "time_median", 105, "ms", "105ms", "", ""),
        new ResultLine.Figure("baseline raw write", "time_median", 19.1, "ms", "19.1ms", "", ""),
        new ResultLine.Figure("ratio", "compaction/raw_write (median)", 16.0, "x", "16.0x", "<=2.00x", "MISS"),
        new ResultLine.Figure("by hand (best of 5), 1069 blocks", "walk", 74.0, "ms", "74.0ms", "", ""));
  }

  @Test
  void aFailedWorkloadDidNotRun() {
    assertThat(ResultLine.parse("concurrent  FAILED: java.lang.IllegalStateException: x=1").ran()).isFalse();
    assertThat(ResultLine.parse("latency     STOPPED: still running when the budget was spent").ran()).isFalse();
  }
}
