package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that configures nothing for Kiln ({@link AppMain}, run as its own process in an
 * empty working directory): Kiln starts from its reference.conf, keeps its data in {@code
 * kiln-data} there, and a put is still there after the application restarts, although the
 * application's default journal (the engine tests' application.conf: in memory) forgets everything.
 */
class ZeroConfigurationTest {
  @TempDir Path workingDir;

  private String run(String... args) throws Exception {
    Path err = Files.createTempFile(workingDir.getParent(), "app", ".err");
    Path out = Files.createTempFile(workingDir.getParent(), "app", ".out");
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        AppMain.class.getName()));
    command.addAll(List.of(args));
    Process app = new ProcessBuilder(command).directory(workingDir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(app.waitFor(120, TimeUnit.SECONDS)).as("the application finished").isTrue();
    assertThat(app.exitValue()).as(Files.readString(err)).isZero();
    return Files.readString(out).trim();
  }

  @Test
  void kilnWorksWithNoKilnSettingAndAPutSurvivesARestartOfTheApp() throws Exception {
    assertThat(run("put", "a", "hello")).isEqualTo("PUT 1");
    assertThat(workingDir.resolve("kiln-data/journal/kiln.mv.db")).isRegularFile();
    assertThat(workingDir.resolve("kiln-data/kiln.lock")).isRegularFile();

    assertThat(run("get", "a")).isEqualTo("GOT hello");
  }
}
