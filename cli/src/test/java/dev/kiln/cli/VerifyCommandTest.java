package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kiln verify}: a healthy database passes; each kind of damage is reported with exit status 1. */
class VerifyCommandTest {
  private static final String MARKER = "verify-marker-text";

  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  private Run kiln(String... args) {
    CommandLine cli = KilnCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    String[] all = Stream.concat(Stream.of(args), Stream.of("--data-dir", dir.toString())).toArray(String[]::new);
    return new Run(cli.execute(all), out.toString(), err.toString());
  }

  /** Two CARs: a compacted one holding document a (with the marker text), and one more commit. */
  @BeforeEach
  void database() {
    assertThat(kiln("put", "notes", "{\"_id\":\"a\",\"title\":\"" + MARKER + "\"}").status()).isZero();
    assertThat(kiln("put", "notes", "{\"_id\":\"b\",\"title\":\"two\"}").status()).isZero();
    assertThat(kiln("compact", "notes").status()).isZero();
    assertThat(kiln("put", "notes", "{\"_id\":\"c\",\"title\":\"three\"}").status()).isZero();
  }

  private List<Path> files(String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("notes").resolve("cars"))) {
      return files.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
    }
  }

  @Test
  void aHealthyDatabaseVerifiesWithProgressAndExitsZero() {
    Run run = kiln("verify", "notes");
    assertThat(run.status()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("2 CARs").contains("verify notes: OK").doesNotContain("problem");
    assertThat(run.err()).contains("verify: CARs 100%");
  }

  @Test
  void aFlippedByteInADocumentBlockIsAProblemNamingTheCar() throws IOException {
    Path damaged = null;
    for (Path car : files(".car")) {
      byte[] bytes = Files.readAllBytes(car);
      int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf(MARKER);
      if (at >= 0) {
        try (RandomAccessFile f = new RandomAccessFile(car.toFile(), "rw")) {
          f.seek(at + 3);
          f.write(bytes[at + 3] ^ 0x20);
        }
        damaged = car;
      }
    }
    assertThat(damaged).isNotNull();

    Run run = kiln("verify", "notes");
    assertThat(run.status()).isEqualTo(1);
    String name = damaged.getFileName().toString();
    assertThat(run.out()).contains("problem: CAR " + name.substring(0, name.length() - 4) + " is damaged")
        .containsOnlyOnce("cannot be read").doesNotContain("is in no CAR");
  }

  @Test
  void aMissingIndexFileIsANoteAndADamagedOneAProblem() throws IOException {
    List<Path> indexes = files(".idx");
    assertThat(indexes).hasSize(2);
    Files.delete(indexes.get(0));
    Run missing = kiln("verify", "notes");
    assertThat(missing.status()).as(missing.out()).isZero();
    assertThat(missing.out()).contains("note: index file of CAR").contains("is missing");

    Path index = files(".idx").get(0); // the open in that run rebuilt the missing one
    try (RandomAccessFile f = new RandomAccessFile(index.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x01);
    }
    Run damaged = kiln("verify", "notes");
    assertThat(damaged.status()).isEqualTo(1);
    assertThat(damaged.out()).contains("problem: index file " + index.toAbsolutePath()).contains("is wrong");
  }

  @Test
  void aCarRemovedFromUnderTheDatabaseIsReportedNamingIt() throws IOException {
    Path removed = files(".car").get(0);
    Files.delete(removed);

    Run run = kiln("verify", "notes");
    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).contains("problem: the database does not open: CORRUPT")
        .contains(removed.getFileName().toString()).contains("not found");
  }

  @Test
  void aDatabaseThatDoesNotExistIsATypedError() {
    Run run = kiln("verify", "nothing-here");
    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err()).contains("NOT_FOUND").contains("nothing-here");
  }
}
