package dev.kiln.engine.persist;

import dev.kiln.engine.TestTime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link DurabilityProbe} running in a child JVM (same classpath and java binary as the test),
 * whose stdout lines the test reads one by one; stderr goes to a file shown when something fails.
 */
final class ProbeProcess implements AutoCloseable {
  /**
   * The longest the test waits for the next line before it calls the child stuck: a JVM start, H2's
   * recovery and an ActorSystem took over 60 s at load average 46, so the wait is long and scaled.
   */
  private static final long LINE_DEADLINE_SECONDS = TestTime.dilated(java.time.Duration.ofMinutes(5)).toSeconds();
  private static final String END = "\u0000end-of-output";
  private static final String READ_FAILED = "\u0000read-failed ";

  private final Process process;
  private final Path stderr;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private ProbeProcess(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    Thread pump = new Thread(this::pumpStdout, "probe-stdout-" + process.pid());
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code DurabilityProbe mode dataDir} with extra JVM options such as {@code -Dkiln.…}. */
  static ProbeProcess start(String mode, Path dataDir, List<String> jvmOptions) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    // A short-lived writer: quick start-up matters more than peak speed.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Xmx256m");
    command.add("-Dpekko.test.timefactor=" + TestTime.factor()); // the child's waits scale as the test's
    command.addAll(jvmOptions);
    command.add(DurabilityProbe.class.getName());
    command.add(mode);
    command.add(dataDir.toString());
    Path stderr = Files.createTempFile(dataDir.getParent(), "probe-", ".stderr");
    Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    return new ProbeProcess(process, stderr);
  }

  private void pumpStdout() {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add(READ_FAILED + e);
    } finally {
      lines.add(END);
    }
  }

  /** The next stdout line, or empty at the end of the output; fails if none comes in time. */
  Optional<String> nextLine() throws InterruptedException {
    String line = lines.poll(LINE_DEADLINE_SECONDS, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError("the probe printed nothing for " + LINE_DEADLINE_SECONDS + " s\n" + stderrText());
    }
    if (line.startsWith(READ_FAILED)) {
      throw new AssertionError("could not read the probe's output: " + line);
    }
    return line.equals(END) ? Optional.empty() : Optional.of(line);
  }

  /** Reads up to the "RECOVERED highest events outOfSequence" line every run starts with. */
  SequenceLog.State awaitRecovered() throws InterruptedException {
    for (Optional<String> line = nextLine(); line.isPresent(); line = nextLine()) {
      if (line.get().startsWith("RECOVERED ")) {
        String[] parts = line.get().split(" ");
        return new SequenceLog.State(Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]));
      }
    }
    throw new AssertionError("the probe ended without reporting what it recovered\n" + stderrText());
  }

  /**
   * Reads ACK lines until {@code acks} of them arrived, sends SIGKILL at once, waits for the
   * process to die and returns the highest n it acknowledged (lines already in the pipe included).
   */
  long killAfterAcks(int acks) throws InterruptedException {
    long highest = -1;
    int seen = 0;
    while (seen < acks) {
      String line = nextLine().orElseThrow(() -> new AssertionError("the writer stopped early\n" + stderrText()));
      if (line.startsWith("ACK ")) {
        highest = Math.max(highest, Long.parseLong(line.substring(4)));
        seen++;
      }
    }
    // SIGKILL through the process handle: Process.destroyForcibly would also close our end of the
    // pipe, losing ACK lines the writer printed just before it died.
    process.toHandle().destroyForcibly();
    int status = process.waitFor();
    if (status != 128 + 9) {
      throw new AssertionError("the writer was to die of SIGKILL (exit status 137) but exited with " + status);
    }
    for (Optional<String> line = nextLine(); line.isPresent(); line = nextLine()) {
      if (line.get().startsWith("ACK ")) {
        highest = Math.max(highest, Long.parseLong(line.get().substring(4)));
      }
    }
    return highest;
  }

  /** Waits for a normal end and checks it exited with status 0. */
  void awaitSuccess() throws InterruptedException {
    if (!process.waitFor(LINE_DEADLINE_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("the probe did not exit\n" + stderrText());
    }
    if (process.exitValue() != 0) {
      throw new AssertionError("the probe exited with " + process.exitValue() + "\n" + stderrText());
    }
  }

  String stderrText() {
    try {
      return "--- probe stderr ---\n" + Files.readString(stderr);
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
