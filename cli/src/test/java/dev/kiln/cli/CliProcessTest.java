package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code kiln} command as real processes: what it prints on stderr, its exit status, and two
 * processes on one data directory. Each command runs in a child JVM ({@link KilnCli#main}) on this
 * test's classpath; {@link HoldDataDir} plays a first command that is still running.
 */
class CliProcessTest {
  private static final long WAIT_SECONDS = 60;

  @TempDir Path temp;

  record Result(int status, String out, String err) {}

  private static List<String> java(Class<?> main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add(main.getName());
    command.addAll(List.of(args));
    return command;
  }

  private Result kiln(Path dataDir, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--data-dir");
    all.add(dataDir.toString());
    Path out = Files.createTempFile(temp, "out", ".txt");
    Path err = Files.createTempFile(temp, "err", ".txt");
    Process p = new ProcessBuilder(java(KilnCli.class, all.toArray(String[]::new)))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("kiln %s finished", all).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A running holder of {@code dataDir}, once it says so. */
  private Process hold(Path dataDir) throws Exception {
    Process holder = new ProcessBuilder(java(HoldDataDir.class, dataDir.toString()))
        .redirectError(Files.createTempFile(temp, "holder", ".err").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine(); // blocks until the holder has the directory (or dies: then null)
    assertThat(line).as("the holder started").startsWith("HOLDING ");
    assertThat(line).isEqualTo("HOLDING " + holder.pid());
    return holder;
  }

  @Test
  void aCommandPrintsNothingButItsAnswerAndNoSlf4jWarning() throws Exception {
    Result put = kiln(temp.resolve("data"), "put", "notes", "{\"_id\":\"a\",\"v\":1}");
    assertThat(put.status()).as(put.err()).isZero();
    assertThat(put.err()).as("stderr").doesNotContain("SLF4J").isEmpty();
    assertThat(KilnCli.JSON.readTree(put.out()).get("id").asText()).isEqualTo("a");
  }

  @Test
  void aSecondCommandOnADataDirectoryInUseFailsWithOneLineAndChangesNothing() throws Exception {
    Path data = temp.resolve("data");
    assertThat(kiln(data, "put", "notes", "{\"_id\":\"a\",\"v\":1}").status()).isZero();

    Process holder = hold(data);
    Map<String, String> before = contents(data);
    Result second = kiln(data, "put", "notes", "{\"_id\":\"a\",\"v\":2}");
    Map<String, String> after = contents(data);

    assertThat(second.status()).isEqualTo(1);
    assertThat(second.out()).isEmpty();
    assertThat(second.err().lines()).containsExactly(
        "kiln: LOCKED: data directory " + data.toAbsolutePath() + " is in use by process " + holder.pid());
    assertThat(after).as("nothing in the data directory changed").isEqualTo(before);

    holder.getOutputStream().close(); // the holder closes Kiln and exits: the lock is released on close
    assertThat(holder.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(holder.exitValue()).isZero();
    Result get = kiln(data, "get", "notes", "a");
    assertThat(get.status()).as(get.err()).isZero();
    assertThat(KilnCli.JSON.readTree(get.out()).get("v").asInt()).isEqualTo(1);
  }

  @Test
  void theLockDiesWithAProcessKilledWithSigkill() throws Exception {
    Path data = temp.resolve("data");
    Process holder = hold(data);
    assertThat(kiln(data, "put", "notes", "{\"_id\":\"a\"}").status()).isEqualTo(1);

    // destroyForcibly is SIGKILL on Linux: no shutdown hook, no close, the process just ends.
    holder.destroyForcibly();
    assertThat(holder.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(holder.exitValue()).isEqualTo(128 + 9);

    Result put = kiln(data, "put", "notes", "{\"_id\":\"a\"}");
    assertThat(put.status()).as(put.err()).isZero();
  }

  /** Every file under {@code dir} with a hash of its bytes. */
  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        files.put(dir.relativize(p).toString(), sha256(Files.readAllBytes(p)));
      }
    }
    return files;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
