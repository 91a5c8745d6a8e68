package dev.kiln.cli;

import static dev.kiln.cli.CliRun.kiln;
import static dev.kiln.cli.CliRun.withStdin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.api.Kiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line takes input strictly and from anywhere a document can come from. */
class CliInputTest {
  @TempDir Path dir;

  @Test
  void trailingTokensAreRefusedWithTheirPositionAndStoreNothing() throws Exception {
    assertThat(kiln(dir, "put", "notes", "{\"_id\":\"a\",\"v\":1}").status()).isZero();
    for (String bad : List.of("{\"_id\":\"a\",\"v\":2} trailing", "{\"_id\":\"a\",\"v\":2} {\"v\":3}",
        "{\"_id\":\"a\",\"v\":2}]")) {
      CliRun put = kiln(dir, "put", "notes", bad);
      assertThat(put.status()).as(bad).isEqualTo(1);
      assertThat(put.err()).as(bad).contains("INVALID_DOCUMENT").contains("not valid JSON").contains("column 1");
    }
    assertThat(kiln(dir, "get", "notes", "a").json().get("v").asInt()).isEqualTo(1);
  }

  @Test
  void duplicateKeysAreRefusedWithTheirPosition() {
    assertThat(kiln(dir, "put", "notes", "{\"_id\":\"a\"}").status()).isZero();
    CliRun put = kiln(dir, "put", "notes", "{\"_id\":\"d\",\"v\":1,\n\"v\":2}");
    assertThat(put.status()).isEqualTo(1);
    assertThat(put.err()).contains("INVALID_DOCUMENT").contains("duplicate").contains("'v'").contains("line 2");
    assertThat(kiln(dir, "get", "notes", "d").err()).contains("NOT_FOUND");
  }

  @Test
  void aLargeDocumentComesFromAFileOrFromStdin() throws Exception {
    String big = "{\"_id\":\"big\",\"text\":\"" + "x".repeat(900_000) + "\"}";
    Path file = dir.resolve("big.json");
    Files.writeString(file, big);
    CliRun fromFile = kiln(dir, "put", "docs", "--file", file.toString());
    assertThat(fromFile.status()).as(fromFile.err()).isZero();
    assertThat(kiln(dir, "get", "docs", "big").json().get("text").asText()).hasSize(900_000);

    String other = "{\"_id\":\"piped\",\"text\":\"" + "y".repeat(900_000) + "\"}";
    CliRun fromStdin = withStdin(dir, other, "put", "docs", "-");
    assertThat(fromStdin.status()).as(fromStdin.err()).isZero();
    assertThat(kiln(dir, "get", "docs", "piped").json().get("text").asText()).hasSize(900_000);

    Files.writeString(file, "{\"_id\":\"x\"} extra");
    CliRun trailing = kiln(dir, "put", "docs", "--file", file.toString());
    assertThat(trailing.err()).contains("INVALID_DOCUMENT").contains(file.toString()).contains("line 1");
  }

  @Test
  void anAtFileIsNotSplitIntoArguments() throws Exception {
    Path file = dir.resolve("doc.json");
    Files.writeString(file, "{\"_id\": \"a\", \"title\": \"two words\"}");
    CliRun at = kiln(dir, "put", "notes", "@" + file);
    assertThat(at.status()).isEqualTo(1);
    assertThat(at.err()).contains("not valid JSON").contains("--file");
    CliRun both = kiln(dir, "put", "notes", "{}", "--file", file.toString());
    assertThat(both.status()).isNotZero();
    assertThat(both.err()).contains("either");
  }

  @Test
  void putAllStoresNdjsonAndStoresNothingWhenALineIsBad() throws Exception {
    Path file = dir.resolve("docs.ndjson");
    Files.writeString(file, "{\"_id\":\"a\",\"n\":1}\n\n{\"_id\":\"b\",\"n\":2}\n{\"_id\":\"c\",\"n\":3}\n");
    CliRun ok = kiln(dir, "put-all", "bulk", file.toString(), "--batch", "2");
    assertThat(ok.status()).as(ok.err()).isZero();
    assertThat(ok.json().get("documents").asInt()).isEqualTo(3);
    assertThat(kiln(dir, "all-docs", "bulk").json().get("rows")).hasSize(3);

    CliRun piped = withStdin(dir, "{\"_id\":\"d\"}\n{\"_id\":\"e\"}", "put-all", "bulk", "-");
    assertThat(piped.status()).as(piped.err()).isZero();
    assertThat(kiln(dir, "all-docs", "bulk").json().get("rows")).hasSize(5);

    Files.writeString(file, "{\"_id\":\"f\"}\n{\"_id\":\"g\"}\n{\"_id\":\"h\",\"x\":1} oops\n");
    CliRun bad = kiln(dir, "put-all", "bulk", file.toString(), "--batch", "1");
    assertThat(bad.status()).isEqualTo(1);
    assertThat(bad.err()).contains("INVALID_DOCUMENT").contains("line 3");
    Files.writeString(file, "{\"_id\":\"f\"}\n[1]\n");
    assertThat(kiln(dir, "put-all", "bulk", file.toString()).err()).contains("line 2").contains("must be an object");
    assertThat(kiln(dir, "all-docs", "bulk").json().get("rows")).hasSize(5);
  }

  @Test
  void everySubcommandAnswersHelp() {
    for (String name : KilnCli.commandLine().getSubcommands().keySet()) {
      CliRun help = kiln(dir, name, "--help");
      assertThat(help.status()).as(name + ": " + help.err()).isZero();
      assertThat(help.out()).as(name).contains("Usage: kiln " + name);
    }
  }

  @Test
  void readsOfADatabaseThatDoesNotExistAnswerNotFoundAndCreateNothing() throws Exception {
    for (String[] read : List.of(new String[] {"get", "nosuchdb", "a"}, new String[] {"all-docs", "nosuchdb"},
        new String[] {"changes", "nosuchdb"}, new String[] {"query", "nosuchdb", "title"},
        new String[] {"stats", "nosuchdb"}, new String[] {"del", "nosuchdb", "a"}, new String[] {"compact", "nosuchdb"})) {
      CliRun run = kiln(dir, read);
      assertThat(run.status()).as(String.join(" ", read)).isEqualTo(1);
      assertThat(run.err()).as(String.join(" ", read)).contains("NOT_FOUND").contains("nosuchdb");
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void anEmptyDatabaseHasANullClock() throws Exception {
    try (Kiln k = Kiln.start(new KilnCli.DataDir(dir).config())) {
      k.open("empty").stats().toCompletableFuture().join();
    }
    CliRun all = kiln(dir, "all-docs", "empty");
    assertThat(all.status()).as(all.err()).isZero();
    assertThat(all.json().get("clock").isNull()).as(all.out()).isTrue();
    assertThat(all.json().get("rows")).isEmpty();
  }
}
