package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kiln torture}: a brief run ends with the summary line and status 0; bad knobs are refused. */
class TortureCommandTest {
  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  Run kiln(String... args) {
    CommandLine cli = KilnCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int status = cli.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void aBriefRunPrintsTheSummaryAsItsLastLine() {
    Run run = kiln("torture", "--seconds", "2", "--seed", "3", "--docs", "5", "--writers", "2", "--readers", "1",
        "--data-dir", dir.toString());
    assertThat(run.status()).as(run.err() + run.out()).isZero();
    String[] lines = run.out().strip().split("\n");
    assertThat(lines[lines.length - 1]).matches("torture: ops=\\d+ compactions=\\d+ \\(minor \\d+\\) reopens=\\d+ faults=0 anomalies=0");
    assertThat(run.err()).contains("torture: seed 3", "PUT ok=");
  }

  @Test
  void crashCyclesRunAfterTheWorkloadAndCountInTheVerdict() {
    Run run = kiln("torture", "--seconds", "1", "--seed", "4", "--docs", "5", "--writers", "2", "--readers", "1",
        "--crash-cycles", "1");
    assertThat(run.status()).as(run.err() + run.out()).isZero();
    assertThat(run.err()).contains("1/1 cycles passed", "0 lost");
    String[] lines = run.out().strip().split("\n");
    assertThat(lines[lines.length - 1]).matches("torture: ops=\\d+ compactions=\\d+ \\(minor \\d+\\) reopens=\\d+ faults=0 anomalies=0");
  }

  @Test
  void minutesAndSecondsTogetherAreRefused() {
    Run run = kiln("torture", "--minutes", "1", "--seconds", "5");
    assertThat(run.status()).isNotZero();
    assertThat(run.err()).contains("give --minutes or --seconds, not both");
  }

  @Test
  void aProbabilityAboveOneIsRefused() {
    Run run = kiln("torture", "--seconds", "1", "--reopen", "2");
    assertThat(run.status()).isNotZero();
    assertThat(run.err()).contains("--compact and --reopen between 0 and 1");
  }
}
