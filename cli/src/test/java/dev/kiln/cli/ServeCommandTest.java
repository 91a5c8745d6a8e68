package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.api.Kiln;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln serve} as a real process: it prints and leaves its address, serves, and stops cleanly on SIGTERM. */
class ServeCommandTest {
  @TempDir Path temp;

  @Test
  void refusesAnAddressBeyondLoopbackWithoutATokenAndCreatesNothing() {
    Path data = temp.resolve("exposed");
    CliRun run = CliRun.kiln(data, "serve", "--host", "0.0.0.0", "--port", "0");
    assertThat(run.status()).isNotZero();
    assertThat(run.err()).contains("refusing to listen on 0.0.0.0 without a token");
    assertThat(data).doesNotExist();
  }

  @Test
  void servesUntilSigtermThenClosesTheDatabasesAndFreesTheDirectory() throws Exception {
    Path data = temp.resolve("data");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", KilnCli.class.getName(),
        "serve", "--port", "0", "--data-dir", data.toString()));
    Process server = new ProcessBuilder(command).redirectError(temp.resolve("serve.err").toFile()).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertThat(line).as("first line; stderr: %s", Files.exists(temp.resolve("serve.err"))
          ? Files.readString(temp.resolve("serve.err")) : "").startsWith("kiln: serving http://127.0.0.1:");
      String url = line.substring("kiln: serving ".length(), line.indexOf(' ', "kiln: serving ".length()));

      JsonNode address = KilnCli.JSON.readTree(data.resolve(ServeCommand.ADDRESS_FILE).toFile());
      assertThat(address.path("url").asText()).isEqualTo(url);
      assertThat(address.path("pid").asLong()).isEqualTo(server.pid());

      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create(url + "/db/notes/docs/a"))
          .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"v\":1}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

      server.destroy(); // SIGTERM
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
      assertThat(Files.readString(temp.resolve("serve.err"))).as("stderr").doesNotContain("ERROR", "Exception");
      assertThat(data.resolve(ServeCommand.ADDRESS_FILE)).doesNotExist();
    } finally {
      server.destroyForcibly();
    }
    // the lock is free and the write is there
    try (Kiln kiln = Kiln.start(new KilnCli.DataDir(data).config())) {
      assertThat(kiln.open("notes").get("a").toCompletableFuture().join().path("v").asInt()).isEqualTo(1);
    }
  }
}
