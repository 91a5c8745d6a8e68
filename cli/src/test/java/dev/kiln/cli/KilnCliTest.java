package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: answers as JSON on stdout; failures say why on stderr and exit non-zero. */
class KilnCliTest {
  @TempDir Path dir;

  record Run(int status, String out, String err) {
    JsonNode json() throws Exception {
      return KilnCli.JSON.readTree(out);
    }
  }

  Run kiln(String... args) {
    CliRun run = CliRun.kiln(dir, args);
    return new Run(run.status(), run.out(), run.err());
  }

  @Test
  void putGetDeleteAllDocsChangesCompactStats() throws Exception {
    Run put = kiln("put", "notes", "{\"_id\":\"a\",\"title\":\"hello\"}");
    assertThat(put.status()).as(put.err()).isZero();
    assertThat(put.json().get("id").asText()).isEqualTo("a");
    assertThat(kiln("put", "notes", "{\"_id\":\"b\",\"title\":\"bye\"}").status()).isZero();

    Run get = kiln("get", "notes", "a");
    assertThat(get.json().get("title").asText()).isEqualTo("hello");

    Run all = kiln("all-docs", "notes", "--descending", "--limit", "1");
    assertThat(all.json().get("rows")).hasSize(1);
    assertThat(all.json().get("rows").get(0).get("id").asText()).isEqualTo("b");

    assertThat(kiln("del", "notes", "a").status()).isZero();
    Run changes = kiln("changes", "notes", "--since", "1");
    assertThat(changes.json().get("changes")).hasSize(2);

    Run compact = kiln("compact", "notes");
    assertThat(compact.status()).as(compact.err()).isZero();
    assertThat(compact.json().get("carLogAfter").asInt()).isEqualTo(1);

    Run stats = kiln("stats", "notes");
    assertThat(stats.json().get("documents").asLong()).isEqualTo(1);
    assertThat(stats.json().get("compactions").asLong()).isEqualTo(1);
    assertThat(stats.json().get("carFiles").asInt()).isEqualTo(1);
    assertThat(stats.json().get("liveBytes").asLong()).isEqualTo(stats.json().get("carLogBytes").asLong());

    assertThat(kiln("put", "notes", "{\"_id\":\"c\",\"title\":\"again\"}").status()).isZero();
    Run minor = kiln("compact", "notes", "--minor");
    assertThat(minor.status()).as(minor.err()).isZero();
    assertThat(minor.json().get("kind").asText()).isEqualTo("MINOR");
    assertThat(minor.json().get("carLogAfter").asInt()).as("the minor CAR and the major one it kept").isEqualTo(2);
    Run after = kiln("stats", "notes");
    assertThat(after.json().get("majorCompactions").asLong()).isEqualTo(1);
    assertThat(after.json().get("minorCompactions").asLong()).isEqualTo(1);
  }

  @Test
  void failuresSayWhyOnStderrAndExitNonZero() {
    assertThat(kiln("put", "notes", "{\"_id\":\"a\"}").status()).isZero();
    Run missing = kiln("get", "notes", "nope");
    assertThat(missing.status()).isEqualTo(1);
    assertThat(missing.err()).contains("NOT_FOUND").contains("nope");

    Run notJson = kiln("put", "notes", "{oops");
    assertThat(notJson.status()).isNotZero();
    assertThat(notJson.err()).contains("not valid JSON");

    Run notObject = kiln("put", "notes", "[1,2]");
    assertThat(notObject.status()).isNotZero();
    assertThat(notObject.err()).contains("must be an object");

    Run badName = kiln("stats", "../x");
    assertThat(badName.status()).isEqualTo(1);
    assertThat(badName.err()).contains("INVALID_NAME");

    Run unknown = kiln("frobnicate");
    assertThat(unknown.status()).isNotZero();
  }

  @Test
  void queryAnswersWithEveryOption() throws Exception {
    assertThat(kiln("put", "people", "{\"_id\":\"ann\",\"address\":{\"city\":\"Oslo\"},\"age\":31}").status()).isZero();
    assertThat(kiln("put", "people", "{\"_id\":\"bob\",\"address\":{\"city\":\"Bergen\"},\"age\":25}").status()).isZero();
    assertThat(kiln("put", "people", "{\"_id\":\"cy\",\"address\":{\"city\":\"Oslo\"},\"age\":47}").status()).isZero();

    assertThat(kiln("index", "people", "address.city").status()).isZero();
    assertThat(kiln("index", "people", "age").status()).isZero();
    Run first = kiln("query", "people", "address.city", "--key", "\"Oslo\"");
    assertThat(first.status()).as(first.err()).isZero();
    assertThat(first.json().get("rows")).extracting(r -> r.get("id").asText()).containsExactly("ann", "cy");

    Run second = kiln("query", "people", "address.city", "--descending", "--limit", "1", "--include-docs");
    assertThat(second.json().get("rows")).hasSize(1);
    assertThat(second.json().get("rows").get(0).get("doc").get("age").asInt()).isEqualTo(47);

    Run range = kiln("query", "people", "age", "--start", "30", "--end", "50");
    assertThat(range.json().get("rows")).extracting(r -> r.get("id").asText()).containsExactly("ann", "cy");
    Run prefix = kiln("query", "people", "address.city", "--prefix", "Be");
    assertThat(prefix.json().get("rows")).extracting(r -> r.get("id").asText()).containsExactly("bob");
  }

  @Test
  void aQueryKeyThatIsNotJsonIsATypedErrorWithAHint() {
    assertThat(kiln("put", "p", "{\"_id\":\"a\",\"city\":\"Oslo\"}").status()).isZero();
    assertThat(kiln("index", "p", "city").status()).isZero();
    Run bad = kiln("query", "p", "city", "--key", "Oslo");
    assertThat(bad.status()).isNotZero();
    assertThat(bad.err()).contains("INVALID_QUERY").contains("key is not JSON").contains("needs quotes");
    Run badPath = kiln("index", "p", "a..b");
    assertThat(badPath.status()).isNotZero();
    assertThat(badPath.err()).contains("INVALID_QUERY").contains("not a field path");
  }
}
