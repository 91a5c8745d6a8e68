package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The progress line `kiln index` prints while an index catches up over existing documents. */
class IndexProgressBarTest {

  @Test
  void theBarFillsWithTheIndexedSequence() {
    assertThat(IndexCommands.progressBar("n", 0, 1000))
        .isEqualTo("index n [..............................]   0% (seq 0 of 1000)");
    assertThat(IndexCommands.progressBar("n", 500, 1000))
        .isEqualTo("index n [###############...............]  50% (seq 500 of 1000)");
    assertThat(IndexCommands.progressBar("a.b", 1000, 1000))
        .isEqualTo("index a.b [##############################] 100% (seq 1000 of 1000)");
  }
}
