package dev.kiln.bench.workload;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineTest {
  @Test
  void a_target_says_whether_it_was_met() {
    String line = new Line("demo")
        .ratioAtLeast("fast", 25.04, 20)
        .ratioAtMost("slow", 3.5, 3)
        .atMost("size", 45, 100, "B")
        .toString();
    assertThat(line).contains("fast=25.0x (target >=20.0x PASS)")
        .contains("slow=3.50x (target <=3.00x MISS)")
        .contains("size=45.0B (target <=100B PASS)");
  }

  @Test
  void numbers_keep_three_significant_digits() {
    assertThat(Line.fmt(1234.5)).isEqualTo("1235");
    assertThat(Line.fmt(12.345)).isEqualTo("12.3");
    assertThat(Line.fmt(1.2345)).isEqualTo("1.23");
    assertThat(Line.fmt(0.012345)).isEqualTo("0.0123");
  }
}
