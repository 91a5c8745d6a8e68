package dev.kiln.cli;

import static dev.kiln.cli.CliRun.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two command-line clients read the same version and both write it back: one wins, the other hears CONFLICT. */
class CliConditionalWriteTest {
  @TempDir Path dir;

  @Test
  void readModifyWriteThroughTheCommandLine() throws Exception {
    CliRun created = kiln(dir, "put", "c", "{\"_id\":\"n\",\"v\":0}", "--if-version", "none");
    assertThat(created.status()).as(created.err()).isZero();
    String v1 = created.json().get("version").asText();
    assertThat(kiln(dir, "put", "c", "{\"_id\":\"n\",\"v\":9}", "--if-version", "none").err()).contains("CONFLICT");

    CliRun readA = kiln(dir, "get", "c", "n", "--with-version");
    CliRun readB = kiln(dir, "get", "c", "n", "--with-version");
    assertThat(readA.json().get("version").asText()).isEqualTo(v1).isEqualTo(readB.json().get("version").asText());
    assertThat(readA.json().get("doc").get("v").asInt()).isZero();

    CliRun writeA = kiln(dir, "put", "c", "{\"_id\":\"n\",\"v\":1,\"by\":\"A\"}", "--if-version", v1);
    assertThat(writeA.status()).as(writeA.err()).isZero();
    String v2 = writeA.json().get("version").asText();
    CliRun writeB = kiln(dir, "put", "c", "{\"_id\":\"n\",\"v\":1,\"by\":\"B\"}", "--if-version", v1);
    assertThat(writeB.status()).isEqualTo(1);
    assertThat(writeB.err()).contains("CONFLICT").contains(v2);
    assertThat(kiln(dir, "get", "c", "n").json().get("by").asText()).isEqualTo("A");

    CliRun staleDelete = kiln(dir, "del", "c", "n", "--if-version", v1);
    assertThat(staleDelete.err()).contains("CONFLICT");
    CliRun delete = kiln(dir, "del", "c", "n", "--if-version", v2);
    assertThat(delete.status()).as(delete.err()).isZero();

    CliRun badVersion = kiln(dir, "put", "c", "{\"_id\":\"n\"}", "--if-version", "latest");
    assertThat(badVersion.status()).isEqualTo(1);
    assertThat(badVersion.err()).contains("INVALID_QUERY").contains("not a document version");
    assertThat(kiln(dir, "get", "c", "n").err()).contains("NOT_FOUND");
  }
}
