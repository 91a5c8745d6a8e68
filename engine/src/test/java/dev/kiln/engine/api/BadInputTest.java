package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets a typed error that says what was wrong, and changes nothing that was stored. */
class BadInputTest {
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  @TempDir Path dir;
  Kiln kiln;
  Database db;
  DatabaseStats before;
  Map<String, String> filesBefore;

  @BeforeEach
  void start() {
    kiln = Kiln.start(KilnTestSupport.config(dir, Map.of("kiln.max-doc-bytes", "4 KiB")));
    db = kiln.open("bad");
    await(db.put(JSON.objectNode().put("_id", "keep").put("n", 1)));
    before = await(db.stats());
    filesBefore = carFiles();
  }

  @AfterEach
  void stop() {
    try {
      assertNothingChanged();
    } finally {
      kiln.close(); // also when the check fails: no Kiln (and no H2 lock) is left to later tests
    }
  }

  /** The database's CAR directory: each file's name and a hash of its bytes. */
  private Map<String, String> carFiles() {
    Map<String, String> out = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir.resolve("bad").resolve("cars"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(f));
        out.put(f.getFileName().toString(), java.util.HexFormat.of().formatHex(digest));
      }
    } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
      throw new AssertionError("cannot read the CAR directory", e);
    }
    return out;
  }

  private void assertNothingChanged() {
    assertThat(carFiles()).as("the CAR files on disk").isEqualTo(filesBefore);
    DatabaseStats after = await(db.stats());
    assertThat(after.lastSeq()).isEqualTo(before.lastSeq());
    assertThat(after.clock()).isEqualTo(before.clock());
    assertThat(after.carLogLength()).isEqualTo(before.carLogLength());
    assertThat(await(db.allDocs()).rows()).hasSize(1);
  }

  @Test
  void aDocumentThatIsNotAnObject() {
    assertThat(failsWith(db.put((Object) "just a string"), ErrorCode.INVALID_DOCUMENT).getMessage())
        .contains("JSON object");
    failsWith(db.put((Object) List.of(1, 2)), ErrorCode.INVALID_DOCUMENT);
    failsWith(db.putAll(List.of(JSON.objectNode().put("ok", true), 42)), ErrorCode.INVALID_DOCUMENT);
  }

  @Test
  void invalidIds() {
    assertThat(failsWith(db.put(JSON.objectNode().put("_id", "")), ErrorCode.INVALID_ID).getMessage()).contains("empty");
    assertThat(failsWith(db.put(JSON.objectNode().put("_id", "a".repeat(513))), ErrorCode.INVALID_ID).getMessage())
        .contains("513 bytes");
    assertThat(failsWith(db.put(JSON.objectNode().put("_id", "tab\there")), ErrorCode.INVALID_ID).getMessage())
        .contains("control character");
    failsWith(db.put(JSON.objectNode().put("_id", "nul\u0000")), ErrorCode.INVALID_ID);
    assertThat(failsWith(db.put(JSON.objectNode().put("_id", "bad\uD800")), ErrorCode.INVALID_ID).getMessage())
        .contains("surrogate");
    assertThat(failsWith(db.put(JSON.objectNode().put("_id", 42)), ErrorCode.INVALID_ID).getMessage())
        .contains("must be a string");
    failsWith(db.get(""), ErrorCode.INVALID_ID);
    failsWith(db.delete("x\n"), ErrorCode.INVALID_ID);
  }

  @Test
  void aDocumentOverTheSizeLimit() {
    KilnException e = failsWith(db.put(JSON.objectNode().put("_id", "big").put("s", "x".repeat(5000))),
        ErrorCode.DOCUMENT_TOO_LARGE);
    assertThat(e.getMessage()).contains("big").contains("kiln.max-doc-bytes");
  }

  @Test
  void valuesDagCborCannotHold() {
    ObjectNode huge = JSON.objectNode().put("_id", "num");
    huge.put("n", new BigInteger("123456789012345678901234567890"));
    assertThat(failsWith(db.put(huge), ErrorCode.INVALID_DOCUMENT).getMessage()).contains("64-bit");
    ObjectNode deep = JSON.objectNode().put("_id", "deep");
    ObjectNode at = deep;
    for (int i = 0; i < 600; i++) {
      at = at.putObject("d");
    }
    failsWith(db.put(deep), ErrorCode.INVALID_DOCUMENT);
    failsWith(db.put(JSON.objectNode().put("_deleted", true)), ErrorCode.INVALID_DOCUMENT);
    failsWith(db.put(JSON.objectNode().put("s", "lone \uDC00 surrogate")), ErrorCode.INVALID_DOCUMENT);
  }

  @Test
  void aBulkWithOneBadDocumentStoresNone() {
    List<JsonNode> docs = List.of(JSON.objectNode().put("_id", "good1"), JSON.objectNode().put("_id", ""),
        JSON.objectNode().put("_id", "good2"));
    failsWith(db.putAll(docs), ErrorCode.INVALID_ID);
    failsWith(db.get("good1"), ErrorCode.NOT_FOUND);
  }

  @Test
  void badQueries() {
    failsWith(db.changes(-1, 0), ErrorCode.INVALID_QUERY);
    failsWith(db.changes(0, -5), ErrorCode.INVALID_QUERY);
    failsWith(db.get("nope"), ErrorCode.NOT_FOUND);
  }

  @Test
  void invalidDatabaseNames() {
    for (String name : new String[] {"", "../escape", "a/b", ".hidden", "x".repeat(129), "sp ace"}) {
      assertThatThrownBy(() -> kiln.open(name)).isInstanceOf(KilnException.class)
          .extracting(t -> ((KilnException) t).code()).isEqualTo(ErrorCode.INVALID_NAME);
    }
  }
}
