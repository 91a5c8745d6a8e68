package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as real processes next to a real {@code kiln serve}: commands go through the
 * server (so two at once both succeed, and none starts an ActorSystem), and an address file left by
 * a server that is gone is ignored.
 */
class CliServerProcessTest {
  private static final long WAIT_SECONDS = 60;
  /** Any ActorSystem started with this fails at once: a command that succeeds with it started none. */
  private static final String NO_ACTOR_SYSTEM = "-Dpekko.actor.provider=dev.kiln.cli.NoSuchActorRefProvider";

  @TempDir Path temp;

  record Result(int status, String out, String err) {}

  private static List<String> java(List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    command.addAll(jvmOptions);
    command.add(Main.class.getName()); // the jar's entry point: the quick path first
    command.addAll(List.of(args));
    return command;
  }

  private static Result finish(Process p) throws Exception {
    assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("finished").isTrue();
    return new Result(p.exitValue(), read(p, true), read(p, false));
  }

  private static final java.util.Map<Process, Path[]> FILES = new java.util.concurrent.ConcurrentHashMap<>();

  private static String read(Process p, boolean out) throws Exception {
    Path[] files = FILES.get(p);
    return Files.readString(out ? files[0] : files[1]);
  }

  private Result kiln(Path dataDir, List<String> jvmOptions, String... args) throws Exception {
    return finish(launch(dataDir, jvmOptions, args));
  }

  private Process launch(Path dataDir, List<String> jvmOptions, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--data-dir", dataDir.toString()));
    Path out = Files.createTempFile(temp, "out", ".txt");
    Path err = Files.createTempFile(temp, "err", ".txt");
    Process p = new ProcessBuilder(java(jvmOptions, all.toArray(String[]::new)))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    FILES.put(p, new Path[] {out, err});
    return p;
  }

  /** {@code kiln serve --port 0} on {@code dataDir}, once it has printed its address. */
  private Process serve(Path dataDir) throws Exception {
    Process server = new ProcessBuilder(java(List.of(), "serve", "--port", "0", "--data-dir", dataDir.toString()))
        .redirectError(Files.createTempFile(temp, "serve", ".err").toFile()).start();
    String line = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
    assertThat(line).as("the server started").startsWith("kiln: serving http://127.0.0.1:");
    return server;
  }

  @Test
  void withAServerTwoCommandsAtOnceBothSucceedAndNeitherStartsAnActorSystem() throws Exception {
    Path data = temp.resolve("data");
    // the check can fail: without a server, a command needs its ActorSystem and the option stops it
    Result alone = kiln(temp.resolve("alone"), List.of(NO_ACTOR_SYSTEM), "put", "notes", "{\"_id\":\"a\"}");
    assertThat(alone.status()).isEqualTo(1);
    assertThat(alone.err()).contains("NoSuchActorRefProvider");

    Process server = serve(data);
    try {
      Process first = launch(data, List.of(NO_ACTOR_SYSTEM), "put", "notes", "{\"_id\":\"a\",\"v\":1}");
      Process second = launch(data, List.of(NO_ACTOR_SYSTEM), "put", "notes", "{\"_id\":\"b\",\"v\":2}");
      Result one = finish(first);
      Result two = finish(second);
      assertThat(one.status()).as(one.err()).isZero();
      assertThat(two.status()).as(two.err()).isZero();
      assertThat(one.err()).isEmpty();
      Result all = kiln(data, List.of(NO_ACTOR_SYSTEM), "all-docs", "notes");
      assertThat(all.status()).as(all.err()).isZero();
      assertThat(KilnCli.JSON.readTree(all.out()).path("rows")).hasSize(2);
    } finally {
      server.destroy(); // SIGTERM: the server removes its address file
      assertThat(server.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(data.resolve(ServeCommand.ADDRESS_FILE)).doesNotExist();
    Result after = kiln(data, List.of(), "get", "notes", "b");
    assertThat(after.status()).as(after.err()).isZero();
    assertThat(KilnCli.JSON.readTree(after.out()).path("v").asInt()).isEqualTo(2);
  }

  @Test
  void anAddressFileLeftByAKilledServerIsIgnored() throws Exception {
    Path data = temp.resolve("data");
    Process server = serve(data);
    assertThat(kiln(data, List.of(), "put", "notes", "{\"_id\":\"a\"}").status()).isZero();
    String address = Files.readString(data.resolve(ServeCommand.ADDRESS_FILE));
    server.destroyForcibly(); // SIGKILL: the address file stays behind
    assertThat(server.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(data.resolve(ServeCommand.ADDRESS_FILE)).exists();

    Result get = kiln(data, List.of(), "get", "notes", "a");
    assertThat(get.status()).as(get.err()).isZero();
    assertThat(get.err()).isEmpty();

    // a live process at the address file's pid (this test's JVM) but nothing listening at its url
    Files.writeString(data.resolve(ServeCommand.ADDRESS_FILE), address.replaceFirst("\"pid\":\\d+",
        "\"pid\":" + ProcessHandle.current().pid()));
    Result again = kiln(data, List.of(), "get", "notes", "a");
    assertThat(again.status()).as(again.err()).isZero();
  }
}
