package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.TestTime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a small-heap child JVM ({@code -Xmx}, serial GC, exit on OutOfMemoryError) on the test class
 * path and passes when it exits 0 with {@code done} as its last line. It prints one line per step
 * finished; a child that finishes no step within a (dilated) deadline is called stuck.
 */
final class ChildJvm {
  /** How long the child may go without finishing a step before the test calls it stuck. */
  private static final Duration STEP_DEADLINE = TestTime.dilated(Duration.ofMinutes(20));

  private ChildJvm() {}

  static void run(Path dir, String xmx, String label, Class<?> main, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + xmx, "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    Path stderr = dir.resolve(main.getSimpleName() + ".err");
    Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    List<String> lines = new ArrayList<>();
    boolean[] ended = {false};
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          System.out.println("[small heap -Xmx" + xmx + ", " + label + "] " + line);
          synchronized (lines) {
            lines.add(line);
            lines.notifyAll();
          }
        }
      } catch (IOException e) {
        // the child's end shows in its exit code
      } finally {
        synchronized (lines) {
          ended[0] = true; // its output ended: the loop below must not wait a step's deadline for a line
          lines.notifyAll();
        }
      }
    });
    reader.start();
    try {
      int seen = 0;
      while (true) {
        synchronized (lines) {
          if (lines.size() == seen && !ended[0]) {
            lines.wait(STEP_DEADLINE.toMillis());
            if (lines.size() == seen && !ended[0]) {
              throw new AssertionError("the child finished no step for " + STEP_DEADLINE + "; so far " + lines
                  + "\n" + tail(stderr));
            }
          }
          seen = lines.size();
          if (ended[0]) {
            break; // every line is in: nothing arrives after the end
          }
        }
      }
      assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
      reader.join(TimeUnit.MINUTES.toMillis(1));
      assertThat(child.exitValue()).as("exit code; stderr:\n%s", tail(stderr)).isZero();
      assertThat(lines).as("the steps the child finished").last().isEqualTo("done");
    } finally {
      child.destroyForcibly();
    }
  }

  private static String tail(Path file) throws IOException {
    List<String> all = Files.readAllLines(file);
    return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
  }
}
