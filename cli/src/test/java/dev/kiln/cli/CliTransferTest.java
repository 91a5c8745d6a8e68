package dev.kiln.cli;

import static dev.kiln.cli.CliRun.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kiln export and kiln import: as one CAR, or as NDJSON documents. */
class CliTransferTest {
  @TempDir Path dir;

  @Test
  void exportAndImportACarAndNdjson() throws Exception {
    Path docs = dir.resolve("in.ndjson");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 25; i++) {
      lines.append("{\"_id\":\"n").append(i).append("\",\"tags\":[\"a\",\"b").append(i % 3).append("\"]}\n");
    }
    Files.writeString(docs, lines);
    assertThat(kiln(dir, "put-all", "src", docs.toString()).status()).isZero();
    assertThat(kiln(dir, "index", "src", "tags", "--each").status()).isZero();
    String clock = kiln(dir, "stats", "src").json().get("clock").asText();

    Path car = dir.resolve("src.car");
    CliRun export = kiln(dir, "export", "src", "--out", car.toString());
    assertThat(export.status()).as(export.err()).isZero();
    assertThat(export.json().get("root").asText()).isEqualTo(clock);

    CliRun imported = kiln(dir, "import", "copy", car.toString());
    assertThat(imported.status()).as(imported.err()).isZero();
    assertThat(imported.json().get("documents").asInt()).isEqualTo(25);
    assertThat(kiln(dir, "stats", "copy").json().get("clock").asText()).isEqualTo(clock);
    assertThat(kiln(dir, "all-docs", "copy").json().get("rows")).isEqualTo(kiln(dir, "all-docs", "src").json().get("rows"));
    assertThat(kiln(dir, "query", "copy", "tags", "--key", "\"b1\"").json().get("rows")).hasSize(8);

    Path cut = dir.resolve("cut.car");
    Files.write(cut, Arrays.copyOf(Files.readAllBytes(car), (int) Files.size(car) - 10));
    CliRun refused = kiln(dir, "import", "other", cut.toString());
    assertThat(refused.status()).isEqualTo(1);
    assertThat(refused.err()).contains("INVALID_DOCUMENT").contains("nothing was stored");
    assertThat(kiln(dir, "stats", "other").json().get("lastSeq").asInt()).isZero();

    Path out = dir.resolve("out.ndjson");
    CliRun ndjson = kiln(dir, "export", "src", "--ndjson", "--out", out.toString(), "--page", "7");
    assertThat(ndjson.status()).as(ndjson.err()).isZero();
    assertThat(ndjson.json().get("documents").asInt()).isEqualTo(25);
    assertThat(Files.readAllLines(out)).hasSize(25);
    CliRun back = kiln(dir, "import", "plain", out.toString(), "--ndjson", "--batch", "10");
    assertThat(back.status()).as(back.err()).isZero();
    // the same documents; their versions follow the order of the import's writes
    var plain = kiln(dir, "all-docs", "plain").json().get("rows");
    var src = kiln(dir, "all-docs", "src").json().get("rows");
    assertThat(plain).hasSize(25);
    for (int i = 0; i < 25; i++) {
      assertThat(plain.get(i).get("doc")).isEqualTo(src.get(i).get("doc"));
    }
  }
}
