package dev.kiln.bench.workload;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatenciesTest {
  @Test
  void percentiles_are_nearest_rank_over_what_was_recorded() {
    Latencies l = new Latencies(200);
    for (int ms = 100; ms >= 1; ms--) {
      l.record(ms * 1_000_000L); // recorded out of order
    }
    assertThat(l.count()).isEqualTo(100);
    assertThat(l.percentileMs(50)).isEqualTo(50.0);
    assertThat(l.percentileMs(99)).isEqualTo(99.0);
    assertThat(l.percentileMs(100)).isEqualTo(100.0);
    assertThat(l.meanMs()).isEqualTo(50.5);
  }

  @Test
  void an_empty_record_has_no_percentile() {
    assertThat(new Latencies(4).percentileMs(99)).isNaN();
  }
}
