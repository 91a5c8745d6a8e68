package dev.kiln.cli;

import static dev.kiln.cli.CliRun.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The changes feed from the command line: from a sequence or a clock, filtered, and followed. */
class CliChangesTest {
  @TempDir Path dir;

  @Test
  void changesFromAClockWithAPrefixAndFollowedAsJsonLines() throws Exception {
    kiln(dir, "put", "f", "{\"_id\":\"a1\"}");
    String clock = kiln(dir, "put", "f", "{\"_id\":\"b1\"}").json().get("clock").asText();
    kiln(dir, "put", "f", "{\"_id\":\"a2\",\"n\":2}");
    kiln(dir, "put", "f", "{\"_id\":\"b2\"}");

    CliRun page = kiln(dir, "changes", "f", "--since-clock", clock, "--prefix", "a");
    assertThat(page.status()).as(page.err()).isZero();
    assertThat(page.json().get("changes")).extracting(c -> c.get("id").asText()).containsExactly("a2");
    assertThat(page.json().get("lastSeq").asInt()).isEqualTo(4);

    CliRun follow = kiln(dir, "changes", "f", "--follow", "--since", "1", "--max", "3", "--no-docs");
    assertThat(follow.status()).as(follow.err()).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : follow.out().split("\n")) {
      lines.add(KilnCli.JSON.readTree(line));
    }
    assertThat(lines).extracting(c -> c.get("id").asText()).containsExactly("b1", "a2", "b2");
    assertThat(lines).allSatisfy(c -> assertThat(c.get("doc").isNull()).isTrue());
  }

  @Test
  void changesFilteredByAnIndexKeyRange() throws Exception {
    kiln(dir, "put", "c", "{\"_id\":\"a\",\"city\":\"Bergen\"}");
    kiln(dir, "put", "c", "{\"_id\":\"b\",\"city\":\"Oslo\"}");
    kiln(dir, "put", "c", "{\"_id\":\"c\",\"city\":\"Cairo\"}");
    kiln(dir, "put", "c", "{\"_id\":\"c\",\"city\":\"Rome\"}");
    assertThat(kiln(dir, "index", "c", "city").status()).isZero();

    CliRun range = kiln(dir, "changes", "c", "--index", "city", "--start", "\"A\"", "--end", "\"K\"");
    assertThat(range.status()).as(range.err()).isZero();
    assertThat(range.json().get("changes")).extracting(c -> c.get("id").asText()).containsExactly("a");
    CliRun later = kiln(dir, "changes", "c", "--since", "1", "--index", "city", "--key-prefix", "Ber", "--no-docs");
    assertThat(later.json().get("changes")).extracting(c -> c.get("id").asText() + c.get("inRange").asBoolean())
        .containsExactly("bfalse", "cfalse");
    CliRun follow = kiln(dir, "changes", "c", "--follow", "--max", "1", "--index", "city", "--key", "\"Oslo\"");
    assertThat(KilnCli.JSON.readTree(follow.out().strip()).get("id").asText()).isEqualTo("b");

    CliRun noIndex = kiln(dir, "changes", "c", "--key", "\"Oslo\"");
    assertThat(noIndex.status()).isEqualTo(1);
    assertThat(noIndex.err()).contains("--index");
  }
}
