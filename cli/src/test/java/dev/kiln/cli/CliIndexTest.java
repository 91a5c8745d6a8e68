package dev.kiln.cli;

import static dev.kiln.cli.CliRun.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Indexes from the command line: a query never defines one, and they can be listed and dropped. */
class CliIndexTest {
  @TempDir Path dir;

  @Test
  void aQueryOnAnUndefinedFieldSaysHowToDefineItAndDefinesNothing() throws Exception {
    assertThat(kiln(dir, "put", "notes", "{\"_id\":\"a\",\"title\":\"hello\"}").status()).isZero();
    CliRun typo = kiln(dir, "query", "notes", "titel", "--key", "\"hello\"");
    assertThat(typo.status()).isEqualTo(1);
    assertThat(typo.err()).contains("NOT_FOUND").contains("kiln index notes titel");
    assertThat(kiln(dir, "indexes", "notes").json().get("indexes")).isEmpty();
  }

  @Test
  void defineListQueryAndDropAnIndexOfArrayElements() throws Exception {
    assertThat(kiln(dir, "put", "notes", "{\"_id\":\"a\",\"tags\":[\"red\",\"blue\"]}").status()).isZero();
    assertThat(kiln(dir, "put", "notes", "{\"_id\":\"b\",\"tags\":[\"blue\"]}").status()).isZero();
    CliRun define = kiln(dir, "index", "notes", "tags", "--each");
    assertThat(define.status()).as(define.err()).isZero();
    assertThat(define.json().get("name").asText()).isEqualTo("tags");

    CliRun blue = kiln(dir, "query", "notes", "tags", "--key", "\"blue\"");
    assertThat(blue.json().get("rows")).extracting(r -> r.get("id").asText()).containsExactly("a", "b");

    CliRun list = kiln(dir, "indexes", "notes");
    assertThat(list.json().get("indexes")).hasSize(1);
    assertThat(list.json().get("indexes").get(0).get("kind").asText()).isEqualTo("each");
    assertThat(list.json().get("indexes").get(0).get("entries").asInt()).isEqualTo(3);
    assertThat(list.json().get("indexes").get(0).get("behind").asInt()).isZero();

    assertThat(kiln(dir, "drop-index", "notes", "tags").status()).isZero();
    assertThat(kiln(dir, "indexes", "notes").json().get("indexes")).isEmpty();
    assertThat(kiln(dir, "query", "notes", "tags").err()).contains("NOT_FOUND");
    assertThat(kiln(dir, "drop-index", "notes", "tags").err()).contains("NOT_FOUND");
  }
}
